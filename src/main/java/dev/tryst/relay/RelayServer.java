package dev.tryst.relay;

import dev.tryst.wire.RelayWire;
import dev.tryst.net.Ticker;
import dev.tryst.server.Admission;
import dev.tryst.server.Activity;
import dev.tryst.server.ServiceCore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The relay: staples two TCP connections that present the same 33-byte pairing key and pipes
 * bytes between them blindly (see {@link RelayWire}).
 *
 * <h2>Threads</h2>
 * The accept loop, the sweeper, admission and closing are the {@link ServiceCore} skeleton's; one
 * virtual thread accepts ({@code relay-accept}). Each admitted connection gets one virtual
 * thread ({@code relay-conn-N}) that reads the key, registers it, and, once stapled, becomes the
 * pipe for that connection's direction ({@code relay-pipe-N}): it reads from its own socket and
 * writes to the peer's, through a direct buffer of {@link RelayConfig#bufferSize()} bytes that is
 * freed deterministically when the direction ends. So a pair is piped by exactly two threads.
 *
 * <h2>Deadlines</h2>
 * Blocking channels ignore SO_TIMEOUT, so one virtual thread ({@code relay-sweeper}) ticks every
 * min(250 ms, shortest timeout / 4) (at least 10 ms) and closes connections whose handshake or
 * wait deadline passed and pairs whose last read or write is older than the idle timeout, all
 * measured on the injected {@link Ticker}. Closing a channel wakes the thread blocked on it, which then exits.
 *
 * <h2>Why one class</h2>
 * Its ~600 lines are one state machine, a connection's (handshake, registering, waiting, piping,
 * closed), whose every transition is decided under one lock together with the waiting and stapled
 * maps; split across classes, "exactly one arrival staples to a waiter" would no longer be checkable
 * in one place. What is not that machine (accepting, admission, sweeping, threads) is {@link ServiceCore}'s.
 *
 * <h2>Locking</h2>
 * One lock makes "is this key waiting / stapled" decisions atomic: the waiter is removed from the
 * waiting map in the same critical section that creates the pair, so exactly one arrival staples
 * to a waiter. No I/O happens while the lock is held.
 */
