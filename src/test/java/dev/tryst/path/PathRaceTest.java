package dev.tryst.path;

import dev.tryst.session.SessionException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.channel.Handshake;
import dev.tryst.relay.RelayConfig;
import dev.tryst.relay.RelayServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both sides of a race in one JVM, on loopback, with a real relay: which path wins, that the
 * others are closed, that nothing is left running, and that strangers cannot take a path.
 */
@Timeout(60)
class PathRaceTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final SecureRandom random = new SecureRandom();
    private RelayServer relay;

    @BeforeEach
    void startRelay() throws IOException {
        relay = RelayServer.start(RelayConfig.defaults().withBind(new InetSocketAddress(LOOPBACK, 0)));
    }

    @AfterEach
    void stopRelay() {
        relay.close();
    }

    /** A local port that is free now, as the rendezvous connection's port would be. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    private static Handshake.Agreed[] agree(String a, String b) throws IOException {
        SecureRandom r = new SecureRandom();
        Handshake.Start i = Handshake.start(Handshake.Role.INITIATOR, a.getBytes(), r);
        Handshake.Start j = Handshake.start(Handshake.Role.RESPONDER, b.getBytes(), r);
        return new Handshake.Agreed[] {Handshake.agree(i, j.hello()), Handshake.agree(j, i.hello())};
    }

    /** A plan for {@code keys} (which says the role), with the relay and direct attempts for 4 s. */
    private PathRace.Plan plan(Handshake.Agreed keys, int localPort, List<InetSocketAddress> direct, byte[] key) {
        return new PathRace.Plan(keys, localPort, direct, relay.address(), dev.tryst.wire.Bytes.of(key),
                Duration.ofSeconds(10), Duration.ofSeconds(30), false);
    }

    private static PathConfig config(Duration relayDelay) {
        return new PathConfig(relayDelay, Duration.ofSeconds(4), Duration.ofMillis(200), Duration.ofSeconds(3),
                Duration.ofSeconds(12), Duration.ofSeconds(36));
    }

    private static byte[] key() {
        byte[] k = new byte[33];
        new SecureRandom().nextBytes(k);
        k[0] = 2;
        return k;
    }

    /** Runs both sides; returns {initiator's, responder's} result. */
    private PathRace.Won[] race(PathRace.Plan initiator, PathRace.Plan responder, Duration relayDelay) throws Exception {
        CompletableFuture<PathRace.Won> r = CompletableFuture.supplyAsync(() -> {
            try {
                return PathRace.run(responder, config(relayDelay), random);
            } catch (SessionException e) {
                throw new RuntimeException(e);
            }
        });
        PathRace.Won i = PathRace.run(initiator, config(relayDelay), random);
        return new PathRace.Won[] {i, r.get(20, TimeUnit.SECONDS)};
    }

    private static void exchange(PathRace.Won[] won) throws IOException {
        byte[] hello = "over the winning path".getBytes();
        won[0].session().channel().send(hello);
        assertEquals(new String(hello), text(won[1].session().channel().receive()));
    }

    private static String text(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a);
    }

    /** Race threads still running; virtual threads, so counted by PathRace itself. */
    private static long pathThreads() {
        return PathRace.LIVE_THREADS.get();
    }

    @Test
    void directWinsWhenItIsUpAndTheRelayIsNeverDialled() throws Exception {
        int pa = freePort();
        int pb = freePort();
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        PathRace.Won[] won = race(
                plan(keys[0], pa, List.of(new InetSocketAddress(LOOPBACK, pb)), k),
                plan(keys[1], pb, List.of(new InetSocketAddress(LOOPBACK, pa)), k),
                Duration.ofSeconds(3));
        assertTrue(won[0].direct() && won[1].direct(), won[0].session().path() + " / " + won[1].session().path());
        assertTrue(won[0].session().path().startsWith("direct, tcp "), won[0].session().path());
        exchange(won);
        assertEquals(0, relay.stats().pairsStapled(), "the relay was never needed");
        won[0].session().close();
        won[1].session().close();
        assertEquals(0, pathThreads(), "no race thread left");
    }

    @Test
    void theRelayWinsWhenDirectNeverAnswers() throws Exception {
        int pa = freePort();
        int pb = freePort();
        // endpoints where nobody listens: every direct attempt is refused
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        PathRace.Won[] won = race(
                plan(keys[0], pa, List.of(new InetSocketAddress(LOOPBACK, freePort())), k),
                plan(keys[1], pb, List.of(new InetSocketAddress(LOOPBACK, freePort())), k),
                Duration.ofMillis(300));
        assertFalse(won[0].direct());
        assertEquals("relayed via " + dev.tryst.net.HostPort.format(relay.address()), won[1].session().path());
        exchange(won);
        won[0].session().close();
        won[1].session().close();
        dev.tryst.net.Await.until("no race thread left", () -> pathThreads() == 0); // the direct attempts end with the session
        // the punching ports are free again: nothing kept them
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(LOOPBACK, pa));
        }
    }

    @Test
    void aWrongCodeIsFoundOnTheRelayPathAndReportedOnBothSides() throws Exception {
        var keys = agree("42-code", "42-other");
        byte[] k = key();
        var e = assertThrows(Exception.class, () -> race(
                plan(keys[0], 0, List.of(), k),
                plan(keys[1], 0, List.of(), k), Duration.ZERO));
        SessionException s = (SessionException) (e instanceof SessionException ? e : e.getCause().getCause());
        assertEquals(SessionException.Kind.WRONG_CODE, s.kind());
        assertEquals(0, pathThreads());
    }

    @Test
    void aStrangerOnThePunchingPortDoesNotCaptureTheSession() throws Exception {
        int pa = freePort();
        int pb = freePort();
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        // B (responder) starts first, listening on its punching port; a stranger gets there before A
        CompletableFuture<PathRace.Won> b = CompletableFuture.supplyAsync(() -> {
            try {
                return PathRace.run(plan(keys[1], pb, List.of(new InetSocketAddress(LOOPBACK, pa)), k),
                        config(Duration.ofSeconds(2)), random);
            } catch (SessionException e) {
                throw new RuntimeException(e);
            }
        });
        // the stranger connects to B's punching port and plays initiator: a nonce, a forged proof, a forged choice
        Socket stranger = null;
        for (int i = 0; i < 50 && stranger == null; i++) {
            try {
                stranger = new Socket(LOOPBACK, pb);
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        assertTrue(stranger != null, "B listens on its punching port");
        stranger.getOutputStream().write(new byte[dev.tryst.wire.PathProofWire.NONCE_LENGTH + 32]);
        PathRace.Won a = PathRace.run(plan(keys[0], pa, List.of(new InetSocketAddress(LOOPBACK, pb)), k),
                config(Duration.ofSeconds(2)), random);
        PathRace.Won bw = b.get(20, TimeUnit.SECONDS);
        assertTrue(a.direct() && bw.direct());
        exchange(new PathRace.Won[] {a, bw});
        // B answered with its own fresh nonce, then REJECT (zeros) for the forged proof, and hung up: it
        // reveals its proof only to whoever proved the key first
        byte[] seen = stranger.getInputStream().readAllBytes();
        assertEquals(dev.tryst.wire.PathProofWire.NONCE_LENGTH + 32, seen.length, "B's nonce, REJECT, the end: no proof, no records");
        assertEquals(List.of(), java.util.stream.IntStream.range(dev.tryst.wire.PathProofWire.NONCE_LENGTH, seen.length)
                .filter(i -> seen[i] != 0).boxed().toList(), "REJECT is all zeros");
        stranger.close();
        a.session().close();
        bw.session().close();
        assertEquals(0, pathThreads());
    }

    @Test
    void whenBothDirectionsConnectExactlyOnePathIsKept() throws Exception {
        // each side listens and dials the other at once: up to two connections form; one carries the session
        for (int round = 0; round < 5; round++) {
            int pa = freePort();
            int pb = freePort();
            var keys = agree("7-x", "7-x");
            byte[] k = key();
            PathRace.Won[] won = race(
                    plan(keys[0], pa, List.of(new InetSocketAddress(LOOPBACK, pb)), k),
                    plan(keys[1], pb, List.of(new InetSocketAddress(LOOPBACK, pa)), k),
                    Duration.ofSeconds(5));
            exchange(won);
            byte[] back = "and back".getBytes();
            won[1].session().channel().send(back);
            assertEquals("and back", text(won[0].session().channel().receive()));
            won[0].session().close();
            won[1].session().close();
        }
        assertEquals(0, pathThreads());
    }

    /** Two paths proven with one agreement never share a key: the same plaintext seals differently. */
    @Test
    void everyPathHasItsOwnKeys() throws Exception {
        var keys = agree("42-code", "42-code");
        byte[][] first = new byte[2][];
        for (int path = 0; path < 2; path++) {
            try (var server = java.nio.channels.ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
                 var a = java.nio.channels.SocketChannel.open(server.getLocalAddress());
                 var b = server.accept()) {
                CompletableFuture<dev.tryst.channel.PathKeys.ProvenPath> responder = CompletableFuture.supplyAsync(() -> {
                    try {
                        var p = keys[1].prove(b, random);
                        p.awaitSelect(b);
                        return p;
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                var p = keys[0].prove(a, random);
                p.select(a);
                responder.get(10, TimeUnit.SECONDS);
                p.channel(a).send("same".getBytes());
                ByteBuffer record = ByteBuffer.allocate(4 + 4 + 16); // header, "same", tag
                while (record.hasRemaining()) {
                    b.read(record);
                }
                first[path] = record.array();
            }
        }
        assertFalse(java.util.Arrays.equals(first[0], first[1]), "the first record of two paths must differ");
    }

    /**
     * Finding 6: after a direct path died, the first side back at the relay waits there up to half
     * a minute for the other. Someone who read the relay key off the plain-TCP relay connection can
     * pair with it first; their proof fails, and that used to end the session as "the codes did not
     * match". The keys were proven on the direct path already, so it is a stranger: turned away, and
     * the real peer, coming later, still meets us.
     */
    @Test
    void finding6_aStrangerAtTheRelayDuringAFallbackIsTurnedAwayAndThePeerStillMeetsUs() throws Exception {
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        var pi = plan(keys[0], 0, List.of(), k);
        var pr = plan(keys[1], 0, List.of(), k);
        CompletableFuture<PathRace.Won> initiator = CompletableFuture.supplyAsync(() -> {
            try {
                return PathRace.relayOnly(pi, config(Duration.ZERO), random);
            } catch (SessionException e) {
                throw new RuntimeException(e);
            }
        });
        dev.tryst.net.Await.until("the initiator waits at the relay", () -> relay.stats().waitingKeys() == 1);
        try (var stranger = dev.tryst.relay.RelayClient.dial(relay.address(), k, Duration.ofSeconds(5))) {
            ByteBuffer lie = ByteBuffer.allocate(16 + 32); // a nonce and a made-up proof
            new SecureRandom().nextBytes(lie.array());
            while (lie.hasRemaining()) {
                stranger.write(lie);
            }
            ByteBuffer sink = ByteBuffer.allocate(1024);
            while (stranger.read(sink.clear()) >= 0) {
                // the initiator's nonce and proof, then it hangs up on us
            }
        }
        dev.tryst.net.Await.until("the initiator waits at the relay again", () -> relay.stats().waitingKeys() == 1);
        PathRace.Won r = PathRace.relayOnly(pr, config(Duration.ZERO), random);
        PathRace.Won i = initiator.get(30, TimeUnit.SECONDS);
        exchange(new PathRace.Won[] {i, r});
        i.session().close();
        r.session().close();
    }

    @Test
    void aFallbackPathToTheRelayWorksWithTheSameAgreement() throws Exception {
        int pa = freePort();
        int pb = freePort();
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        var pi = plan(keys[0], pa, List.of(new InetSocketAddress(LOOPBACK, pb)), k);
        var pr = plan(keys[1], pb, List.of(new InetSocketAddress(LOOPBACK, pa)), k);
        PathRace.Won[] direct = race(pi, pr, Duration.ofSeconds(3));
        assertTrue(direct[0].direct());
        direct[0].session().close();
        direct[1].session().close();
        CompletableFuture<PathRace.Won> r = CompletableFuture.supplyAsync(() -> {
            try {
                return PathRace.relayOnly(pr, config(Duration.ofSeconds(3)), random);
            } catch (SessionException e) {
                throw new RuntimeException(e);
            }
        });
        PathRace.Won i = PathRace.relayOnly(pi, config(Duration.ofSeconds(3)), random);
        PathRace.Won[] relayed = {i, r.get(20, TimeUnit.SECONDS)};
        assertFalse(relayed[0].direct());
        exchange(relayed);
        relayed[0].session().close();
        relayed[1].session().close();
    }

    /**
     * A port that nobody listens on (connections are refused) until opened, then forwards both ways
     * to {@code target}: a direct path that exists only from a moment on, as when a NAT mapping appears late.
     */
    private static final class LateDoor implements AutoCloseable {
        private final int port = freePort();
        private final int target;
        private volatile ServerSocket server;

        LateDoor(int target) throws IOException {
            this.target = target;
        }

        InetSocketAddress address() {
            return new InetSocketAddress(LOOPBACK, port);
        }

        void open() {
            try {
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(address());
                server = s;
                Thread.ofVirtual().start(() -> run(s));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }

        private void run(ServerSocket s) {
            while (!s.isClosed()) {
                try {
                    Socket in = s.accept();
                    Socket out = new Socket(LOOPBACK, target);
                    Thread.ofVirtual().start(() -> pump(in, out));
                    Thread.ofVirtual().start(() -> pump(out, in));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void pump(Socket from, Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
                to.shutdownOutput();
            } catch (IOException e) {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // both gone
                }
            }
        }

        @Override
        public void close() throws IOException {
            if (server != null) {
                server.close();
            }
        }
    }

    /**
     * Relay first, then direct: the relay carries the session from the start while the direct path
     * is still shut; once it opens, the session moves onto it between two records, and a stream of
     * numbered records sent both ways across the move arrives complete and in order, the rest of it
     * past the relay.
     */
    @Test
    void aSessionStartedOnTheRelayMovesToADirectPathFoundLaterWithoutLosingARecord() throws Exception {
        int pa = freePort();
        int pb = freePort();
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        try (LateDoor door = new LateDoor(pb)) {
            // A dials B's punching port through the door; B's own attempts go nowhere
            PathRace.Won[] won = race(
                    plan(keys[0], pa, List.of(door.address()), k),
                    plan(keys[1], pb, List.of(new InetSocketAddress(LOOPBACK, freePort())), k),
                    Duration.ZERO);
            assertFalse(won[0].direct() || won[1].direct(), "the relay first: direct is shut");
            java.util.List<String> paths = new java.util.concurrent.CopyOnWriteArrayList<>();
            won[1].session().watchPath(paths::add, paths::add);
            int n = 4000;
            java.util.concurrent.atomic.AtomicLong relayedBeforeOpen = new java.util.concurrent.atomic.AtomicLong();
            CompletableFuture<Void> sendA = CompletableFuture.runAsync(() -> numbered(won[0].session(), n, 1000, () -> {
                relayedBeforeOpen.set(relay.stats().bytesFirstToSecond() + relay.stats().bytesSecondToFirst());
                door.open();
            }));
            CompletableFuture<Void> sendB = CompletableFuture.runAsync(() -> numbered(won[1].session(), n, -1, null));
            expectNumbered(won[1].session(), n);
            expectNumbered(won[0].session(), n);
            sendA.get(30, TimeUnit.SECONDS);
            sendB.get(30, TimeUnit.SECONDS);
            dev.tryst.net.Await.until("both sides moved", () -> won[0].session().path().startsWith("direct")
                    && won[1].session().path().startsWith("direct"));
            assertEquals(2, paths.size(), paths.toString());
            assertTrue(paths.get(0).startsWith("relayed via ") && paths.get(1).startsWith("direct, tcp "), paths.toString());
            long relayed = relay.stats().bytesFirstToSecond() + relay.stats().bytesSecondToFirst();
            // after the move the relay carries nothing more: send a megabyte each way and count again
            byte[] big = new byte[60_000];
            for (int i = 0; i < 20; i++) {
                won[0].session().channel().send(big);
                assertEquals(big.length, won[1].session().channel().receive().remaining());
                won[1].session().channel().send(big);
                assertEquals(big.length, won[0].session().channel().receive().remaining());
            }
            assertEquals(relayed, relay.stats().bytesFirstToSecond() + relay.stats().bytesSecondToFirst(),
                    "bytes passed the relay after the move");
            assertTrue(relayedBeforeOpen.get() > 0, "the first records went through the relay");
            dev.tryst.net.Await.until("the relay pair is closed once both directions left it", () -> relay.stats().activePairs() == 0);
            won[0].session().close();
            won[1].session().close();
        }
        dev.tryst.net.Await.until("no race thread left", () -> pathThreads() == 0);
    }

    private static java.net.DatagramSocket udpSocket() throws IOException {
        return java.nio.channels.DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0)).socket();
    }

    private static PathRace.Udp udpTo(java.net.DatagramSocket mine, java.net.DatagramSocket theirs) {
        return new PathRace.Udp(mine, (InetSocketAddress) theirs.getLocalSocketAddress(), List.of());
    }

    /**
     * Only UDP punches (no TCP endpoint, as between a cone and a symmetric NAT): the session starts
     * on the relay and moves onto QUIC over the punched sockets, mid-stream, without losing a record.
     */
    @Test
    void aSessionStartedOnTheRelayMovesToQuicOverThePunchedUdpPath() throws Exception {
        var keys = agree("42-code", "42-code");
        byte[] k = key();
        java.net.DatagramSocket ua = udpSocket();
        java.net.DatagramSocket ub = udpSocket();
        PathRace.Won[] won = race(plan(keys[0], 0, List.of(), k).withUdp(udpTo(ua, ub)),
                plan(keys[1], 0, List.of(), k).withUdp(udpTo(ub, ua)), Duration.ZERO);
        assertFalse(won[0].direct() || won[1].direct(), "the relay first: the punch takes longer");
        java.util.List<String> paths = new java.util.concurrent.CopyOnWriteArrayList<>();
        won[1].session().watchPath(paths::add, paths::add);
        int n = 3000;
        CompletableFuture<Void> sendA = CompletableFuture.runAsync(() -> numbered(won[0].session(), n, 500, null));
        CompletableFuture<Void> sendB = CompletableFuture.runAsync(() -> numbered(won[1].session(), n, -1, null));
        expectNumbered(won[1].session(), n);
        expectNumbered(won[0].session(), n);
        sendA.get(60, TimeUnit.SECONDS);
        sendB.get(60, TimeUnit.SECONDS);
        dev.tryst.net.Await.until("both sides moved", () -> won[0].session().path().startsWith("direct")
                && won[1].session().path().startsWith("direct"));
        assertTrue(paths.size() == 2 && paths.get(1).startsWith("direct, quic "), paths.toString());
        long relayed = relay.stats().bytesFirstToSecond() + relay.stats().bytesSecondToFirst();
        byte[] big = new byte[60_000];
        for (int i = 0; i < 10; i++) {
            won[0].session().channel().send(big);
            assertEquals(big.length, won[1].session().channel().receive().remaining());
        }
        assertEquals(relayed, relay.stats().bytesFirstToSecond() + relay.stats().bytesSecondToFirst(),
                "bytes passed the relay after the move");
        won[0].session().close();
        won[1].session().close();
        dev.tryst.net.Await.until("no race thread left", () -> pathThreads() == 0);
        assertTrue(ua.isClosed() && ub.isClosed(), "the UDP sockets closed with the session");
    }

    /** No relay at all and no TCP: the punched UDP path carries the session from the start. */
    @Test
    void withoutARelayQuicCarriesTheSessionFromTheStart() throws Exception {
        var keys = agree("42-code", "42-code");
        java.net.DatagramSocket ua = udpSocket();
        java.net.DatagramSocket ub = udpSocket();
        PathRace.Won[] won = race(
                new PathRace.Plan(keys[0], 0, List.of(), null, null, Duration.ofSeconds(30), Duration.ofSeconds(30), false)
                        .withUdp(udpTo(ua, ub)),
                new PathRace.Plan(keys[1], 0, List.of(), null, null, Duration.ofSeconds(30), Duration.ofSeconds(30), false)
                        .withUdp(udpTo(ub, ua)),
                Duration.ZERO);
        assertTrue(won[0].direct() && won[1].direct());
        assertTrue(won[0].session().path().startsWith("direct, quic 127.0.0.1:"), won[0].session().path());
        exchange(won);
        won[0].session().close();
        won[1].session().close();
        dev.tryst.net.Await.until("no race thread left", () -> pathThreads() == 0);
    }

    /** Sends records "0".."n-1"; after record {@code at}, runs {@code then} once (and paces a little so the move falls mid-stream). */
    private static void numbered(dev.tryst.session.Session s, int n, int at, Runnable then) {
        try {
            for (int i = 0; i < n; i++) {
                s.channel().send(Integer.toString(i).getBytes());
                if (i == at && then != null) {
                    then.run();
                }
                if (at >= 0 && i == 2 * at) { // half the stream on each side of the move
                    dev.tryst.net.Await.until("moved", () -> s.path().startsWith("direct"));
                }
                if (i % 10 == 0) {
                    Thread.sleep(2);
                }
            }
        } catch (IOException | InterruptedException e) {
            throw new RuntimeException(e);
        }
    }

    private static void expectNumbered(dev.tryst.session.Session s, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            assertEquals(Integer.toString(i), text(s.channel().receive()), "record " + i);
        }
    }
}
