package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.api.ReceiveOptions;
import dev.tryst.api.TransferEvent;
import dev.tryst.api.Tryst;
import dev.tryst.api.TrystException;
import dev.tryst.api.TrystOptions;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A side that stops tells the other at once (issue 15, bug 4): Ctrl-C or SIGTERM sends an ABORT,
 * and a peer killed outright (its direct path closed, nobody coming to the relay) is said in
 * seconds, not after the long wait kept for a path that fell silent.
 */
@Timeout(300)
class StopIT {
    private static final Duration T = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    static TrystProcess server;
    static String control;

    @BeforeAll
    static void start() throws Exception {
        server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0", "--stun-port", "-1",
                "--control-port", "0", "--plain-control", "--admin", "off", "--state-dir", dir.resolve("server-state").toString());
        control = server.awaitStderr("tryst control listening on tcp (\\S+)", T);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** SIGTERM on either side of a stream: the other is told "the other side stopped" and exits 7. */
    @Test
    void aStoppedSideTellsTheOther() throws Exception {
        for (boolean stopReceiver : new boolean[] {true, false}) {
            String who = stopReceiver ? "receiver" : "sender";
            Path fifo = dir.resolve("trickle-" + who);
            new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
            // A trickle that never ends: 64 KiB every 100 ms, so the sender keeps coming back from its input.
            Process feeder = new ProcessBuilder("sh", "-c", "exec 3>" + fifo
                    + "; while true; do head -c 65536 /dev/zero >&3 || exit 0; sleep 0.1; done").start();
            try (var send = TrystProcess.start(dir, "send-stop-" + who, fifo, Map.of(), "send", "--server", control,
                    "--plain-control");
                 var recv = TrystProcess.start(dir, "recv-stop-" + who, "receive", "--server", control, "--plain-control",
                         send.awaitStderr("Code: (\\S+)", T))) {
                recv.awaitStderr("(Connected)", T);
                long deadline = System.nanoTime() + T.toNanos();
                while (Files.size(dir.resolve("recv-stop-" + who + ".out")) < 256 * 1024 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                TrystProcess stopped = stopReceiver ? recv : send;
                TrystProcess told = stopReceiver ? send : recv;
                stopped.process.destroy(); // SIGTERM: what Ctrl-C does too, through the same shutdown hook
                assertTrue(stopped.process.waitFor(60, TimeUnit.SECONDS));
                assertTrue(stopped.stderr().contains("stopped; the other side was told"), stopped.stderr());
                assertEquals(7, told.await(T), told.stderr());
                assertTrue(told.stderr().contains("the other side stopped: the " + who + " was stopped"), told.stderr());
            } finally {
                feeder.destroyForcibly();
            }
        }
    }

    /**
     * The sender killed with SIGKILL just as the receiver accepts files on a direct path: the
     * receiver falls back to the relay, but waits there only the short while kept for a closed path,
     * and says so.
     */
    @Test
    void aKilledPeersClosedDirectPathIsNotWaitedForLong() throws Exception {
        Path src = dir.resolve("photo.bin");
        byte[] data = new byte[4 << 20];
        new Random(4).nextBytes(data);
        Files.write(src, data);
        try (var send = TrystProcess.start(dir, "send-killed", "send", "--server", control, "--plain-control",
                "--relay-delay", "3s", src.toString())) { // direct first: this is about a direct path that dies
            String code = send.awaitStderr("Code: (\\S+)", T);
            TrystOptions options = TrystOptions.defaults().withServer(control).withPlainControl(true)
                    .withKnownServers(dir.resolve("known_servers")).withWaitForPeer(T).withRelayDelay(Duration.ofSeconds(3));
            List<TransferEvent> events = new CopyOnWriteArrayList<>();
            Path out = Files.createDirectories(dir.resolve("killed-out"));
            var options2 = new ReceiveOptions(out, false, summary -> {
                send.process.destroyForcibly(); // SIGKILL: no shutdown hook, no ABORT; the kernel closes its sockets
                try {
                    send.process.waitFor(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }, OutputStream.nullOutputStream());
            var e = org.junit.jupiter.api.Assertions.assertThrows(TrystException.class,
                    () -> new Tryst(options).receive(code, options2, events::add));
            assertTrue(events.stream().anyMatch(ev -> ev instanceof TransferEvent.Connected c && c.path().direct()), events.toString());
            assertTrue(events.stream().anyMatch(ev -> ev instanceof TransferEvent.PathBroke), events.toString());
            assertEquals(TrystException.Reason.PEER_GONE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("5 s"), e.getMessage());
        }
    }
}