public final class RelayServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RelayServer.class.getName());

    /** Bytes read from a waiting client before its peer arrives (only to notice hang-ups early). */
    static final int PROBE_SIZE = 512;

    private static final int HANDSHAKE = 0, REGISTERING = 1, WAITING = 2, PIPING = 3, CLOSED = 4;

    private final RelayConfig config;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    private final long handshakeNanos, waitNanos, idleNanos;
    private final ServiceCore core;
    private final Admission admission;

    /** Guards decisions over {@link #waiting} and {@link #pairs} and the {@link #closed} flag. */
    private final Object lock = new Object();
    private final Map<String, Conn> waiting = new ConcurrentHashMap<>();
    private final Map<String, Pair> pairs = new ConcurrentHashMap<>();
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    /** Set under {@link #lock} once closing began, so that no key registers after close() swept the maps. */
    private volatile boolean closed;
    private volatile Activity activity = Activity.NONE;

    private final AtomicLong connIds = new AtomicLong();
    private final AtomicLong pairIds = new AtomicLong();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder stapled = new LongAdder();
    /** Payload bytes from the client that waited to the one that arrived second, and back. */
    private final LongAdder bytesFirstToSecond = new LongAdder(), bytesSecondToFirst = new LongAdder();
    private final LongAdder earlyBytes = new LongAdder();
    private final LongAdder refusedConnections = new LongAdder();
    private final LongAdder refusedPerAddress = new LongAdder();
    private final LongAdder refusedWaiting = new LongAdder();
    private final LongAdder refusedPairs = new LongAdder();
    private final LongAdder refusedKeyStapled = new LongAdder();
    private final LongAdder handshakeTimeouts = new LongAdder();
    private final LongAdder handshakeFailures = new LongAdder();
    private final LongAdder waitTimeouts = new LongAdder();
    private final LongAdder waitAbandoned = new LongAdder();
    private final LongAdder idleTimeouts = new LongAdder();

    private RelayServer(RelayConfig config, ServerSocketChannel server, Ticker ticker) throws IOException {
        this.config = config;
        this.server = server;
        this.address = (InetSocketAddress) server.getLocalAddress();
        this.handshakeNanos = config.handshakeTimeout().toNanos();
        this.waitNanos = config.waitTimeout().toNanos();
        this.idleNanos = config.idleTimeout().toNanos();
        this.core = new ServiceCore("relay", LOG, ticker);
        this.admission = new Admission(config.admission(), ticker);
    }

    /** Binds, starts accepting and sweeping, and returns. */
    public static RelayServer start(RelayConfig config) throws IOException {
        return start(config, Ticker.SYSTEM);
    }

    /** As {@link #start(RelayConfig)}, with every deadline measured on {@code ticker}. */
    public static RelayServer start(RelayConfig config, Ticker ticker) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(ticker, "ticker");
        ServerSocketChannel ssc = ServerSocketChannel.open();
        RelayServer relay;
        try {
            ssc.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ssc.bind(config.bind(), 4096);
            relay = new RelayServer(config, ssc, ticker);
        } catch (IOException | RuntimeException e) {
            ssc.close();
            throw e;
        }
        relay.core.serve(ServiceCore.tickFor(config.handshakeTimeout(), config.waitTimeout(), config.idleTimeout()),
                relay::sweep, ssc::accept, relay::admit, relay::close);
        LOG.log(Level.DEBUG, () -> "relay listening on " + relay.address); // the command line says it
        return relay;
    }

    /** Sweeps completed so far (tests that move the ticker wait for the next ones). */
    long sweeps() {
        return core.sweeps();
    }

    /** The bound address (useful when binding port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** Whoever hears of pairs stapled and ended (structured log lines); set once, after start. */
    public void activity(Activity a) {
        this.activity = Objects.requireNonNull(a, "activity");
    }

    /** Whether the relay is still accepting (not closed). */
    public boolean isOpen() {
        return !core.closed();
    }

    /** A snapshot of the counters and gauges. */
    public RelayStats stats() {
        return new RelayStats(accepted.sum(), admission.active(), waiting.size(), pairs.size(),
                stapled.sum(), bytesFirstToSecond.sum() + bytesSecondToFirst.sum(), earlyBytes.sum(),
                refusedConnections.sum(), refusedPerAddress.sum(), refusedWaiting.sum(), refusedPairs.sum(),
                refusedKeyStapled.sum(),
                handshakeTimeouts.sum(), handshakeFailures.sum(), waitTimeouts.sum(), waitAbandoned.sum(),
                idleTimeouts.sum(), core.liveThreads(), bytesFirstToSecond.sum(), bytesSecondToFirst.sum());
    }

    /** Stops accepting, closes every connection, and waits (up to 5 s) for the relay's threads to end. */
    @Override
    public void close() {
        if (!core.beginClose()) {
            return;
        }
        synchronized (lock) {
            closed = true;
            waiting.clear();
        }
        closeQuietly(server);
        for (Pair p : pairs.values()) {
            p.end("relay closing");
        }
        for (Conn c : conns) {
            c.close();
        }
        core.awaitThreads(address);
    }

    // ---------------------------------------------------------------- admitting

    private void admit(SocketChannel ch) {
        accepted.increment();
        InetSocketAddress remote;
        try {
            remote = (InetSocketAddress) ch.getRemoteAddress();
        } catch (IOException e) {
            closeQuietly(ch);
            return;
        }
        if (remote == null) { // already disconnected
            closeQuietly(ch);
            return;
        }
        Admission.Refusal refusal = admission.admit(remote.getAddress());
        if (refusal != null) {
            (refusal == Admission.Refusal.TOTAL || refusal == Admission.Refusal.RATE ? refusedConnections : refusedPerAddress)
                    .increment();
            LOG.log(Level.DEBUG, "refused {0}: {1} reached", remote, switch (refusal) {
                case TOTAL -> "maxConnections";
                case SOURCE -> "maxPerAddress";
                case WIDE_SOURCE -> "maxPerSite";
                case SOURCE_RATE -> "the rate of one source";
                case RATE -> "acceptRate";
            });
            closeQuietly(ch);
            return;
        }
        Conn c = new Conn(connIds.incrementAndGet(), ch, remote, core.now() + handshakeNanos);
        conns.add(c);
        if (closed) { // close() may have swept conns before we added this one
            c.close();
            return;
        }
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            core.spawn("relay-conn-" + c.id, () -> serve(c));
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            LOG.log(Level.DEBUG, "dropping {0}: {1}", remote, e.toString());
            c.close();
        }
    }

    // ---------------------------------------------------------------- one connection

    private void serve(Conn c) {
        try {
            String key = readKey(c);
            if (key != null) {
                register(c, key);
            }
        } finally {
            if (c.pair == null) {
                c.close();
            }
        }
    }

    /** Reads exactly the key and not one byte more, so early payload stays in the socket for the pipe. */
    private String readKey(Conn c) {
        ByteBuffer kb = ByteBuffer.allocate(RelayWire.PAIRING_KEY_LENGTH);
        try {
            while (kb.hasRemaining()) {
                if (c.ch.read(kb) < 0) {
                    handshakeFailures.increment();
                    LOG.log(Level.DEBUG, "{0} hung up after {1} key bytes", c.remote, kb.position());
                    return null;
                }
            }
        } catch (IOException e) {
            if (c.phase.get() != CLOSED && !closed) {
                handshakeFailures.increment();
                LOG.log(Level.DEBUG, "{0} failed during handshake: {1}", c.remote, e.toString());
            }
            return null;
        }
        if (!c.phase.compareAndSet(HANDSHAKE, REGISTERING)) {
            return null; // the sweeper cut it at the deadline
        }
        return new String(kb.array(), StandardCharsets.ISO_8859_1);
    }

    private enum Outcome { WAIT, STAPLE, REFUSE_CLOSED, REFUSE_STAPLED, REFUSE_PAIRS, REFUSE_WAITING }

    private void register(Conn c, String key) {
        Outcome outcome;
        Pair pair = null;
        Conn waiter = null;
        synchronized (lock) {
            Conn w = waiting.get(key);
            if (w != null && w.released.get()) { // stale entry; should not happen, but never staple to a dead socket
                waiting.remove(key, w);
                w = null;
            }
            if (closed) {
                outcome = Outcome.REFUSE_CLOSED;
            } else if (pairs.containsKey(key)) {
                outcome = Outcome.REFUSE_STAPLED;
            } else if (w != null) {
                if (pairs.size() >= config.maxPairs()) {
                    outcome = Outcome.REFUSE_PAIRS;
                } else {
                    waiting.remove(key, w);
                    waiter = w;
                    pair = new Pair(pairIds.incrementAndGet(), key, w, c);
                    pairs.put(key, pair);
                    w.phase.set(PIPING);
                    c.phase.set(PIPING);
                    w.pair = pair;
                    c.pair = pair;
                    outcome = Outcome.STAPLE;
                }
            } else if (waiting.size() >= config.maxWaiting()) {
                outcome = Outcome.REFUSE_WAITING;
            } else {
                c.key = key;
                c.probe = ByteBuffer.allocate(PROBE_SIZE);
                c.deadline = core.now() + waitNanos;
                c.phase.set(WAITING);
                waiting.put(key, c);
                outcome = Outcome.WAIT;
            }
        }
        switch (outcome) {
            case WAIT -> awaitPeer(c);
            case STAPLE -> {
                stapled.increment();
                Pair p = pair;
                LOG.log(Level.DEBUG, () -> "pair " + p.id + " stapled: " + p.a.remote + " <-> " + p.b.remote);
                activity.record("pair_stapled", "pair", p.id, "first", p.a.remote, "second", p.b.remote,
                        "waited_ms", TimeUnit.NANOSECONDS.toMillis(Math.max(0, p.startNanos - (p.a.deadline - waitNanos))));
                waiter.stapled.complete(pair);
                if (forwardEarly(waiter, c, pair)) {
                    pipe(c, pair, ByteBuffer.allocate(0), false);
                }
            }
            case REFUSE_CLOSED -> LOG.log(Level.DEBUG, "refused {0}: relay closing", c.remote);
            case REFUSE_STAPLED -> {
                refusedKeyStapled.increment();
                LOG.log(Level.DEBUG, "refused {0}: key already stapled", c.remote);
            }
            case REFUSE_PAIRS -> {
                refusedPairs.increment();
                LOG.log(Level.DEBUG, "refused {0}: maxPairs reached", c.remote);
            }
            case REFUSE_WAITING -> {
                refusedWaiting.increment();
                LOG.log(Level.DEBUG, "refused {0}: maxWaiting reached", c.remote);
            }
        }
    }

    /**
     * Waits for the peer, reading all the while, so that a client that hangs up while waiting
     * frees its key at once, even after it sent early payload (a tryst client sends its HELLO
     * right behind the key). Early payload collects in the connection's probe (at most
     * {@value #PROBE_SIZE} bytes); the thread that staples takes the probe and forwards it, and
     * this thread forwards whatever its read returns after that, once the probe has gone out.
     * So stapling never waits for this client to send more, and bytes keep their order.
     *
     * <p>Consequences: EOF before a peer came counts as a hang-up (a half-close is only passed on
     * once stapled); a client that filled the whole probe before its peer came has a later
     * hang-up noticed only at the wait timeout.
     */
    private void awaitPeer(Conn c) {
        byte[] tmp = new byte[PROBE_SIZE];
        ByteBuffer leftover = ByteBuffer.allocate(0);
        boolean eof = false;
        IOException error = null;
        for (;;) {
            int room;
            synchronized (c.probeLock) {
                room = c.probeTaken ? PROBE_SIZE : c.probe.remaining();
            }
            if (room == 0) {
                break; // probe full and still alone: wait for the peer without reading
            }
            int n;
            try {
                n = c.ch.read(ByteBuffer.wrap(tmp, 0, room));
            } catch (IOException e) {
                n = -1;
                error = e;
            }
            boolean taken;
            synchronized (c.probeLock) {
                taken = c.probeTaken;
                if (!taken && n > 0) {
                    c.probe.put(tmp, 0, n);
                    earlyBytes.add(n);
                }
            }
            if (n < 0) {
                eof = true;
                if (!taken && c.pair == null) {
                    boolean withdrawn;
                    synchronized (lock) {
                        withdrawn = waiting.remove(c.key, c);
                    }
                    if (withdrawn) {
                        c.phase.set(CLOSED);
                        waitAbandoned.increment();
                        LOG.log(Level.DEBUG, "{0} hung up while waiting", c.remote);
                        return;
                    }
                    // Not in the map any more: stapled meanwhile, or dropped by the sweeper / close().
                }
                break;
            }
            if (taken) {
                leftover = ByteBuffer.wrap(tmp, 0, n);
                break;
            }
        }
        Pair p = c.stapled.join();
        if (p == null) {
            p = c.pair; // closed while being stapled: make sure the pair ends too
            if (p != null) {
                p.end("closed while stapling");
            }
            return;
        }
        c.earlyForwarded.join();
        if (error != null) {
            p.end("error: " + error);
            return;
        }
        pipe(c, p, leftover, eof);
    }

    /** Run by the thread that stapled: sends the waiter's early payload on to the newcomer. */
    private boolean forwardEarly(Conn waiter, Conn newcomer, Pair p) {
        ByteBuffer early;
        synchronized (waiter.probeLock) {
            waiter.probeTaken = true;
            early = waiter.probe.flip();
        }
        try {
            int n = early.remaining();
            if (n > 0) {
                writeFully(newcomer.ch, early);
                p.aToB.addAndGet(n);
                p.touch();
                bytesFirstToSecond.add(n); // after the touch: whoever sees the bytes counted knows the pair was touched
            }
            return true;
        } catch (IOException e) {
            p.end("error: " + e);
            return false;
        } finally {
            waiter.earlyForwarded.complete(null);
        }
    }

    /** Copies this connection's input to the peer until EOF, then passes the half-close on. */
    private void pipe(Conn me, Pair p, ByteBuffer early, boolean eof) {
        Thread.currentThread().setName("relay-pipe-" + me.id);
        Conn peer = p.a == me ? p.b : p.a;
        AtomicLong counter = p.a == me ? p.aToB : p.bToA;
        LongAdder total = p.a == me ? bytesFirstToSecond : bytesSecondToFirst;
        try {
            if (early.hasRemaining()) {
                int n = early.remaining();
                writeFully(peer.ch, early);
                counter.addAndGet(n);
                p.touch();
                total.add(n); // after the touch: whoever sees the bytes counted knows the pair was touched
            }
            if (!eof) {
                try (Arena arena = Arena.ofConfined()) {
                    ByteBuffer buf = arena.allocate(config.bufferSize(), 64).asByteBuffer();
                    for (;;) {
                        buf.clear();
                        int n = me.ch.read(buf);
                        if (n < 0) {
                            break;
                        }
                        p.touch();
                        buf.flip();
                        writeFully(peer.ch, buf);
                        counter.addAndGet(n);
                        p.touch();
                        total.add(n); // after the touch (see above)
                    }
                }
            }
            peer.ch.shutdownOutput();
            if (p.openDirections.decrementAndGet() == 0) {
                p.end("both sides closed");
            }
        } catch (IOException | RuntimeException e) {
            p.end("error: " + e);
        } catch (Error e) {
            p.end("error: " + e);
            LOG.log(Level.WARNING, "pipe failed", e);
        }
    }

    private static void writeFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    // ---------------------------------------------------------------- deadlines

    private void sweep(long now) {
        for (Conn c : conns) {
            int phase = c.phase.get();
            if (phase == HANDSHAKE && now - c.deadline > 0) {
                if (c.phase.compareAndSet(HANDSHAKE, CLOSED)) {
                    handshakeTimeouts.increment();
                    LOG.log(Level.DEBUG, "{0}: handshake timeout", c.remote);
                    c.close();
                }
            } else if (phase == WAITING && now - c.deadline > 0) {
                boolean removed;
                synchronized (lock) {
                    removed = waiting.remove(c.key, c);
                }
                if (removed) {
                    c.phase.set(CLOSED);
                    waitTimeouts.increment();
                    LOG.log(Level.DEBUG, "{0}: wait timeout", c.remote);
                    c.close();
                }
            }
        }
        for (Pair p : pairs.values()) {
            if (now - p.lastActivity > idleNanos && p.end("idle timeout")) {
                idleTimeouts.increment();
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static void closeQuietly(AutoCloseable c) {
        ServiceCore.closeQuietly(c);
    }

    /** One client connection, from accept to close. */
    private final class Conn {
        final long id;
        final SocketChannel ch;
        final InetSocketAddress remote;
        final AtomicInteger phase = new AtomicInteger(HANDSHAKE);
        final AtomicBoolean released = new AtomicBoolean();
        final CompletableFuture<Pair> stapled = new CompletableFuture<>();
        /** Handshake deadline, then wait deadline (on the ticker). */
        volatile long deadline;
        /** Set under the lock before the connection is published in {@link #waiting}. */
        volatile String key;
        /** Set under the lock when stapled; from then on the pair owns closing this connection. */
        volatile Pair pair;
        /** Early payload of a waiting connection; guarded by {@link #probeLock}. */
        final Object probeLock = new Object();
        ByteBuffer probe;
        boolean probeTaken;
        /** Completed once the stapling thread has sent the probe on. */
        final CompletableFuture<Void> earlyForwarded = new CompletableFuture<>();

        Conn(long id, SocketChannel ch, InetSocketAddress remote, long deadline) {
            this.id = id;
            this.ch = ch;
            this.remote = remote;
            this.deadline = deadline;
        }

        /** Closes the socket and gives back its slots; idempotent. */
        void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            closeQuietly(ch);
            conns.remove(this);
            admission.release(remote.getAddress());
            stapled.complete(null);
            earlyForwarded.complete(null);
        }
    }

    /** Two stapled connections. {@code a} waited, {@code b} arrived second. */
    private final class Pair {
        final long id;
        final String key;
        final Conn a, b;
        final long startNanos = core.now();
        final AtomicLong aToB = new AtomicLong(), bToA = new AtomicLong();
        final AtomicInteger openDirections = new AtomicInteger(2);
        final AtomicBoolean ended = new AtomicBoolean();
        volatile long lastActivity = startNanos;

        Pair(long id, String key, Conn a, Conn b) {
            this.id = id;
            this.key = key;
            this.a = a;
            this.b = b;
        }

        void touch() {
            lastActivity = core.now();
        }

        /** Ends the pair once (first reason wins): unregisters it and closes both sockets. */
        boolean end(String reason) {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            synchronized (lock) {
                pairs.remove(key, this);
            }
            a.close();
            b.close();
            long millis = TimeUnit.NANOSECONDS.toMillis(core.now() - startNanos);
            LOG.log(Level.DEBUG, () -> "pair " + id + " ended after " + millis + " ms: " + aToB.get() + " bytes "
                    + a.remote + " -> " + b.remote + ", " + bToA.get() + " bytes back; reason: " + reason);
            activity.record("pair_ended", "pair", id, "duration_ms", millis, "bytes_first_to_second", aToB.get(),
                    "bytes_second_to_first", bToA.get(), "reason", reason);
            return true;
        }
    }
}
