package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import dev.tryst.wire.Bytes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.InstantSource;
import javax.net.ServerSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tryst msg} against a real server on loopback, run in this process. */
@Timeout(60)
class MsgCommandTest {
    @TempDir
    Path dir;

    /**
     * Finding 7: a store at its quota refuses the message, and the person who typed {@code tryst
     * msg} reads why, in the server's words, with the exit code of a refusal.
     */
    @Test
    void finding7_msgPrintsWhyTheServerRefusedTheMessage() throws Exception {
        int size = 1000;
        long cost = size + EventLimits.EVENT_OVERHEAD;
        EventLimits limits = EventLimits.defaults().withMaxPayload(size).withQuotas(cost, cost);
        try (EventStore store = EventStore.open(dir.resolve("server"), limits, InstantSource.system());
             RendezvousServer server = RendezvousServer.start(RendezvousConfig.defaults()
                             .withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                     ServerSocketFactory.getDefault(), new RendezvousBackend(RendezvousBackend.PLAIN_NAME, 0, store))) {
            store.append(Bytes.of(Identity.generate().publicKey().bytes()), (byte) 1, Bytes.of(new byte[size])); // the store is full
            StringWriter err = new StringWriter();
            int code = Main.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter())).execute(
                    "msg", "--server", "127.0.0.1:" + server.address().getPort(), "--plain-control",
                    "--identity", dir.resolve("identity").toString(),
                    Bytes.of(Identity.generate().publicKey().bytes()).hex(), "see you at five");
            assertEquals(ExitCode.PEER_GONE.code, code, err.toString());
            assertEquals("tryst: the server refused the message: the server's message store is full (" + cost + " bytes);"
                    + " more fit as messages are read or expire", err.toString().lines().reduce((a, b) -> b).orElse(""), err.toString());
        }
    }
}
