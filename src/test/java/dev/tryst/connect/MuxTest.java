package dev.tryst.connect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.net.Await;
import dev.tryst.net.Watchdog;
import dev.tryst.session.Session;
import dev.tryst.session.SessionException;
import dev.tryst.wire.PeerWire;
import dev.tryst.wire.WireException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Streams over real loopback paths: flow control, resets, a stalled stream, and moves between paths that lose nothing. */
@Timeout(120)
class MuxTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** Two ends of one path: sockets and sessions. */
    record Path(SocketChannel[] sockets, Session initiator, Session responder) {
        void cut() throws IOException {
            sockets[0].close(); // as if the network went away: both ends see the cut
        }
    }

    private Path path() throws IOException {
        try (ServerSocketChannel l = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            SocketChannel a = SocketChannel.open(l.getLocalAddress());
            SocketChannel b = l.accept();
            byte[] prk = new byte[32];
            RANDOM.nextBytes(prk);
            Session i = session(a, prk, Handshake.Role.INITIATOR);
            Session r = session(b, prk, Handshake.Role.RESPONDER);
            return new Path(new SocketChannel[] {a, b}, i, r);
        }
    }

    private Session session(SocketChannel s, byte[] prk, Handshake.Role role) {
        SecureChannel ch = Handshake.channel(s, prk, role, "test ", new byte[0]);
        Duration idle = Duration.ofSeconds(60);
        return Session.start(ch, Watchdog.watch(s, idle), idle, "test path " + s.socket().getLocalPort());
    }

    /** Both sides of a session, with a supply of further paths for moves. */
    final class Pair {
        final List<Path> paths = new ArrayList<>();
        final AtomicInteger initiatorMoves = new AtomicInteger();
        final AtomicInteger responderMoves = new AtomicInteger();
        Mux initiator;
        Mux responder;

        Pair(Mux.Acceptor acceptor, int spare) throws Exception {
            for (int i = 0; i <= spare; i++) {
                paths.add(path());
            }
            Session.Fallback forI = () -> next(initiatorMoves).initiator();
            Session.Fallback forR = () -> next(responderMoves).responder();
            CompletableFuture<Mux> r = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    r.complete(Mux.start(paths.get(0).responder(), Handshake.Role.RESPONDER, "alice", forR, acceptor, null));
                } catch (Throwable t) {
                    r.completeExceptionally(t);
                }
            });
            initiator = Mux.start(paths.get(0).initiator(), Handshake.Role.INITIATOR, "bob", forI, null, null);
            responder = r.get(20, TimeUnit.SECONDS);
            open.add(responder);
            open.add(initiator);
        }

        private Path next(AtomicInteger moves) throws SessionException {
            int n = moves.incrementAndGet();
            if (n >= paths.size()) {
                throw new SessionException(SessionException.Kind.PEER_GONE, "no more paths", null);
            }
            return paths.get(n);
        }
    }

    private static final Mux.Acceptor ECHO = s -> {
        try (s) {
            s.input().transferTo(s.output());
        } catch (IOException e) {
            s.reset(e.getMessage());
        }
    };

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} to the stream and closes its output on a thread; reads all that comes back here. */
    private static byte[] roundTrip(Stream s, byte[] data) throws Exception {
        CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
            try {
                OutputStream o = s.output();
                for (int off = 0; off < data.length; off += 100_000) {
                    o.write(data, off, Math.min(100_000, data.length - off));
                }
                o.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        byte[] back = s.input().readAllBytes();
        w.get(60, TimeUnit.SECONDS);
        return back;
    }

    @Test
    void streamsCarryBytesBothWaysAndEndCleanly() throws Exception {
        Pair p = new Pair(ECHO, 0);
        byte[] data = random(10 << 20, 1);
        List<CompletableFuture<byte[]>> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Stream s = p.initiator.open(PeerWire.SERVICE_PIPE, 0);
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return roundTrip(s, data);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofVirtual().start(r)));
        }
        for (var f : all) {
            assertArrayEquals(sha(data), sha(f.get(60, TimeUnit.SECONDS)));
        }
        Await.until("streams forgotten on both sides", () -> p.initiator.openStreams() == 0 && p.responder.openStreams() == 0);
        p.initiator.close();
        assertNull(p.initiator.awaitEnd());
        assertNull(p.responder.awaitEnd(), "the responder saw a clean end");
        Await.until("no session thread left", () -> p.initiator.liveThreads() == 0 && p.responder.liveThreads() == 0);
    }

    @Test
    void aStalledStreamStopsOnlyItself() throws Exception {
        CompletableFuture<Void> never = new CompletableFuture<>();
        Pair p = new Pair(s -> {
            if (s.port() == 1) {
                never.join(); // reads nothing, ever
            } else {
                ECHO.accept(s);
            }
        }, 0);
        Stream stalled = p.initiator.open(PeerWire.SERVICE_PORT, 1);
        AtomicInteger written = new AtomicInteger();
        Thread writer = Thread.ofVirtual().start(() -> {
            byte[] chunk = new byte[16 << 10];
            try {
                while (true) {
                    stalled.output().write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException e) {
                // the session ended at the close of the test
            }
        });
        Await.until("the stalled stream's window is used up", () -> written.get() >= PeerWire.INITIAL_WINDOW);
        byte[] data = random(20 << 20, 2);
        assertArrayEquals(sha(data), sha(roundTrip(p.initiator.open(PeerWire.SERVICE_PORT, 2), data)));
        assertEquals(PeerWire.INITIAL_WINDOW, written.get(), "the stalled stream sent exactly its window, no more");
        never.complete(null);
        writer.interrupt();
    }

    @Test
    void aMoveToAnotherPathLosesDuplicatesAndReordersNothing() throws Exception {
        Pair p = new Pair(ECHO, 2);
        byte[] data = random(40 << 20, 3);
        Stream s = p.initiator.open(PeerWire.SERVICE_PIPE, 0);
        CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
            try {
                return roundTrip(s, data);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        Await.until("some bytes moved", () -> p.paths.get(0).initiator().channel().bytesReceived() > (4 << 20));
        p.paths.get(0).cut();
        Await.until("some bytes moved on the second path", () -> p.paths.get(1).initiator().channel().bytesReceived() > (4 << 20));
        p.paths.get(1).cut();
        assertArrayEquals(sha(data), sha(back.get(60, TimeUnit.SECONDS)));
        assertEquals(2, p.initiator.moves());
        assertEquals(2, p.responder.moves());
    }

    @Test
    void aResetPassesThroughWithItsReason() throws Exception {
        Pair p = new Pair(s -> s.reset("port 22 is not exposed"), 0);
        Stream s = p.initiator.open(PeerWire.SERVICE_PORT, 22);
        var e = assertThrows(Stream.ResetException.class, () -> s.input().read());
        assertTrue(e.byPeer());
        assertEquals("bob: port 22 is not exposed", e.getMessage());
        Await.until("the reset stream is forgotten", () -> p.initiator.openStreams() == 0);
        assertEquals(0, p.initiator.moves(), "a reset is not a broken path");
    }

    @Test
    void streamsAtOnceAreBounded() throws Exception {
        Pair p = new Pair(s -> { }, 0);
        for (int i = 0; i < Mux.MAX_STREAMS; i++) {
            p.initiator.open(PeerWire.SERVICE_PIPE, 0);
        }
        IOException e = assertThrows(IOException.class, () -> p.initiator.open(PeerWire.SERVICE_PIPE, 0));
        assertTrue(e.getMessage().contains("too many streams"), e.getMessage());
    }

    @Test
    void aPeerThatOverrunsItsWindowEndsItsSessionAndNothingMoves() throws Exception {
        Path path = path();
        CompletableFuture<Mux> r = CompletableFuture.supplyAsync(() -> {
            try {
                return Mux.start(path.responder(), Handshake.Role.RESPONDER, "mallory", () -> {
                    throw new SessionException(SessionException.Kind.PEER_GONE, "a move was tried", null);
                }, s -> { }, null);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, x -> Thread.ofVirtual().start(x));
        SecureChannel raw = path.initiator().channel();
        raw.send(PeerWire.encode(new PeerWire.Resume(0)));
        assertInstanceOf(PeerWire.Resume.class, PeerWire.decode(raw.receive()));
        Mux victim = r.get(20, TimeUnit.SECONDS);
        open.add(victim);
        raw.send(PeerWire.encode(new PeerWire.Open(1, PeerWire.SERVICE_PIPE, 0)));
        byte[] chunk = new byte[PeerWire.MAX_DATA];
        for (int sent = 0; sent <= PeerWire.INITIAL_WINDOW; sent += chunk.length) {
            raw.send(PeerWire.data(1, chunk, 0, chunk.length));
        }
        IOException why = victim.awaitEnd();
        assertInstanceOf(WireException.class, why);
        assertTrue(why.getMessage().contains("beyond its window"), why.getMessage());
        assertEquals(0, victim.moves());
    }

    private static byte[] sha(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
