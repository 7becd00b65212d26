package dev.tryst.connect;

import dev.tryst.channel.ChannelException;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.wire.PeerWire;
import dev.tryst.wire.WireException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Many streams over one session with a peer, which survives its path: when the path dies it
 * moves to another one (the relay) by itself, and what was in flight is sent again from where the
 * other side says it stopped, so no byte is lost, duplicated or reordered (bytes in
 * {@link PeerWire}).
 *
 * <p>The send pipeline:
 * <ol>
 *   <li>an application thread writes to a {@link Stream}, which waits for the stream's window (what
 *       the peer granted), then hands a DATA frame to {@link #enqueue};</li>
 *   <li>{@link #enqueue} numbers the frame and appends it to the outbound log, waiting while the log
 *       holds {@link #LOG_LIMIT} bytes the peer has not acknowledged;</li>
 *   <li>the writer thread of the current path sends the log from its cursor, and an ACK whenever
 *       one is due; it is the only thread that writes to the path;</li>
 *   <li>the peer's ACK trims the log; a move to another path rewinds the cursor to the peer's RESUME.</li>
 * </ol>
 * The receive side is one reader thread per path that never blocks: it counts each numbered frame,
 * hands DATA to its stream's buffer (bounded by the window the stream granted, so a stalled
 * stream stops only itself), and asks for an ACK every {@link #ACK_EVERY_FRAMES} frames or
 * {@link #ACK_EVERY_BYTES} bytes. A frame is counted and handled under the lock, checked against
 * the path's generation, so a move never counts a frame it will also receive again.
 *
 * <p>A malformed frame or a broken rule (a window overrun, a stream id out of turn) is the peer's
 * fault: the session ends, with the reason, and does not move. No I/O happens under the lock.
 */
public final class Mux implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Mux.class.getName());

    /** Unacknowledged bytes of frames kept to be sent again; writers of DATA wait beyond it. */
    static final long LOG_LIMIT = 8L << 20;
    /**
     * What the small frames that never wait (WINDOW, FIN, RESET, OPEN) may add beyond it: a peer that
     * makes us answer without ever acknowledging (a flood of OPENs, each answered RESET) ends its
     * session here instead of growing the log without end.
     */
    static final long LOG_HARD_LIMIT = LOG_LIMIT + (1L << 20);
    static final int LOG_MAX_FRAMES = 65_536;
    static final int ACK_EVERY_FRAMES = 16;
    static final long ACK_EVERY_BYTES = 256 << 10;
    /** Streams open at once in one session, both directions together. */
    public static final int MAX_STREAMS = 128;
    /** How long a closing session waits for the peer's end record. */
    static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** What to do with a stream the peer opened: runs on a thread of its own; may reset it. */
    @FunctionalInterface
    public interface Acceptor {
        void accept(Stream stream);
    }

    /** What happens to the session as a whole. */
    public interface Events {
        /** The session moved to another path (the old one died: {@code why}). */
        default void moved(String path, String why) {}

        /** The session ended: {@code why} null for a clean end by either side. */
        default void ended(IOException why) {}
    }

    private enum State { UP, MOVING, CLOSING, ENDED }

    private final Handshake.Role role;
    private final String peer;
    private final Session.Fallback reconnect;
    private final Acceptor acceptor;
    private final Events events;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change anyone may wait for: few waiters, so one condition serves. */
    private final Condition changed = lock.newCondition();

    // the path (guarded by lock)
    private Session session;
    private int generation;
    private State state = State.UP;
    private IOException failure;
    private int moves;
    private boolean closeRequested;

    // outbound: numbered frames not yet acknowledged, from logStart; the next to send is sendCursor
    private final List<byte[]> log = new ArrayList<>();
    private int logHead;
    private long logStart;
    private long nextNumber;
    private long sendCursor;
    private long logBytes;
    private boolean ackDue;

    // inbound
    private long received;
    private long acknowledged;
    private long bytesSinceAck;

    // streams
    private final Map<Integer, Stream> streams = new HashMap<>();
    /**
     * Streams that still hold a place: not yet done both ways, or whose acceptor still runs (a
     * stream reset at once must not free its place while its acceptor still connects somewhere).
     */
    private int held;
    private int nextLocalId;
    private int lastPeerId;
    private final AtomicInteger threads = new AtomicInteger();

    private Mux(Handshake.Role role, String peer, Session.Fallback reconnect, Acceptor acceptor, Events events) {
        this.role = role;
        this.peer = peer;
        this.reconnect = reconnect;
        this.acceptor = acceptor;
        this.events = events;
        this.nextLocalId = role == Handshake.Role.INITIATOR ? 1 : 2;
        this.lastPeerId = role == Handshake.Role.INITIATOR ? 0 : -1;
    }

    /**
     * Starts the session on {@code first} (whose opening, SESSION_OPEN and its answer, is done):
     * the RESUME exchange, then the reader and writer.
     *
     * @param peer      the peer's name, for messages
     * @param reconnect a new path when this one dies, or null: the session then ends with its path
     * @param acceptor  streams the peer opens, or null to refuse them all
     */
    public static Mux start(Session first, Handshake.Role role, String peer, Session.Fallback reconnect, Acceptor acceptor,
                            Events events) throws IOException {
        Mux m = new Mux(role, Objects.requireNonNull(peer), reconnect, acceptor, events == null ? new Events() {} : events);
        m.attach(first, 0);
        return m;
    }

    /** Opens a stream to {@code service} on the peer (a pipe, or one of its exposed ports). */
    public Stream open(byte service, int port) throws IOException {
        PeerWire.Open o;
        Stream s;
        lock.lock();
        try {
            checkOpen();
            if (held >= MAX_STREAMS) {
                throw new IOException("too many streams open to " + peer + " (" + MAX_STREAMS + ")");
            }
            o = new PeerWire.Open(nextLocalId, service, port);
            nextLocalId += 2;
            s = new Stream(this, o.stream(), service, port, Stream.Place.OPENED);
            streams.put(o.stream(), s);
            held++;
        } finally {
            lock.unlock();
        }
        enqueue(PeerWire.encode(o), false);
        return s;
    }

    /** The peer's name. */
    public String peer() {
        return peer;
    }

    /** The current path, in words. */
    public String path() {
        lock.lock();
        try {
            return session == null ? "none" : session.path();
        } finally {
            lock.unlock();
        }
    }

    /** How many times the session moved to another path. */
    public int moves() {
        lock.lock();
        try {
            return moves;
        } finally {
            lock.unlock();
        }
    }

    /** Streams that hold a place now (open, or still being served). */
    public int openStreams() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the session has ended. */
    public boolean ended() {
        lock.lock();
        try {
            return state == State.ENDED;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the session ends; returns why (null: a clean end). */
    public IOException awaitEnd() throws InterruptedException {
        lock.lock();
        try {
            while (state != State.ENDED) {
                changed.await();
            }
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the session cleanly: what was written is sent, then our end record; waits a little for
     * the peer's. Streams still open are ended.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.ENDED) {
                return;
            }
            closeRequested = true; // a session moving now closes once it is on its new path
            if (state == State.UP) {
                state = State.CLOSING;
                changed.signalAll();
            }
            long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
            while (state != State.ENDED) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        end(generationNow(), null);
    }

    private int generationNow() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the outbound log

    /**
     * Numbers {@code frame} and puts it in the log for the writer. DATA ({@code data}) waits while
     * the log is full; the small control frames never wait, so a WINDOW or an ACK always gets out.
     */
    void enqueue(byte[] frame, boolean data) throws IOException {
        boolean unacknowledged = false;
        lock.lock();
        try {
            while (data && logBytes >= LOG_LIMIT && state != State.ENDED) {
                changed.await();
            }
            checkOpen();
            if (logBytes + frame.length > LOG_HARD_LIMIT || log.size() - logHead >= LOG_MAX_FRAMES) {
                unacknowledged = true;
            } else {
                log.add(frame);
                logBytes += frame.length;
                nextNumber++;
                changed.signalAll();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while sending to " + peer);
        } finally {
            lock.unlock();
        }
        if (unacknowledged) {
            WireException why = new WireException(peer + " does not acknowledge what it is sent ("
                    + LOG_MAX_FRAMES + " frames or " + LOG_HARD_LIMIT + " bytes held for it)");
            end(generationNow(), why);
            throw why;
        }
    }

    private void checkOpen() throws IOException {
        if (state == State.ENDED || state == State.CLOSING) {
            throw failure != null ? new IOException("the session with " + peer + " ended: " + failure.getMessage(), failure)
                    : new IOException("the session with " + peer + " is closed");
        }
    }

    /** Drops the frames the peer has taken in (those numbered below {@code upTo}). Under the lock. */
    private void trim(long upTo) {
        while (logStart < upTo) {
            byte[] f = log.set(logHead, null);
            logBytes -= f.length;
            logHead++;
            logStart++;
        }
        if (logHead > 1024 && logHead * 2 > log.size()) {
            log.subList(0, logHead).clear();
            logHead = 0;
        }
        changed.signalAll();
    }

    private void writeLoop(int gen, SecureChannel ch) {
        try {
            while (true) {
                byte[] frame = null;
                boolean finish = false;
                lock.lock();
                try {
                    while (gen == generation && (state == State.UP || state == State.CLOSING) && !ackDue
                            && sendCursor == nextNumber && state != State.CLOSING) {
                        changed.await();
                    }
                    if (gen != generation || state == State.ENDED || state == State.MOVING) {
                        return;
                    }
                    if (ackDue) {
                        frame = PeerWire.encode(new PeerWire.Ack(received));
                        ackDue = false;
                        acknowledged = received;
                        bytesSinceAck = 0;
                    } else if (sendCursor < nextNumber) {
                        frame = log.get(logHead + (int) (sendCursor - logStart));
                        sendCursor++;
                    } else {
                        finish = true; // closing, and everything is out
                    }
                } finally {
                    lock.unlock();
                }
                if (finish) {
                    ch.shutdownOutput();
                    return;
                }
                ch.send(frame);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            pathFailed(gen, e);
        }
    }

    // ---------------------------------------------------------------- the inbound side

    private void readLoop(int gen, SecureChannel ch) {
        try {
            while (true) {
                ByteBuffer record = ch.receive();
                if (record == null) {
                    peerClosed(gen, ch);
                    return;
                }
                int size = record.remaining();
                PeerWire.Message m = PeerWire.decode(record);
                if (!handle(gen, m, size)) {
                    return; // another path took over meanwhile
                }
            }
        } catch (WireException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0} broke the protocol: {1}", peer, e.getMessage());
            end(gen, new WireException(peer + " broke the protocol: " + e.getMessage()));
        } catch (IOException e) {
            pathFailed(gen, e);
        }
    }

    /** One frame from the peer; false if this path is no longer the session's. */
    private boolean handle(int gen, PeerWire.Message m, int size) throws WireException {
        List<Runnable> after = new ArrayList<>(1);
        lock.lock();
        try {
            if (gen != generation || state == State.ENDED) {
                return false;
            }
            switch (m) {
                case PeerWire.Ack a -> {
                    if (a.received() > sendCursor) {
                        throw new WireException("ACK of " + a.received() + " frames, only " + sendCursor + " were sent");
                    }
                    trim(Math.max(logStart, a.received()));
                }
                case PeerWire.Resume r -> throw new WireException("RESUME in the middle of a path");
                case PeerWire.SessionOpen o -> throw new WireException("SESSION_OPEN in a session already open");
                case PeerWire.SessionAccepted a -> throw new WireException("SESSION_ACCEPTED in a session already open");
                case PeerWire.SessionRefused r -> throw new WireException("SESSION_REFUSED in a session already open");
                case PeerWire.Numbered n -> {
                    received++;
                    bytesSinceAck += size;
                    if (received - acknowledged >= ACK_EVERY_FRAMES || bytesSinceAck >= ACK_EVERY_BYTES) {
                        ackDue = true;
                        changed.signalAll();
                    }
                    stream(n, after);
                }
            }
        } finally {
            lock.unlock();
        }
        for (Runnable r : after) {
            r.run();
        }
        return true;
    }

    /** A stream frame, under the lock: only buffers and flags change; threads start in {@code after}. */
    private void stream(PeerWire.Numbered n, List<Runnable> after) throws WireException {
        int id = n.stream();
        boolean peers = (id & 1) != (nextLocalId & 1);
        if (n instanceof PeerWire.Open o) {
            if (!peers || id <= lastPeerId) {
                throw new WireException("OPEN of stream " + id + " out of turn");
            }
            lastPeerId = id;
            if (acceptor == null || held >= MAX_STREAMS) {
                Stream refused = new Stream(this, id, o.service(), o.port(), Stream.Place.NONE);
                String why = acceptor == null ? "streams are not served here" : "too many streams (" + MAX_STREAMS + ")";
                after.add(() -> refused.reset(why));
                return;
            }
            Stream s = new Stream(this, id, o.service(), o.port(), Stream.Place.SERVED);
            streams.put(id, s);
            held++;
            after.add(() -> spawn("mux-stream-" + id, () -> {
                try {
                    acceptor.accept(s);
                } finally {
                    s.served();
                }
            }));
            return;
        }
        Stream s = streams.get(id);
        if (s == null) {
            boolean known = peers ? id <= lastPeerId : id < nextLocalId;
            if (!known) {
                throw new WireException("a frame for stream " + id + ", which was never opened");
            }
            return; // a stream that ended here: frames already on the way
        }
        switch (n) {
            case PeerWire.Data d -> s.delivered(d.bytes());
            case PeerWire.Window w -> s.granted(w.increment());
            case PeerWire.Fin f -> s.peerFinished();
            case PeerWire.Reset r -> s.peerReset(r.reason());
            case PeerWire.Open o -> throw new IllegalStateException("handled above");
        }
    }

    /** A stream is over in both directions: frames for it are no longer taken. */
    void done(Stream s) {
        lock.lock();
        try {
            streams.remove(s.id, s);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A stream is done and nothing serves it any more: its place is free (once per stream). */
    void release() {
        lock.lock();
        try {
            held--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- paths

    /** Takes {@code s} as the session's path: RESUME both ways, then its reader and writer. */
    private void attach(Session s, int gen) throws IOException {
        SecureChannel ch = s.channel();
        long mine;
        lock.lock();
        try {
            mine = received;
        } finally {
            lock.unlock();
        }
        PeerWire.Resume theirs;
        try {
            ch.send(PeerWire.encode(new PeerWire.Resume(mine)));
            ByteBuffer first = ch.receive();
            if (first == null) {
                throw new ChannelException(peer + " closed the session before it resumed");
            }
            if (!(PeerWire.decode(first) instanceof PeerWire.Resume r)) {
                throw new WireException(peer + " did not begin the path with RESUME");
            }
            theirs = r;
        } catch (IOException e) {
            closeQuietly(s);
            throw e;
        }
        lock.lock();
        try {
            if (gen != generation || state == State.ENDED) {
                closeQuietly(s);
                return;
            }
            long n = theirs.received();
            if (n < logStart || n > nextNumber) {
                closeQuietly(s);
                throw new WireException(peer + " resumed at frame " + n + ", but frames " + logStart + " to " + nextNumber
                        + " are what can be sent");
            }
            trim(n);
            sendCursor = n;
            session = s;
            if (state == State.MOVING) {
                state = closeRequested ? State.CLOSING : State.UP;
            }
            ackDue = received > acknowledged;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        spawn("mux-read", () -> readLoop(gen, ch));
        spawn("mux-write", () -> writeLoop(gen, ch));
    }

    /** The path of generation {@code gen} broke: move to another, or end. */
    private void pathFailed(int gen, IOException e) {
        Session old;
        lock.lock();
        try {
            if (gen != generation || state == State.ENDED) {
                return;
            }
            if (state == State.CLOSING || reconnect == null) {
                // fall through to end, outside the lock
                old = null;
            } else {
                state = State.MOVING;
                generation++;
                old = session;
                session = null;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (old == null) {
            end(gen, e);
            return;
        }
        closeQuietly(old);
        // the watchdog closing a silent path shows as a socket closed under us: say what happened
        String why = old.timedOut() ? peer + " fell silent for " + old.idle().toSeconds() + " s"
                : e.getMessage() != null ? e.getMessage() : e.toString();
        LOG.log(System.Logger.Level.DEBUG, "path to {0} broke ({1}); moving", peer, why);
        int next = gen + 1;
        spawn("mux-move", () -> {
            try {
                Session s = reconnect.connect();
                attach(s, next);
                lock.lock();
                try {
                    moves++;
                } finally {
                    lock.unlock();
                }
                events.moved(s.path(), why);
            } catch (IOException x) {
                end(next, new IOException("lost the connection to " + peer + " (" + why + ") and could not make another: "
                        + x.getMessage(), x));
            }
        });
    }

    /** The peer's end record: it is done; so are we. */
    private void peerClosed(int gen, SecureChannel ch) {
        boolean answer;
        lock.lock();
        try {
            if (gen != generation) {
                return;
            }
            answer = state == State.UP;
        } finally {
            lock.unlock();
        }
        if (answer) {
            try {
                ch.shutdownOutput();
            } catch (IOException ignored) {
                // it closed anyway
            }
        }
        end(gen, null);
    }

    /** Ends the session (if {@code gen} is still the current generation, or any for a local close). */
    private void end(int gen, IOException why) {
        List<Stream> open;
        Session s;
        lock.lock();
        try {
            if (state == State.ENDED || (gen != generation && why != null)) {
                return;
            }
            state = State.ENDED;
            failure = why;
            generation++;
            open = new ArrayList<>(streams.values());
            streams.clear();
            s = session;
            session = null;
            log.clear();
            logHead = 0;
            logBytes = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (s != null) {
            closeQuietly(s);
        }
        for (Stream st : open) {
            st.sessionEnded(why);
        }
        events.ended(why);
    }

    private void spawn(String name, Runnable body) {
        threads.incrementAndGet();
        Thread.ofVirtual().name(name).start(() -> {
            try {
                body.run();
            } finally {
                threads.decrementAndGet();
            }
        });
    }

    /** Threads of this session still running: for tests. */
    int liveThreads() {
        return threads.get();
    }

    String describe() {
        return peer;
    }

    private static void closeQuietly(Session s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already broken
        }
    }
}
