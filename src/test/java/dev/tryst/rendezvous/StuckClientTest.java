package dev.tryst.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.net.Await;
import dev.tryst.net.FakeTicker;
import dev.tryst.tls.ServerIdentity;
import dev.tryst.tls.Tls;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.RoomCreate;
import dev.tryst.wire.ControlWire.RoomCreated;
import dev.tryst.wire.ControlWire.RoomJoin;
import dev.tryst.wire.ControlWire.RoomMessage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that stop reading, or stall in their TLS handshake, over TLS as {@code tryst server} runs
 * it: their sessions are cut on the server's clock, and no such client holds up anyone else's
 * deadlines (found in review: the sweeper used to wait forever in SSLSocket.close() behind a writer
 * stuck on a client that reads nothing, and from then on nobody was timed out).
 */
@Timeout(120)
class StuckClientTest {
    @TempDir
    Path dir;

    private RendezvousServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private FakeTicker startTls() throws IOException {
        FakeTicker ticker = new FakeTicker();
        server = RendezvousServer.start(RendezvousConfig.defaults().withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                Tls.serverSocketFactory(ServerIdentity.loadOrCreate(dir.resolve("tls"))), RendezvousBackend.roomsOnly(), ticker);
        return ticker;
    }

    private void sweptTwice() {
        long s = server.sweeps();
        Await.until("two more sweeps", () -> server.sweeps() >= s + 2);
    }

    /** A TLS client that trusts any certificate (the server's pinning is not what is tested here). */
    static final class TlsClient implements AutoCloseable {
        final SSLSocket s;
        final InputStream in;
        final OutputStream out;

        TlsClient(InetSocketAddress to, int receiveBuffer) throws Exception {
            Socket plain = new Socket();
            if (receiveBuffer > 0) {
                plain.setReceiveBufferSize(receiveBuffer); // before connecting: a small window
            }
            plain.connect(to, 5000);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] c, String a) { }

                @Override
                public void checkServerTrusted(X509Certificate[] c, String a) { }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, to.getHostString(), to.getPort(), true);
            s.setSoTimeout(10_000);
            s.startHandshake();
            in = new BufferedInputStream(s.getInputStream());
            out = s.getOutputStream();
        }

        void send(ControlWire.Packet p) throws IOException {
            ControlWire.write(out, p);
            out.flush();
        }

        Frame next() throws IOException {
            return ControlWire.read(in);
        }

        @Override
        public void close() throws IOException {
            s.close();
        }
    }

    @Test
    void aClientThatStopsReadingDoesNotStopTheDeadlinesOfOthers() throws Exception {
        FakeTicker ticker = startTls();
        try (TlsClient b = new TlsClient(server.address(), 4096); TlsClient a = new TlsClient(server.address(), 0)) {
            b.send(Connect.anonymous());
            assertEquals(Connected.class, b.next().getClass());
            b.send(new RoomCreate(""));
            String nameplate = ((RoomCreated) b.next()).nameplate(); // B reads nothing more
            a.send(Connect.anonymous());
            assertEquals(Connected.class, a.next().getClass());
            a.send(new RoomJoin(nameplate));
            Thread.ofVirtual().start(() -> {
                try {
                    while (a.next() != null) {
                        // drained
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            });
            Thread.ofVirtual().start(() -> {
                RoomMessage m = new RoomMessage(Bytes.of(new byte[4096]));
                try {
                    for (int i = 0; i < 20_000 && server.stats().slowConsumers() == 0; i++) {
                        a.send(m);
                    }
                } catch (IOException e) {
                    // dropped: fine
                }
            });
            Await.until("B dropped as too slow", () -> server.stats().slowConsumers() >= 1);
            // what an operator sees meanwhile: B's queue full (its writer is stuck on B's socket), and DISCONNECT behind it
            var stats = server.stats();
            assertTrue(stats.deepestQueue() >= stats.queueLimit() - 1 && stats.deepestQueue() <= stats.queueLimit() + 1,
                    stats.deepestQueue() + " queued of " + stats.queueLimit());
            assertTrue(stats.queuedPackets() >= stats.deepestQueue());
            ticker.advance(Duration.ofSeconds(3)); // B's grace ends: its socket is cut
            sweptTwice();
            Await.until("B's queue gone with it", () -> server.stats().deepestQueue() < 2);
            try (TlsClient c = new TlsClient(server.address(), 0)) { // a well-behaved session that then falls silent
                c.send(Connect.anonymous());
                assertEquals(Connected.class, c.next().getClass());
                ticker.advance(Duration.ofSeconds(20)); // past its 15 s of silence
                Frame f;
                do {
                    f = c.next();
                } while (f instanceof ControlWire.Ping);
                assertEquals(new Disconnect(ControlWire.REASON_TIME_OUT), f, "C is timed out: the sweeper goes on");
            }
            Thread closer = Thread.ofVirtual().start(server::close);
            assertTrue(closer.join(Duration.ofSeconds(30)), "close() is not held up by B either");
        }
    }

    @Test
    void connectionsThatStallBeforeOrInsideTheHandshakeOrBeforeConnectAreCut() throws Exception {
        FakeTicker ticker = startTls();
        try (Socket silent = new Socket(); Socket partial = new Socket();
             TlsClient noConnect = new TlsClient(server.address(), 0)) {
            silent.connect(server.address());
            partial.connect(server.address());
            partial.getOutputStream().write(HexFormat.of().parseHex("16030100ff01")); // a record of 255 bytes, one sent
            Await.until("three sessions", () -> server.stats().activeSessions() == 3);
            ticker.advance(Duration.ofSeconds(16)); // past the 15 s of silence
            sweptTwice();
            ticker.advance(Duration.ofSeconds(3)); // past the 2 s of grace
            sweptTwice();
            Await.until("all cut and ended", () -> server.stats().activeSessions() == 0);
            assertEquals(3, server.stats().timeouts());
            assertEquals(2, server.stats().liveThreads(), "accept and sweeper only");
        }
    }
}
