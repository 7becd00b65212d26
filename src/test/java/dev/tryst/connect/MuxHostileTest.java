package dev.tryst.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.net.Await;
import dev.tryst.net.Watchdog;
import dev.tryst.session.Session;
import dev.tryst.wire.PeerWire;
import dev.tryst.wire.WireException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An authenticated but hostile peer (a contact gone bad, or a listener one dials) against a Mux,
 * on a real loopback path: each attack costs it its own session, or nothing, and never unbounded
 * memory, threads or sockets on our side. (Found by review; each test failed before its fix.)
 */
@Timeout(120)
class MuxHostileTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The attacker's raw channel (initiator) and the victim's Mux (responder). */
    record Setup(SecureChannel attacker, Mux victim) {}

    private static Setup setup(Mux.Acceptor acceptor) throws Exception {
        SocketChannel a;
        SocketChannel b;
        try (ServerSocketChannel l = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            a = SocketChannel.open(l.getLocalAddress());
            b = l.accept();
        }
        byte[] prk = new byte[32];
        RANDOM.nextBytes(prk);
        SecureChannel attacker = Handshake.channel(a, prk, Handshake.Role.INITIATOR, "test ", new byte[0]);
        Duration idle = Duration.ofSeconds(120);
        Session vs = Session.start(Handshake.channel(b, prk, Handshake.Role.RESPONDER, "test ", new byte[0]),
                Watchdog.watch(b, idle), idle, "victim path");
        CompletableFuture<Mux> m = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                m.complete(Mux.start(vs, Handshake.Role.RESPONDER, "mallory", null, acceptor, null));
            } catch (Throwable t) {
                m.completeExceptionally(t);
            }
        });
        attacker.send(PeerWire.encode(new PeerWire.Resume(0)));
        assertInstanceOf(PeerWire.Resume.class, PeerWire.decode(attacker.receive()));
        return new Setup(attacker, m.get(20, TimeUnit.SECONDS));
    }

    /** Reads and drops all the victim sends, never acknowledging; returns the RESET reasons seen. */
    private static List<String> drain(SecureChannel ch) {
        List<String> resets = new java.util.concurrent.CopyOnWriteArrayList<>(); // read while it grows
        Thread.ofVirtual().start(() -> {
            try {
                for (var r = ch.receive(); r != null; r = ch.receive()) {
                    if (PeerWire.decode(r) instanceof PeerWire.Reset x && resets.size() < 1000) {
                        resets.add(x.reason());
                    }
                }
            } catch (IOException ignored) {
                // the victim ended the session
            }
        });
        return resets;
    }

    @Test
    void aPeerThatNeverAcknowledgesEndsItsOwnSession() throws Exception {
        Setup s = setup(new Services(Map.of(22, InetSocketAddress.createUnresolved("localhost", 22)), null, null));
        drain(s.attacker());
        try {
            for (int id = 1; id < 2 * 400_000; id += 2) { // each answered with a RESET it never acknowledges
                s.attacker().send(PeerWire.encode(new PeerWire.Open(id, PeerWire.SERVICE_PORT, 1)));
            }
        } catch (IOException e) {
            // the victim hung up on us: what we want
        }
        IOException why = s.victim().awaitEnd();
        assertInstanceOf(WireException.class, why);
        assertTrue(why.getMessage().contains("does not acknowledge"), why.getMessage());
    }

    @Test
    void tinyFramesCostWhatTheirBytesCost() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        AtomicReference<Stream> accepted = new AtomicReference<>();
        Setup s = setup(st -> {
            accepted.set(st);
            try {
                never.await(); // a local side that does not read
            } catch (InterruptedException ignored) {
                // over
            }
        });
        drain(s.attacker());
        s.attacker().send(PeerWire.encode(new PeerWire.Open(1, PeerWire.SERVICE_PORT, 22)));
        byte[] one = {42};
        int frames = PeerWire.INITIAL_WINDOW / 4;
        for (int i = 0; i < frames; i++) {
            s.attacker().send(PeerWire.data(1, one, 0, 1));
        }
        Await.until("all of it buffered", () -> accepted.get() != null && accepted.get().bufferedBytes() == frames);
        assertTrue(accepted.get().chunks() <= frames / Stream.CHUNK + 1, "chunks: " + accepted.get().chunks());
        never.countDown();
    }

    @Test
    void openingAndResettingStreamsNeverFreesAPlaceThatIsStillServed() throws Exception {
        // a target whose backlog is full: connects to it hang, as to a slow or filtered host
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fill = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Socket f = new Socket();
                try {
                    f.connect(target.getLocalSocketAddress(), 300);
                    fill.add(f);
                } catch (IOException e) {
                    break;
                }
            }
            AtomicInteger serving = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            Services services = new Services(Map.of(22, new InetSocketAddress("127.0.0.1", target.getLocalPort())), null, null);
            Setup s = setup(st -> {
                most.accumulateAndGet(serving.incrementAndGet(), Math::max);
                try {
                    services.accept(st);
                } finally {
                    serving.decrementAndGet();
                }
            });
            List<String> resets = drain(s.attacker());
            for (int i = 0, id = 1; i < 3000; i++, id += 2) {
                s.attacker().send(PeerWire.encode(new PeerWire.Open(id, PeerWire.SERVICE_PORT, 22)));
                s.attacker().send(PeerWire.encode(new PeerWire.Reset(id, "bye")));
            }
            Await.until("the places are taken and refusals sent", () -> resets.stream().anyMatch(r -> r.startsWith("too many streams")));
            assertTrue(most.get() <= Mux.MAX_STREAMS, "acceptors at once: " + most.get());
            assertTrue(s.victim().openStreams() <= Mux.MAX_STREAMS, "places held: " + s.victim().openStreams());
            for (Socket f : fill) {
                f.close();
            }
        }
    }

    @Test
    void aResetReasonCannotDriveTheTerminal() throws Exception {
        AtomicReference<Stream> accepted = new AtomicReference<>();
        CountDownLatch got = new CountDownLatch(1);
        Setup s = setup(st -> {
            accepted.set(st);
            got.countDown();
        });
        drain(s.attacker());
        s.attacker().send(PeerWire.encode(new PeerWire.Open(1, PeerWire.SERVICE_PORT, 22)));
        assertTrue(got.await(20, TimeUnit.SECONDS));
        s.attacker().send(PeerWire.encode(new PeerWire.Reset(1, "ok\r\u001b[2K\u001b]0;pwned\u0007\n10:00:00 alice connected.")));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> accepted.get().input().read());
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20 || c == 0x7f), e.getMessage());
        assertEquals("mallory: ok\\u000d\\u001b[2K\\u001b]0;pwned\\u0007\\u000a10:00:00 alice connected.", e.getMessage());
    }
}
