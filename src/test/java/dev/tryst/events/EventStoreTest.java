package dev.tryst.events;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.wire.Bytes;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class EventStoreTest {

    private static final long T0 = 1_800_000_000_000L;
    private static final Bytes ALICE = id(1);
    private static final Bytes BOB = id(2);

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(T0);

    private static Bytes id(int b) {
        byte[] id = new byte[32];
        Arrays.fill(id, (byte) b);
        return Bytes.of(id);
    }

    private static Bytes text(String s) {
        return Bytes.of(s.getBytes(StandardCharsets.UTF_8));
    }

    private EventStore open() {
        return EventStore.open(dir, EventLimits.defaults(), clock);
    }

    private static List<Long> orders(List<Event> events) {
        return events.stream().map(Event::order).toList();
    }

    @Test
    void ordersIncreasePerIdentityIndependently() throws Exception {
        try (EventStore store = open()) {
            assertEquals(0, store.lastOrder(ALICE));
            assertEquals(1, store.append(ALICE, (byte) 1, text("a1")));
            assertEquals(2, store.append(ALICE, (byte) 1, text("a2")));
            assertEquals(1, store.append(BOB, (byte) 1, text("b1")));
            assertEquals(3, store.append(ALICE, (byte) 1, text("a3")));
            assertEquals(2, store.append(BOB, (byte) 1, text("b2")));
            assertEquals(3, store.lastOrder(ALICE));
            assertEquals(2, store.lastOrder(BOB));
            assertEquals(List.of(1L, 2L, 3L), orders(store.after(ALICE, 0, 100)));
            assertEquals(List.of(1L, 2L), orders(store.after(BOB, 0, 100)));
        }
    }

    @Test
    void afterReturnsExactlyTheMissedOnesInOrderWithTheirFields() throws Exception {
        try (EventStore store = open()) {
            for (int i = 1; i <= 10; i++) {
                clock.advance(Duration.ofSeconds(1));
                store.append(ALICE, (byte) i, text("e" + i));
            }
            List<Event> missed = store.after(ALICE, 6, 100);
            assertEquals(List.of(7L, 8L, 9L, 10L), orders(missed));
            Event seven = missed.getFirst();
            assertEquals(new Event(ALICE, 7, T0 + 7000, (byte) 7, text("e7")), seven);
            assertEquals(List.of(7L, 8L), orders(store.after(ALICE, 6, 2)));
            assertEquals(List.of(), store.after(ALICE, 10, 100));
            assertEquals(List.of(), store.after(BOB, 0, 100));
            assertThrows(IllegalArgumentException.class, () -> store.after(ALICE, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> store.after(Bytes.of(new byte[31]), 0, 1));
        }
    }

    @Test
    void acknowledgeRemovesButOrdersContinue() throws Exception {
        try (EventStore store = open()) {
            for (int i = 0; i < 5; i++) {
                store.append(ALICE, (byte) 0, text("x"));
            }
            store.append(BOB, (byte) 0, text("y"));
            store.acknowledge(ALICE, 3);
            assertEquals(List.of(4L, 5L), orders(store.after(ALICE, 0, 100)));
            store.acknowledge(ALICE, 5);
            assertEquals(List.of(), store.after(ALICE, 0, 100));
            assertEquals(6, store.append(ALICE, (byte) 0, text("z")), "orders are never reused after acknowledge");
            assertEquals(List.of(1L), orders(store.after(BOB, 0, 100)), "other identities untouched");
        }
    }

    @Test
    void everythingSurvivesCloseAndReopenAndOrdersContinue() throws Exception {
        try (EventStore store = open()) {
            for (int i = 1; i <= 20; i++) {
                store.append(ALICE, (byte) 3, text("persist " + i));
            }
            store.append(BOB, (byte) 4, Bytes.of());
            store.acknowledge(ALICE, 5);
            store.acceptSequence(ALICE, 1);
            store.acceptSequence(ALICE, 2);
        }
        try (EventStore store = open()) {
            List<Event> events = store.after(ALICE, 0, 1000);
            assertEquals(15, events.size());
            for (int i = 0; i < 15; i++) {
                assertEquals(6 + i, events.get(i).order());
                assertEquals(text("persist " + (6 + i)), events.get(i).payload());
            }
            assertEquals(new Event(BOB, 1, T0, (byte) 4, Bytes.of()), store.after(BOB, 0, 10).getFirst());
            assertEquals(21, store.append(ALICE, (byte) 3, text("after reopen")));
            assertEquals(2, store.lastSequence(ALICE));
            store.acknowledge(ALICE, 21);
        }
        try (EventStore store = open()) {
            assertEquals(22, store.append(ALICE, (byte) 3, text("even with nothing stored")));
        }
    }

    @Test
    void everyOrderPrintedByAKilledProcessIsThere() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        // stdout to a file, not a pipe: destroying a Process closes its pipes, losing unread lines.
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), dir.resolve("state").toString(), "9")
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Files.readString(out).lines().count() < 150) {
                assertTrue(child.isAlive(), () -> "child died early: " + readQuietly(err));
                assertTrue(System.nanoTime() < deadline, "child too slow");
                Thread.sleep(10);
            }
            child.destroyForcibly(); // SIGKILL while it is appending
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        // Only whole lines count: the kill may cut the last one.
        String[] lines = Files.readString(out, StandardCharsets.US_ASCII).split("\n", -1);
        List<Long> printed = new ArrayList<>();
        for (int i = 0; i < lines.length - 1; i++) {
            printed.add(Long.parseLong(lines[i]));
        }
        assertTrue(printed.size() >= 150, "printed " + printed.size());
        // The child stamped its events with the system clock: read them with it, or they look expired.
        try (EventStore store = EventStore.open(dir.resolve("state"), EventLimits.defaults(), InstantSource.system())) {
            Set<Long> stored = new HashSet<>(orders(store.after(id(9), 0, 1_000_000)));
            for (long order : printed) {
                assertTrue(stored.contains(order), "order " + order + " was acknowledged by the child but is lost");
            }
            assertEquals(List.copyOf(new TreeSet<>(printed)), printed, "printed in increasing order");
            long last = store.lastOrder(id(9));
            assertTrue(last >= printed.getLast());
            assertEquals(last + 1, store.append(id(9), (byte) 0, text("after the crash")));
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "(" + e + ")";
        }
    }

    @Test
    void payloadLimitRefusesAndStoresNothing() throws Exception {
        EventLimits limits = EventLimits.defaults().withMaxPayload(100).withMaxBytes(1000);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            store.append(ALICE, (byte) 0, Bytes.of(new byte[100]));
            var e = assertThrows(EventStoreFullException.class, () -> store.append(ALICE, (byte) 0, Bytes.of(new byte[101])));
            assertEquals(EventStoreFullException.Reason.PAYLOAD_TOO_LARGE, e.reason());
            assertTrue(e.getMessage().contains("101") && e.getMessage().contains("100"), e.getMessage());
            assertEquals(List.of(1L), orders(store.after(ALICE, 0, 100)));
            assertEquals(2, store.append(ALICE, (byte) 0, text("ok")), "a refused event uses no order");
        }
    }

    @Test
    void countLimitRefusesAndStoresNothingUntilAcknowledged() throws Exception {
        EventLimits limits = EventLimits.defaults().withMaxEvents(3);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            for (int i = 0; i < 3; i++) {
                store.append(ALICE, (byte) 0, text("x"));
            }
            var e = assertThrows(EventStoreFullException.class, () -> store.append(ALICE, (byte) 0, text("x")));
            assertEquals(EventStoreFullException.Reason.TOO_MANY_EVENTS, e.reason());
            assertEquals(List.of(1L, 2L, 3L), orders(store.after(ALICE, 0, 100)));
            assertEquals(3, store.lastOrder(ALICE));
            assertEquals(1, store.append(BOB, (byte) 0, text("x")), "the limit is per identity");
            store.acknowledge(ALICE, 1);
            assertEquals(4, store.append(ALICE, (byte) 0, text("x")));
        }
    }

    @Test
    void byteLimitRefusesAndStoresNothing() throws Exception {
        EventLimits limits = EventLimits.defaults().withMaxPayload(400).withMaxBytes(1000);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            store.append(ALICE, (byte) 0, Bytes.of(new byte[400]));
            store.append(ALICE, (byte) 0, Bytes.of(new byte[400]));
            var e = assertThrows(EventStoreFullException.class, () -> store.append(ALICE, (byte) 0, Bytes.of(new byte[201])));
            assertEquals(EventStoreFullException.Reason.TOO_MANY_BYTES, e.reason());
            assertEquals(List.of(1L, 2L), orders(store.after(ALICE, 0, 100)));
            assertEquals(3, store.append(ALICE, (byte) 0, Bytes.of(new byte[200])), "exactly up to the limit fits");
        }
    }

    @Test
    void expireDeletesOnlyEventsOlderThanTheLifetime() throws Exception {
        EventLimits limits = EventLimits.defaults().withLifetime(Duration.ofHours(1)).withMaxEvents(2);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            store.append(ALICE, (byte) 0, text("old"));
            store.append(BOB, (byte) 0, text("old"));
            clock.advance(Duration.ofMinutes(30));
            store.append(ALICE, (byte) 0, text("newer"));
            assertEquals(0, store.expire());
            clock.advance(Duration.ofMinutes(30));
            assertEquals(0, store.expire(), "exactly the lifetime old is still kept");
            clock.advance(Duration.ofMillis(1));
            assertEquals(List.of(2L), orders(store.after(ALICE, 0, 100)), "expired events are not delivered");
            assertEquals(2, store.expire());
            assertEquals(List.of(2L), orders(store.after(ALICE, 0, 100)));
            assertEquals(List.of(), store.after(BOB, 0, 100));
            assertEquals(3, store.append(ALICE, (byte) 0, text("x")), "orders continue after expiry");
            // Alice's box was full (2): an expired event frees its place even before expire() runs.
            clock.advance(Duration.ofMinutes(31));
            assertEquals(4, store.append(ALICE, (byte) 0, text("y")));
            assertEquals(List.of(3L, 4L), orders(store.after(ALICE, 0, 100)));
        }
    }

    @Test
    void sequencesAcceptOnlyTheNextOne() throws Exception {
        try (EventStore store = open()) {
            assertEquals(0, store.lastSequence(ALICE));
            store.acceptSequence(ALICE, 1);
            store.acceptSequence(ALICE, 2);
            assertEquals(2, store.lastSequence(ALICE));

            var replay = assertThrows(SequenceException.class, () -> store.acceptSequence(ALICE, 2));
            assertTrue(replay.replayed());
            assertEquals("replayed sequence 2: expected 3 (last accepted 2)", replay.getMessage());

            var skip = assertThrows(SequenceException.class, () -> store.acceptSequence(ALICE, 5));
            assertFalse(skip.replayed());
            assertEquals(3, skip.expected());
            assertEquals(5, skip.received());
            assertEquals("skipped sequence 5: expected 3 (last accepted 2)", skip.getMessage());

            assertEquals(2, store.lastSequence(ALICE), "refused sequences are not stored");
            assertEquals(0, store.lastSequence(BOB), "sequences are per identity");
            store.acceptSequence(BOB, 1);
            store.acceptSequence(ALICE, 3);

            // Sequences and orders live in the same row without disturbing each other.
            assertEquals(1, store.append(ALICE, (byte) 0, text("x")));
            assertEquals(3, store.lastSequence(ALICE));
            store.acceptSequence(ALICE, 4);
            assertEquals(1, store.lastOrder(ALICE));
        }
        try (EventStore store = open()) {
            assertEquals(4, store.lastSequence(ALICE), "sequences survive a restart");
            assertThrows(SequenceException.class, () -> store.acceptSequence(ALICE, 4));
        }
    }

    @Test
    void concurrentAppendsGetUniqueConsecutiveOrders() throws Exception {
        int threads = 8;
        int each = 25;
        ConcurrentLinkedQueue<Long> orders = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (EventStore store = open()) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit((Callable<Void>) () -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        orders.add(store.append(ALICE, (byte) thread, text(thread + "/" + i)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(20, TimeUnit.SECONDS);
            }
            TreeSet<Long> unique = new TreeSet<>(orders);
            assertEquals(threads * each, orders.size());
            assertEquals(threads * each, unique.size(), "no order given twice");
            assertEquals(1L, unique.first());
            assertEquals((long) threads * each, unique.last(), "no gaps");
            assertEquals(List.copyOf(unique), orders(store.after(ALICE, 0, 1000)));
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- sharing a box (finding 9)

    private static final InetAddress HOME = address(192, 0, 2, 1);
    private static final InetAddress AWAY = address(198, 51, 100, 7);

    private static InetAddress address(int... b) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) b[0], (byte) b[1], (byte) b[2], (byte) b[3]});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static EventStoreFullException.Reason refused(Callable<Long> append) {
        return assertThrows(EventStoreFullException.class, append::call).reason();
    }

    /**
     * Finding 9: one sender's burst used to fill a recipient's whole box and lock every other sender
     * out until it was read. Now one identity, and one source whatever identities it uses, fill one
     * share of it; the box holds four shares; what is read makes room for its sender again.
     */
    @Test
    void finding9_eachSenderAndEachSourceFillOnlyTheirShareOfABox() throws Exception {
        EventLimits limits = EventLimits.defaults().withMaxEvents(2);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            Origin mallory = new Origin(id(10), HOME);
            store.append(BOB, (byte) 1, text("m1"), mallory);
            store.append(BOB, (byte) 1, text("m2"), mallory);
            assertEquals(EventStoreFullException.Reason.TOO_MANY_EVENTS, refused(() -> store.append(BOB, (byte) 1, text("m3"), mallory)));
            assertEquals(EventStoreFullException.Reason.SOURCE_SHARE,
                    refused(() -> store.append(BOB, (byte) 1, text("s1"), new Origin(id(11), HOME))), "a new identity from the same source");
            assertEquals(1, store.append(ALICE, (byte) 1, text("m"), mallory), "a share is of one box");
            for (int a = 1; a <= 3; a++) {
                Origin other = new Origin(id(20 + a), address(198, 51, 100, a));
                store.append(BOB, (byte) 1, text("o"), other);
                store.append(BOB, (byte) 1, text("o"), other);
            }
            assertEquals(8, store.lastOrder(BOB));
            var full = assertThrows(EventStoreFullException.class, () -> store.append(BOB, (byte) 1, text("late"), new Origin(id(30), AWAY)));
            assertEquals(EventStoreFullException.Reason.INBOX_FULL, full.reason());
            assertTrue(full.getMessage().startsWith("the recipient's inbox is full: it holds 8 messages"), full.getMessage());
            assertEquals(EventStoreFullException.Reason.INBOX_FULL, refused(() -> store.append(BOB, (byte) 1, text("own"))),
                    "the server's own events count in the box too");
            store.acknowledge(BOB, 2); // Bob read Mallory's two
            assertEquals(9, store.append(BOB, (byte) 1, text("m3"), mallory));
            assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L), orders(store.after(BOB, 0, 100)));
        }
    }

    @Test
    void finding9_aSendersShareIsInBytesToo() throws Exception {
        EventLimits limits = EventLimits.defaults().withMaxPayload(100).withMaxBytes(250);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            Origin mallory = new Origin(id(10), HOME);
            store.append(BOB, (byte) 1, Bytes.of(new byte[100]), mallory);
            store.append(BOB, (byte) 1, Bytes.of(new byte[100]), mallory);
            var e = assertThrows(EventStoreFullException.class, () -> store.append(BOB, (byte) 1, Bytes.of(new byte[51]), mallory));
            assertEquals(EventStoreFullException.Reason.TOO_MANY_BYTES, e.reason());
            assertEquals("the recipient's inbox holds 200 bytes from this identity; 51 more would be over the 250 one sender"
                    + " may leave there; more fit as it reads them", e.getMessage());
            assertEquals(EventStoreFullException.Reason.SOURCE_SHARE,
                    refused(() -> store.append(BOB, (byte) 1, Bytes.of(new byte[51]), new Origin(id(11), HOME))));
            assertEquals(3, store.append(BOB, (byte) 1, Bytes.of(new byte[50]), mallory), "exactly up to the share fits");
            assertEquals(4, store.append(BOB, (byte) 1, Bytes.of(new byte[100]), new Origin(id(11), AWAY)));
        }
    }

    /**
     * What the store keeps of a sender: a keyed hash of its identity and one of its source, the same
     * for all its events, under a key that lives only in memory: not the sender, not the address,
     * and not something a copy of the file could be checked against.
     */
    @Test
    void finding9_eventsKeepKeyedHashesOfTheirOriginNotTheSenderNorTheAddress() throws Exception {
        Bytes mallory = id(10);
        try (EventStore store = open()) {
            store.append(BOB, (byte) 1, text("one"), new Origin(mallory, HOME));
            store.append(BOB, (byte) 1, text("two"), new Origin(mallory, HOME));
            store.append(BOB, (byte) 1, text("three"), new Origin(id(11), AWAY));
        }
        try (EventStore store = open()) { // a new key: the same sender gets another hash
            store.append(BOB, (byte) 1, text("four"), new Origin(mallory, HOME));
        }
        List<byte[]> senders = new ArrayList<>();
        List<byte[]> sources = new ArrayList<>();
        try (Connection c = database();
             Statement s = c.createStatement();
             var r = s.executeQuery("SELECT sender, source FROM events ORDER BY ord")) {
            while (r.next()) {
                senders.add(r.getBytes(1));
                sources.add(r.getBytes(2));
            }
        }
        assertEquals(4, senders.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(EventStore.TAG_LENGTH, senders.get(i).length);
            assertEquals(EventStore.TAG_LENGTH, sources.get(i).length);
        }
        assertArrayEquals(senders.get(0), senders.get(1), "one sender, one hash");
        assertArrayEquals(sources.get(0), sources.get(1));
        assertFalse(Arrays.equals(senders.get(0), senders.get(2)), "two senders, two hashes");
        assertFalse(Arrays.equals(sources.get(0), sources.get(2)));
        assertFalse(Arrays.equals(senders.get(0), senders.get(3)), "another key after a restart");
        assertFalse(Arrays.equals(sources.get(0), sources.get(3)));
        for (String name : List.of(EventStore.FILE_NAME, EventStore.FILE_NAME + "-wal")) {
            Path f = dir.resolve(name);
            if (Files.exists(f)) {
                assertFalse(contains(Files.readAllBytes(f), mallory.toByteArray()), "the sender's key is not in " + name);
            }
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- what the store keeps in all (finding 7)

    /**
     * Finding 7: fresh identities cost nothing, and each could fill boxes of made-up recipients
     * until the disk was full. Now the store keeps at most so many bytes from one source and in
     * all (each event counted with its overhead); past them nothing is stored, and what is read or
     * expires makes room again. The counts are kept in the database and survive a restart.
     */
    @Test
    void finding7_theStoreKeepsAtMostItsQuotaFromOneSourceAndInAll() throws Exception {
        int size = 1000;
        long cost = size + EventLimits.EVENT_OVERHEAD;
        EventLimits limits = EventLimits.defaults().withMaxPayload(size).withQuotas(2 * cost + 10, 3 * cost + 10);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            Origin mallory = new Origin(id(10), HOME);
            store.append(id(20), (byte) 1, Bytes.of(new byte[size]), mallory);
            store.append(id(21), (byte) 1, Bytes.of(new byte[size]), new Origin(id(11), HOME)); // a fresh key, the same source
            var e = assertThrows(EventStoreFullException.class,
                    () -> store.append(id(22), (byte) 1, Bytes.of(new byte[size]), new Origin(id(12), HOME)));
            assertEquals(EventStoreFullException.Reason.SOURCE_QUOTA, e.reason());
            assertEquals(0, store.lastOrder(id(22)), "nothing stored");
            store.append(id(22), (byte) 1, Bytes.of(new byte[size]), new Origin(id(13), AWAY));
            var full = assertThrows(EventStoreFullException.class,
                    () -> store.append(id(23), (byte) 1, Bytes.of(new byte[size]), new Origin(id(14), address(203, 0, 113, 9))));
            assertEquals(EventStoreFullException.Reason.STORE_FULL, full.reason());
            assertEquals("the server's message store is full (" + (3 * cost + 10) + " bytes); more fit as messages are read"
                    + " or expire", full.getMessage());
            assertEquals(EventStoreFullException.Reason.STORE_FULL, refused(() -> store.append(id(23), (byte) 1, text("own"))));
            store.acknowledge(id(20), 1); // read: room again, for the source too
            store.append(id(23), (byte) 1, Bytes.of(new byte[size]), mallory);
        }
        try (EventStore store = EventStore.open(dir, limits, clock)) { // the usage is in the file
            assertEquals(EventStoreFullException.Reason.STORE_FULL,
                    refused(() -> store.append(id(24), (byte) 1, Bytes.of(new byte[size]), new Origin(id(15), AWAY))));
            clock.advance(limits.lifetime().plusMillis(1));
            assertEquals(3, store.expire());
            assertEquals("0 0", scalar("SELECT events || ' ' || bytes FROM usage WHERE source = X''"));
            assertEquals("0", scalar("SELECT COUNT(*) FROM usage WHERE source <> X''"), "a source with nothing stored has no row");
            for (int i = 0; i < 3; i++) {
                store.append(id(30 + i), (byte) 1, Bytes.of(new byte[size]), new Origin(id(15), address(203, 0, 113, i)));
            }
        }
    }

    /**
     * Finding 7: rows in {@code identities} were never deleted, so every made-up recipient cost a
     * row forever. Now an identity with no events and no activity for the keep period is forgotten;
     * one with events, or active lately, is kept; and a forgotten identity's ORDER and SEQUENCE go
     * on above anything it had (the floors), so a stale inbox mark can never acknowledge a new event.
     */
    @Test
    void finding7_idleIdentitiesAreForgottenAndTheirCountersNeverGoBack() throws Exception {
        Bytes madeUp = id(40);
        Bytes carol = id(41);
        Bytes dave = id(42);
        try (EventStore store = open()) { // keep 30 days, lifetime 7
            for (int i = 0; i < 5; i++) {
                store.append(madeUp, (byte) 1, text("to nobody"), new Origin(ALICE, HOME));
            }
            store.append(BOB, (byte) 1, text("read soon"));
            store.acknowledge(BOB, 1);
            for (long seq = 1; seq <= 7; seq++) {
                store.acceptSequence(ALICE, seq);
            }
            clock.advance(Duration.ofDays(8));
            assertEquals(5, store.expire());
            assertEquals(0, store.prune(), "active within the keep period: kept");
            clock.advance(Duration.ofDays(22)); // exactly 30 days since their last activity
            assertEquals(0, store.prune());
            store.append(carol, (byte) 1, text("waiting")); // an identity with an event waiting
            store.acceptSequence(dave, 1); // an identity active just now
            clock.advance(Duration.ofMillis(1));
            assertEquals(3, store.prune(), "the made-up recipient, Bob and Alice");
            assertEquals("2", scalar("SELECT COUNT(*) FROM identities"), "Carol (an event waits) and Dave (active lately)");
            assertEquals(1, store.lastOrder(carol));
            assertEquals(1, store.lastSequence(dave));

            // forgotten: the counters go on above anything they had
            assertTrue(store.lastOrder(madeUp) >= 5, "LOGIN_STATE would report at least the old last order");
            assertTrue(store.lastOrder(BOB) >= 1);
            long next = store.append(BOB, (byte) 1, text("new"));
            assertTrue(next > 1, "never an order Bob had: his mark of 1 cannot acknowledge it");
            assertEquals(List.of(next), orders(store.after(BOB, 1, 10)), "resuming from the old mark shows the new event");
            var replayed = assertThrows(SequenceException.class, () -> store.acceptSequence(ALICE, 7));
            assertTrue(replayed.replayed(), "a sequence Alice used is refused as replayed");
            store.acceptSequence(ALICE, store.lastSequence(ALICE) + 1);
            assertTrue(store.lastSequence(ALICE) > 7);
        }
        try (EventStore store = open()) { // the floors are in the file
            assertTrue(store.lastOrder(madeUp) >= 5);
            assertTrue(store.append(id(43), (byte) 1, text("first")) > 5, "a new identity starts above the floor");
        }
    }

    /** Forgetting is done in batches, each holding the store's lock only so long. */
    @Test
    void pruneForgetsAtMostABatchAtATime() throws Exception {
        open().close();
        try (Connection c = database();
             var p = c.prepareStatement("INSERT INTO identities (identity, last_order, last_sequence, touched) VALUES (?, 0, 1, ?)")) {
            c.setAutoCommit(false);
            for (int i = 0; i < EventStore.PRUNE_BATCH + 5; i++) {
                p.setBytes(1, java.nio.ByteBuffer.allocate(32).putInt(i).array());
                p.setLong(2, T0);
                p.executeUpdate();
            }
            c.commit();
        }
        try (EventStore store = open()) {
            clock.advance(Duration.ofDays(31));
            assertEquals(EventStore.PRUNE_BATCH, store.prune());
            assertEquals(5, store.prune());
            assertEquals(0, store.prune());
            assertEquals(1, store.lastSequence(id(7)), "a floor for all");
        }
    }

    /** A database of schema 1 opens as schema 2 with its events, orders and sequences; its events are nobody's share. */
    @Test
    void aVersionOneDatabaseIsUpgradedKeepingItsEventsAndCounters() throws Exception {
        Files.createDirectories(dir);
        try (Connection c = database();
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)");
            EventStore.createVersion1(s);
            s.execute("INSERT INTO identities VALUES (" + hex(BOB) + ", 7, 0), (" + hex(ALICE) + ", 0, 5)");
            s.execute("INSERT INTO events (identity, ord, ts, type, size, payload) VALUES (" + hex(BOB) + ", 7, " + T0 + ", 1, 3, X'616263')");
        }
        EventLimits limits = EventLimits.defaults().withMaxEvents(1);
        try (EventStore store = EventStore.open(dir, limits, clock)) {
            assertEquals(String.valueOf(EventStore.SCHEMA_VERSION), scalar("SELECT version FROM schema_version"));
            assertEquals(List.of(new Event(BOB, 7, T0, (byte) 1, text("abc"))), store.after(BOB, 0, 10));
            assertEquals(5, store.lastSequence(ALICE));
            assertEquals(0, store.prune(), "rows of before count as active at the upgrade");
            assertEquals("1 3", scalar("SELECT events || ' ' || bytes FROM usage WHERE source = X''"), "the old event counts in all");
            assertEquals(8, store.append(BOB, (byte) 1, text("new"), new Origin(ALICE, HOME)), "not counted in Alice's share");
        }
    }

    private static String hex(Bytes b) {
        return "X'" + b.hex() + "'";
    }

    /** A second connection to the store's database file, as an operator's sqlite3 would have. */
    private Connection database() throws java.sql.SQLException {
        return org.sqlite.JDBC.createConnection("jdbc:sqlite:" + dir.resolve(EventStore.FILE_NAME), new Properties());
    }

    private String scalar(String sql) throws Exception {
        try (Connection c = database();
             Statement s = c.createStatement();
             var r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    @Test
    void aNewerSchemaIsRefusedWithAClearMessage() throws Exception {
        open().close();
        try (Connection c = org.sqlite.JDBC.createConnection("jdbc:sqlite:" + dir.resolve(EventStore.FILE_NAME), new Properties());
             Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE schema_version SET version = 99");
        }
        var e = assertThrows(EventStoreException.class, this::open);
        assertTrue(e.getMessage().contains("schema version 99, newer than version " + EventStore.SCHEMA_VERSION),
                e.getMessage());
    }

    @Test
    void aFileThatIsNotADatabaseIsRefused() throws Exception {
        Files.write(dir.resolve(EventStore.FILE_NAME), new byte[4096]);
        Files.writeString(dir.resolve(EventStore.FILE_NAME), "this is not sqlite, just text that is long enough".repeat(100));
        var e = assertThrows(EventStoreException.class, this::open);
        assertTrue(e.getMessage().contains(EventStore.FILE_NAME), e.getMessage());
    }

    @Test
    void usesWalAndFullSync() throws Exception {
        try (EventStore store = open()) {
            store.append(ALICE, (byte) 0, text("x"));
            assertTrue(Files.exists(dir.resolve(EventStore.FILE_NAME + "-wal")), "write-ahead log in use");
            assertEquals("wal", store.pragma("journal_mode"));
            assertEquals("2", store.pragma("synchronous"), "FULL: the log is synced at every commit");
            assertEquals("5000", store.pragma("busy_timeout"));
        }
    }

    @Test
    void closedStoreRefusesCalls() throws Exception {
        EventStore store = open();
        store.close();
        store.close();
        assertThrows(IllegalStateException.class, () -> store.append(ALICE, (byte) 0, text("x")));
    }

    @Test
    void limitsAreValidated() {
        assertEquals(new EventLimits(65536, 1000, 4L << 20, Duration.ofDays(7)), EventLimits.defaults());
        assertThrows(IllegalArgumentException.class, () -> EventLimits.defaults().withMaxEvents(0));
        assertThrows(IllegalArgumentException.class, () -> EventLimits.defaults().withMaxPayload(-1));
        assertThrows(IllegalArgumentException.class, () -> EventLimits.defaults().withMaxBytes(100));
        assertThrows(IllegalArgumentException.class, () -> EventLimits.defaults().withLifetime(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> EventLimits.defaults().withLifetime(Duration.ofSeconds(-1)));
        // shares, quotas and the keep period
        EventLimits d = EventLimits.defaults();
        assertEquals(new EventLimits(65536, 1000, 4L << 20, Duration.ofDays(7), 4, 64L << 20, 1L << 30, Duration.ofDays(30)), d);
        assertEquals(4000, d.boxEvents());
        assertEquals(16L << 20, d.boxBytes());
        assertEquals(Long.MAX_VALUE, d.withMaxBytes(Long.MAX_VALUE / 2).boxBytes(), "no overflow");
        assertEquals(1000, d.withShares(1).boxEvents(), "one share: one sender may fill the box");
        assertThrows(IllegalArgumentException.class, () -> d.withShares(0));
        assertThrows(IllegalArgumentException.class, () -> d.withShares(EventLimits.MAX_SHARES + 1));
        assertThrows(IllegalArgumentException.class, () -> d.withQuotas(65536 + EventLimits.EVENT_OVERHEAD - 1, 1L << 30),
                "a source's quota must hold one largest message");
        assertThrows(IllegalArgumentException.class, () -> d.withQuotas(2L << 20, 1L << 20), "a source may not have more than all");
        assertThrows(IllegalArgumentException.class, () -> d.withIdentityKeep(Duration.ZERO));
    }

    @Test
    void payloadBytesAreCopiedNotShared() throws Exception {
        byte[] raw = {1, 2, 3};
        try (EventStore store = open()) {
            store.append(ALICE, (byte) 0, Bytes.of(raw));
            raw[0] = 9;
            assertArrayEquals(new byte[] {1, 2, 3}, store.after(ALICE, 0, 1).getFirst().payload().toByteArray());
        }
    }
}
