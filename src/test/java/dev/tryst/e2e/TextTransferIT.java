package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The foundation as a user meets it: real server, sender and receiver processes on loopback. */
@Timeout(120)
class TextTransferIT {
    private static final Duration T = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    static TrystProcess server;
    static String relay;

    @BeforeAll
    static void startServer() throws Exception {
        server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                "--control-port", "-1", "--stun-port", "-1", "--admin", "off"); // a bare relay: every other port off, none to collide
        String port = server.awaitStderr("tryst relay listening on tcp \\S*:(\\d+)", T);
        relay = "127.0.0.1:" + port;
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static String code(TrystProcess sender) throws Exception {
        return sender.awaitStderr("Code: (\\S+)", T);
    }

    @Test
    void textArrives() throws Exception {
        try (var send = TrystProcess.start(dir, "send-text", "send", "--relay", relay, "--text", "hello, wörld ✓");
             var recv = TrystProcess.start(dir, "recv-text", "receive", "--relay", relay, code(send))) {
            assertEquals(0, recv.await(T), recv.stderr());
            assertEquals(0, send.await(T), send.stderr());
            assertEquals("hello, wörld ✓\n", recv.stdout());
            assertTrue(recv.stderr().contains("relayed via " + relay), recv.stderr());
        }
    }

    @Test
    void relayFromTheEnvironment() throws Exception {
        Map<String, String> env = Map.of("TRYST_RELAY", relay);
        try (var send = TrystProcess.start(dir, "send-env", null, env, "send", "--text", "via env");
             var recv = TrystProcess.start(dir, "recv-env", null, env, "receive", code(send))) {
            assertEquals(0, recv.await(T), recv.stderr());
            assertEquals(0, send.await(T), send.stderr());
            assertEquals("via env\n", recv.stdout());
        }
    }

    @Test
    void fiftyMebibytesOfBinaryStdinArriveIntact() throws Exception {
        Path input = dir.resolve("input.bin");
        byte[] data = new byte[50 << 20];
        new Random(50).nextBytes(data);
        Files.write(input, data);
        try (var send = TrystProcess.start(dir, "send-bin", input, Map.of(), "send", "--relay", relay);
             var recv = TrystProcess.start(dir, "recv-bin", "receive", "--relay", relay, code(send))) {
            assertEquals(0, recv.await(T), recv.stderr());
            assertEquals(0, send.await(T), send.stderr());
            assertEquals(sha256(input), sha256(recv.out));
            assertEquals(data.length, Files.size(recv.out));
        }
    }

    @Test
    void wrongCodeFailsCleanlyOnBothSides() throws Exception {
        try (var send = TrystProcess.start(dir, "send-wrong", "send", "--relay", relay, "--text", "secret")) {
            String good = code(send);
            String[] parts = good.split("-");
            String bad = parts[0] + "-" + parts[1] + "-" + parts[2] + "-" + (parts[3].equals("zoom") ? "abacus" : "zoom");
            try (var recv = TrystProcess.start(dir, "recv-wrong", "receive", "--relay", relay, bad)) {
                assertEquals(3, recv.await(T), recv.stderr());
                assertEquals(3, send.await(T), send.stderr());
                assertEquals("", recv.stdout(), "nothing may be written on a wrong code");
                assertTrue(recv.stderr().contains("the codes did not match — nothing was received; ask for a new code"),
                        recv.stderr());
                assertTrue(send.stderr().contains("the codes did not match"), send.stderr());
                assertFalse(send.stderr().contains("Exception"), send.stderr());
            }
            // One guess per code: the sender has gone, so the right code no longer works either.
            try (var late = TrystProcess.start(dir, "recv-late", "receive", "--relay", relay, "--wait", "2s", good)) {
                assertEquals(6, late.await(T), late.stderr());
                assertEquals("", late.stdout());
            }
        }
    }

    @Test
    void unreachableRelayNamesTheAddress() throws Exception {
        try (var send = TrystProcess.start(dir, "send-nowhere", "send", "--relay", "127.0.0.1:1", "--text", "x")) {
            assertEquals(4, send.await(T), send.stderr());
            assertTrue(send.stderr().contains("cannot reach the relay at 127.0.0.1:1"), send.stderr());
            // No code for a relay that is not there (issue 15, bug 6): nobody is sent to wait in vain.
            assertFalse(send.stderr().contains("Code:") || send.stderr().contains("On the other machine"), send.stderr());
        }
    }

    @Test
    void mistypedWordGetsASuggestion() throws Exception {
        try (var recv = TrystProcess.start(dir, "recv-typo", "receive", "--relay", relay, "123456-pelcian-walnut-glider")) {
            assertEquals(2, recv.await(T), recv.stderr());
            assertTrue(recv.stderr().contains("did you mean 'pelican'?"), recv.stderr());
        }
    }

    @Test
    void senderGoneMidTransferIsReportedNotSilent() throws Exception {
        // A sender killed while streaming: the receiver exits non-zero and says the connection broke.
        Path fifo = dir.resolve("never-ending");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        // The feeder writes 3 MB into the fifo and keeps it open, so the sender never sees the end of its input.
        Process feeder = new ProcessBuilder("sh", "-c", "exec 3>" + fifo + "; head -c 3000000 /dev/zero >&3; sleep 30").start();
        try (var send = TrystProcess.start(dir, "send-killed", fifo, Map.of(), "send", "--relay", relay);
             var recv = TrystProcess.start(dir, "recv-killed", "receive", "--relay", relay, code(send))) {
            recv.awaitStderr("(receiving)", T);
            Thread.sleep(500);
            send.process.destroyForcibly();
            assertEquals(5, recv.await(T), recv.stderr());
            assertTrue(recv.stderr().contains("connection"), recv.stderr());
        } finally {
            feeder.destroyForcibly();
        }
    }

    static String sha256(Path p) throws IOException {
        try (var in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0; ) {
                md.update(b, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
