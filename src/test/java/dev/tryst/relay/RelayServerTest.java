package dev.tryst.relay;

import static dev.tryst.relay.RelayTestSupport.await;
import static dev.tryst.relay.RelayTestSupport.closedWithin;
import static dev.tryst.relay.RelayTestSupport.dial;
import static dev.tryst.relay.RelayTestSupport.quietFor;
import static dev.tryst.relay.RelayTestSupport.randomKey;
import static dev.tryst.relay.RelayTestSupport.readExactly;
import static dev.tryst.relay.RelayTestSupport.receive;
import static dev.tryst.relay.RelayTestSupport.sendRandom;
import static dev.tryst.relay.RelayTestSupport.testConfig;
import static dev.tryst.relay.RelayTestSupport.writeAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RelayServerTest {
    private static final long MIB = 1 << 20;
    private static final Duration GENEROUS = Duration.ofSeconds(10);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    private RelayServer start(RelayConfig config) throws IOException {
        return start(config, dev.tryst.net.Ticker.SYSTEM);
    }

    private RelayServer start(RelayConfig config, dev.tryst.net.Ticker ticker) throws IOException {
        RelayServer relay = RelayServer.start(config, ticker);
        toClose.add(relay);
        return relay;
    }

    /** Waits until the relay has swept twice more: whatever was due on its ticker has been seen. */
    private static void sweptTwice(RelayServer relay) throws InterruptedException {
        long s = relay.sweeps();
        await("two more sweeps", GENEROUS, () -> relay.sweeps() >= s + 2);
    }

    private SocketChannel client(RelayServer relay, byte[] key) throws IOException {
        SocketChannel ch = dial(relay, key);
        toClose.add(ch);
        return ch;
    }

    private SocketChannel rawClient(RelayServer relay) throws IOException {
        SocketChannel ch = SocketChannel.open(relay.address());
        toClose.add(ch);
        return ch;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void hundredMibEachWaySimultaneouslyThenHalfClose() throws Exception {
        RelayServer relay = start(testConfig());
        byte[] key = randomKey();
        SocketChannel a = client(relay, key);
        SocketChannel b = client(relay, key);
        long size = 100 * MIB;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<byte[]> aSent = ex.submit(() -> sendRandom(a, size, 1));
            Future<byte[]> bSent = ex.submit(() -> sendRandom(b, size, 2));
            Future<byte[]> aGot = ex.submit(() -> receive(a, size));
            Future<byte[]> bGot = ex.submit(() -> receive(b, size));
            assertArrayEquals(aSent.get(), bGot.get(), "A -> B intact");
            assertArrayEquals(bSent.get(), aGot.get(), "B -> A intact");
        }
        assertEquals(1, relay.stats().activePairs());

        // Half-close: A is done sending, B keeps talking and A keeps listening.
        a.shutdownOutput();
        assertTrue(closedWithin(b, GENEROUS), "B sees A's EOF");
        byte[] late = "still talking after your EOF".getBytes(StandardCharsets.UTF_8);
        writeAll(b, late);
        assertArrayEquals(late, readExactly(a, late.length));
        b.shutdownOutput();
        assertTrue(closedWithin(a, GENEROUS), "A sees B's EOF");

        await("pair ended", GENEROUS, () -> relay.stats().activePairs() == 0 && relay.stats().activeConnections() == 0);
        RelayStats s = relay.stats();
        assertEquals(1, s.pairsStapled());
        assertEquals(2 * size + late.length, s.bytesRelayed());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void bytesSentWithTheKeyBeforeThePeerArrivesAreForwarded() throws Exception {
        RelayServer relay = start(testConfig());
        byte[] key = randomKey();
        byte[] hello = new byte[1000];
        ThreadLocalRandom.current().nextBytes(hello);
        SocketChannel a = rawClient(relay);
        ByteBuffer both = ByteBuffer.allocate(key.length + hello.length).put(key).put(hello).flip();
        while (both.hasRemaining()) {
            a.write(both);
        }
        await("A waiting, its early bytes read and held", GENEROUS,
                () -> relay.stats().waitingKeys() == 1 && relay.stats().earlyBytes() == RelayServer.PROBE_SIZE); // its probe is full
        SocketChannel b = client(relay, key);
        assertArrayEquals(hello, readExactly(b, hello.length));
        a.shutdownOutput();
        assertTrue(closedWithin(b, GENEROUS), "exactly those bytes, then EOF");
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aLoneKeyIsDroppedAfterTheWaitTimeout() throws Exception {
        var clock = new dev.tryst.net.FakeTicker();
        RelayServer relay = start(testConfig().withWaitTimeout(Duration.ofSeconds(600)), clock);
        SocketChannel a = client(relay, randomKey());
        await("waiting", GENEROUS, () -> relay.stats().waitingKeys() == 1);
        clock.advance(Duration.ofSeconds(599));
        sweptTwice(relay);
        assertEquals(1, relay.stats().waitingKeys(), "not before the wait timeout");
        clock.advance(Duration.ofSeconds(2));
        assertTrue(closedWithin(a, GENEROUS));
        await("wait timeout counted", GENEROUS, () -> relay.stats().waitTimeouts() == 1);
        await("gauges back to 0", GENEROUS,
                () -> relay.stats().waitingKeys() == 0 && relay.stats().activeConnections() == 0);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aThirdConnectionForAStapledKeyIsRefusedAndThePairCarriesOn() throws Exception {
        RelayServer relay = start(testConfig());
        byte[] key = randomKey();
        SocketChannel a = client(relay, key);
        SocketChannel b = client(relay, key);
        writeAll(a, "ping".getBytes(StandardCharsets.UTF_8));
        assertEquals("ping", new String(readExactly(b, 4), StandardCharsets.UTF_8));

        SocketChannel c = client(relay, key);
        assertTrue(closedWithin(c, GENEROUS), "third connection closed");
        assertEquals(1, relay.stats().refusedKeyStapled());

        writeAll(b, "pong".getBytes(StandardCharsets.UTF_8));
        assertEquals("pong", new String(readExactly(a, 4), StandardCharsets.UTF_8));
        writeAll(a, "ping".getBytes(StandardCharsets.UTF_8));
        assertEquals("ping", new String(readExactly(b, 4), StandardCharsets.UTF_8));
        assertEquals(1, relay.stats().activePairs());
        assertEquals(1, relay.stats().pairsStapled());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aStalledHandshakeIsCutAtTheDeadline() throws Exception {
        var clock = new dev.tryst.net.FakeTicker();
        RelayServer relay = start(testConfig().withHandshakeTimeout(Duration.ofSeconds(10)), clock);
        SocketChannel a = rawClient(relay);
        writeAll(a, new byte[10]);
        await("admitted", GENEROUS, () -> relay.stats().activeConnections() == 1);
        clock.advance(Duration.ofSeconds(10).minusMillis(1));
        sweptTwice(relay);
        assertEquals(0, relay.stats().handshakeTimeouts(), "not before the deadline");
        clock.advance(Duration.ofMillis(2));
        assertTrue(closedWithin(a, GENEROUS));
        await("handshake timeout counted", GENEROUS, () -> relay.stats().handshakeTimeouts() == 1);
        assertEquals(0, relay.stats().waitingKeys());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void anIdlePairIsClosedOnBothSides() throws Exception {
        var clock = new dev.tryst.net.FakeTicker();
        RelayServer relay = start(testConfig().withIdleTimeout(Duration.ofSeconds(300)), clock);
        byte[] key = randomKey();
        SocketChannel a = client(relay, key);
        SocketChannel b = client(relay, key);
        writeAll(a, new byte[] {42});
        assertEquals(42, readExactly(b, 1)[0]);
        await("the byte counted, the pair touched", GENEROUS, () -> relay.stats().bytesRelayed() == 1);
        clock.advance(Duration.ofSeconds(301));
        assertTrue(closedWithin(a, GENEROUS));
        assertTrue(closedWithin(b, GENEROUS));
        await("idle timeout counted", GENEROUS, () -> relay.stats().idleTimeouts() == 1);
        await("gauges back to 0", GENEROUS,
                () -> relay.stats().activePairs() == 0 && relay.stats().activeConnections() == 0);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void trafficKeepsAPairAliveBeyondTheIdleTimeout() throws Exception {
        var clock = new dev.tryst.net.FakeTicker();
        RelayServer relay = start(testConfig().withIdleTimeout(Duration.ofSeconds(300)), clock);
        byte[] key = randomKey();
        SocketChannel a = client(relay, key);
        SocketChannel b = client(relay, key);
        for (int i = 0; i < 10; i++) { // 2000 s in all, a byte every 200 s: well past the 300 s idle timeout
            clock.advance(Duration.ofSeconds(200));
            writeAll(a, new byte[] {(byte) i});
            assertEquals(i, readExactly(b, 1)[0]);
            int relayed = i + 1;
            await("the byte counted, the pair touched", GENEROUS, () -> relay.stats().bytesRelayed() == relayed);
            sweptTwice(relay);
        }
        assertEquals(0, relay.stats().idleTimeouts());
        assertEquals(1, relay.stats().activePairs());
    }

    /** Finding 12: the relay takes new connections at a bounded rate in all, measured on its clock. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void finding12_newConnectionsBeyondTheAcceptRateAreRefused() throws Exception {
        var clock = new dev.tryst.net.FakeTicker();
        RelayServer relay = start(testConfig().withAcceptRate(1), clock); // bursts of 2
        rawClient(relay);
        rawClient(relay);
        await("two admitted", GENEROUS, () -> relay.stats().activeConnections() == 2);
        SocketChannel third = rawClient(relay);
        assertTrue(closedWithin(third, GENEROUS), "refused: over the rate");
        assertEquals(1, relay.stats().refusedConnections());
        clock.advance(Duration.ofSeconds(1));
        rawClient(relay);
        await("one more a second later", GENEROUS, () -> relay.stats().activeConnections() == 3);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void perAddressLimitRefusesAndCounts() throws Exception {
        RelayServer relay = start(testConfig().withMaxPerAddress(3));
        for (int i = 0; i < 3; i++) {
            rawClient(relay);
        }
        await("3 admitted", GENEROUS, () -> relay.stats().activeConnections() == 3);
        SocketChannel extra = rawClient(relay);
        assertTrue(closedWithin(extra, GENEROUS));
        await("refusal counted", GENEROUS, () -> relay.stats().refusedPerAddress() == 1);
        assertEquals(3, relay.stats().activeConnections());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void maxConnectionsRefusesAndCounts() throws Exception {
        RelayServer relay = start(testConfig().withMaxConnections(2));
        rawClient(relay);
        rawClient(relay);
        await("2 admitted", GENEROUS, () -> relay.stats().activeConnections() == 2);
        assertTrue(closedWithin(rawClient(relay), GENEROUS));
        await("refusal counted", GENEROUS, () -> relay.stats().refusedConnections() == 1);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void maxWaitingRefusesNewKeysButWaitersStillStaple() throws Exception {
        RelayServer relay = start(testConfig().withMaxWaiting(2));
        byte[] k1 = randomKey();
        SocketChannel w1 = client(relay, k1);
        client(relay, randomKey());
        await("2 waiting", GENEROUS, () -> relay.stats().waitingKeys() == 2);
        SocketChannel third = client(relay, randomKey());
        assertTrue(closedWithin(third, GENEROUS));
        await("refusal counted", GENEROUS, () -> relay.stats().refusedWaiting() == 1);
        // A peer for a waiting key is not a new waiter: it staples.
        SocketChannel p1 = client(relay, k1);
        writeAll(p1, new byte[] {7});
        assertEquals(7, readExactly(w1, 1)[0]);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void maxPairsRefusesTheSecondArrivalAndKeepsTheWaiter() throws Exception {
        RelayServer relay = start(testConfig().withMaxPairs(1));
        byte[] k1 = randomKey(), k2 = randomKey();
        client(relay, k1);
        client(relay, k1);
        SocketChannel w2 = client(relay, k2);
        await("1 pair, 1 waiting", GENEROUS,
                () -> relay.stats().activePairs() == 1 && relay.stats().waitingKeys() == 1);
        SocketChannel p2 = client(relay, k2);
        assertTrue(closedWithin(p2, GENEROUS));
        assertEquals(1, relay.stats().refusedPairs());
        assertEquals(1, relay.stats().waitingKeys());
        assertTrue(quietFor(w2, Duration.ofMillis(100)), "waiter untouched");
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aWaiterThatHangsUpFreesItsKeyForARetry() throws Exception {
        RelayServer relay = start(testConfig());
        byte[] key = randomKey();
        SocketChannel gone = client(relay, key);
        await("waiting", GENEROUS, () -> relay.stats().waitingKeys() == 1);
        gone.close();
        // withdrawn, then counted: both, whatever moment the stats are read in between
        await("withdrawn and counted as abandoned", GENEROUS,
                () -> relay.stats().waitingKeys() == 0 && relay.stats().waitAbandoned() == 1);
        SocketChannel a = client(relay, key);
        SocketChannel b = client(relay, key);
        writeAll(b, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, readExactly(a, 3));
        assertEquals(1, relay.stats().pairsStapled());
    }

    /** A tryst client sends its HELLO right behind the key: its hang-up must still free the key at once. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aWaiterThatSentEarlyBytesAndHangsUpIsStillNoticed() throws Exception {
        RelayServer relay = start(testConfig());
        byte[] key = randomKey();
        SocketChannel gone = client(relay, key);
        writeAll(gone, new byte[39]);
        await("waiting", GENEROUS, () -> relay.stats().waitingKeys() == 1);
        gone.close();
        // withdrawn, then counted: both, whatever moment the stats are read in between
        await("withdrawn and counted as abandoned", GENEROUS,
                () -> relay.stats().waitingKeys() == 0 && relay.stats().waitAbandoned() == 1);
        // A retry with the same key waits for a live peer instead of getting the dead one's bytes.
        SocketChannel a = client(relay, key);
        SocketChannel b = client(relay, key);
        writeAll(a, new byte[] {7});
        assertArrayEquals(new byte[] {7}, readExactly(b, 1));
    }

    /** The waiter's early bytes reach the newcomer without the waiter sending anything more, in order. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void earlyBytesFlowWhileTheWaiterWaitsForAReply() throws Exception {
        RelayServer relay = start(testConfig());
        byte[] key = randomKey();
        SocketChannel a = client(relay, key);
        writeAll(a, "hello".getBytes());
        await("waiting, its early bytes read and held", GENEROUS,
                () -> relay.stats().waitingKeys() == 1 && relay.stats().earlyBytes() == 5);
        SocketChannel b = client(relay, key);
        assertArrayEquals("hello".getBytes(), readExactly(b, 5));
        writeAll(b, "world".getBytes());
        assertArrayEquals("world".getBytes(), readExactly(a, 5));
        for (int i = 0; i < 50; i++) {
            writeAll(a, new byte[] {(byte) i});
        }
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(new byte[] {(byte) i}, readExactly(b, 1));
        }
        a.shutdownOutput();
        assertTrue(closedWithin(b, GENEROUS));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void manyPairsAtOnceEachGetTheirOwnPeer() throws Exception {
        RelayServer relay = start(testConfig().withMaxPerAddress(1000)); // all of it comes from 127.0.0.1
        int n = 200;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] key = randomKey();
                for (int side = 0; side < 2; side++) {
                    byte mine = (byte) side;
                    fs.add(ex.submit(() -> {
                        try (SocketChannel ch = dial(relay, key)) {
                            ByteBuffer msg = ByteBuffer.allocate(34).put(key).put(mine).flip();
                            writeAll(ch, msg.array());
                            byte[] got = readExactly(ch, 34);
                            assertArrayEquals(java.util.Arrays.copyOf(key, 33), java.util.Arrays.copyOf(got, 33));
                            assertEquals(1 - mine, got[33]);
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        assertEquals(n, relay.stats().pairsStapled());
        await("all ended", GENEROUS, () -> relay.stats().activeConnections() == 0);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void nothingIsLeftBehind() throws Exception {
        // The JDK opens some descriptors lazily, once per process (virtual-thread pollers' epoll
        // fds and the like): run one full cycle first so the baseline already includes them.
        try (RelayServer warm = RelayServer.start(testConfig())) {
            byte[] k = randomKey();
            try (SocketChannel a = dial(warm, k); SocketChannel b = dial(warm, k)) {
                writeAll(a, new byte[] {1});
                readExactly(b, 1);
            }
        }
        Map<String, String> fdsBefore = RelayTestSupport.openFds();
        RelayServer relay = RelayServer.start(testConfig().withHandshakeTimeout(Duration.ofSeconds(30)));
        byte[] key = randomKey();
        try (SocketChannel a = dial(relay, key); SocketChannel b = dial(relay, key)) {
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<byte[]> sent = ex.submit(() -> sendRandom(a, 8 * MIB, 3));
                byte[] got = receive(b, 8 * MIB); // read before joining the sender: 8 MiB may not fit in socket buffers
                assertArrayEquals(sent.get(), got);
            }
        }
        await("pair ended", GENEROUS, () -> relay.stats().activeConnections() == 0 && relay.stats().activePairs() == 0);
        await("only accept + sweeper remain", GENEROUS, () -> relay.stats().liveThreads() == 2);

        // Leave some connections hanging in every phase, then close the relay under them.
        List<SocketChannel> hanging = new ArrayList<>();
        try {
            hanging.add(SocketChannel.open(relay.address()));            // handshake
            hanging.add(dial(relay, randomKey()));                       // waiting
            byte[] k = randomKey();
            hanging.add(dial(relay, k));
            hanging.add(dial(relay, k));                                 // stapled
            await("4 connections", GENEROUS, () -> relay.stats().activeConnections() == 4
                    && relay.stats().activePairs() == 1 && relay.stats().waitingKeys() == 1);
            relay.close();
            RelayStats s = relay.stats();
            assertEquals(0, s.activeConnections());
            assertEquals(0, s.activePairs());
            assertEquals(0, s.waitingKeys());
            assertEquals(0, s.liveThreads(), "no relay- thread alive");
            for (SocketChannel ch : hanging) {
                assertTrue(closedWithin(ch, GENEROUS));
            }
        } finally {
            for (SocketChannel ch : hanging) {
                ch.close();
            }
        }
        Map<String, String> fdsAfter = RelayTestSupport.openFds();
        Map<String, String> added = new TreeMap<>(fdsAfter);
        added.entrySet().removeAll(fdsBefore.entrySet());
        assertTrue(added.size() <= 2, "descriptors left open: " + added);
    }
}
