package dev.tryst.rendezvous;

import dev.tryst.wire.ControlException;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.Ping;
import dev.tryst.server.ServiceCore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transport of one control session: its socket, one reader and one writer virtual thread, a
 * bounded outgoing queue, pings, the silence timeout and the grace period of a close. It knows the
 * framing and Chatr's session rules about time; what a frame means is its {@link Listener}'s.
 *
 * <ul>
 *   <li>Everything sent goes through the queue ({@code outgoingQueue} packets at most) to the
 *       writer, so no thread ever blocks on this session's socket but its own writer. A packet
 *       that would overflow the queue drops the session as too slow, except a paced one
 *       ({@link #sendPaced}), which first waits for room up to the grace period.</li>
 *   <li>Deadlines are read on the server's ticker by {@link #tick}: "Time out" after
 *       {@code silenceTimeout} without a frame from the client, a PING every {@code pingInterval}
 *       once connected, and the socket cut at the end of a close's grace period.</li>
 *   <li>{@link #disconnect} is the only way out: it tells the listener ({@link Listener#closing}),
 *       queues DISCONNECT with its reason as the last packet (past the bound, so it always goes
 *       out), and the writer half-closes after it; the reader drains what the client still sends
 *       until it hangs up or the grace period ends, so the DISCONNECT is not lost to a reset.</li>
 * </ul>
 */
final class ControlSession {
    private static final System.Logger LOG = System.getLogger(ControlSession.class.getName());

    /** What the session's frames and its end mean; called on the session's reader thread unless said otherwise. */
    interface Listener {
        /** A frame arrived (not while closing). */
        void frame(Frame f);

        /** The session is closing (any thread, once): let go of what it holds before its DISCONNECT goes out. */
        void closing();

        /** Run by the writer when {@link #queuePump} asked it to: send whatever is due, in order. */
        void pump(OutputStream out) throws IOException;

        /** The session ended (once): its threads are done or about to be. */
        void ended();
    }

    /** What the writer takes from the queue: a packet, or the signal to pump stored events. */
    private sealed interface Out permits Send, Pump {}

    private record Send(Packet packet) implements Out {}

    private record Pump() implements Out {}

    private static final Pump PUMP = new Pump();

    final long id;
    final InetSocketAddress remote;
    final Address publicAddress;
    private final Socket socket;
    private final ServiceCore core;
    private final Limits limits;
    private final RendezvousCounters counters;
    private Listener listener;

    /** The times and bounds of one session, from the server's config. */
    record Limits(long pingNanos, long silenceNanos, long graceNanos, int queue) {}

    private final LinkedBlockingQueue<Out> out = new LinkedBlockingQueue<>();
    private final CountDownLatch writerDone = new CountDownLatch(1);
    private final AtomicLong pingIds = new AtomicLong();

    // guarded by this
    private boolean closing;
    private Out last;
    private long closeDeadline;
    private boolean pumpQueued;
    private boolean cutting;

    private volatile boolean connected;
    private volatile long lastHeard;
    private volatile long lastPing;
    private volatile boolean ended;

    ControlSession(long id, Socket socket, InetSocketAddress remote, ServiceCore core, Limits limits,
                   RendezvousCounters counters) {
        this.id = id;
        this.socket = socket;
        this.remote = remote;
        this.publicAddress = Address.of(remote);
        this.core = core;
        this.limits = limits;
        this.counters = counters;
        this.lastHeard = core.now();
    }

    /** Starts the writer and the reader; before this nothing is read. */
    void start(Listener l) {
        this.listener = l;
        try {
            core.spawn("rendezvous-write-" + id, this::writeLoop);
            core.spawn("rendezvous-read-" + id, this::readLoop);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.log(Level.DEBUG, "dropping {0}: {1}", remote, e.toString());
            disconnect(RendezvousServer.REASON_SERVER_CLOSING); // wakes a writer that did start
            closeSocket();
            end();
        }
    }

    /** The session passed CONNECT (and a login): pings start. */
    void connected() {
        lastPing = core.now();
        connected = true;
    }

    boolean isConnected() {
        return connected;
    }

    synchronized boolean isClosing() {
        return closing;
    }

    /** Packets waiting to be written now. */
    int queued() {
        return out.size();
    }

    /** Queues {@code p}; false if the session is closing, or now disconnected for letting its queue overflow. */
    boolean send(Packet p) {
        return queue(p, 0);
    }

    /**
     * Queues {@code p}, waiting (up to the grace period, in real time: a back-pressure wait, not a
     * protocol deadline) for room in the queue, so that a fast sender is slowed to this session's
     * pace instead of getting it dropped; a session still full after that is disconnected as too slow.
     */
    boolean sendPaced(Packet p) {
        return queue(p, limits.graceNanos());
    }

    /** Queues {@code p} once there is room, waiting up to {@code patienceNanos}; an overflow drops the session. */
    private boolean queue(Packet p, long patienceNanos) {
        long deadline = System.nanoTime() + patienceNanos;
        synchronized (this) {
            try {
                while (!closing && out.size() >= limits.queue()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (closing) {
                return false;
            }
            if (out.size() < limits.queue()) {
                out.add(new Send(p));
                return true;
            }
        }
        counters.slowConsumers.increment();
        disconnect(RendezvousServer.REASON_TOO_SLOW);
        return false;
    }

    /** Makes the writer call {@link Listener#pump}; at most one such request is queued at a time (past the bound). */
    synchronized void queuePump() {
        if (!closing && !pumpQueued) {
            pumpQueued = true;
            out.add(PUMP);
        }
    }

    /** A packet out of place or malformed: "Invalid Packet". */
    void invalid() {
        counters.invalidPackets.increment();
        disconnect(ControlWire.REASON_INVALID_PACKET);
    }

    /**
     * Ends the session with DISCONNECT {@code reason}: the listener lets go of what the session
     * holds first (a client that reads the DISCONNECT and logs in again at once must find its
     * identity free), then the DISCONNECT is queued as the last packet and the grace period starts.
     */
    void disconnect(String reason) {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true; // nothing else is queued from now on
            closeDeadline = core.now() + limits.graceNanos();
            notifyAll(); // senders waiting for queue room give up
        }
        LOG.log(Level.DEBUG, "session {0} from {1}: DISCONNECT {2}", id, remote, reason);
        if (listener != null) {
            listener.closing();
        }
        synchronized (this) {
            last = new Send(new Disconnect(reason));
            out.add(last);
        }
    }

    /** The sweeper's look at this session at {@code now} (on the ticker). */
    void tick(long now) {
        boolean cut;
        boolean silent;
        synchronized (this) {
            cut = closing && now - closeDeadline >= 0;
            silent = !closing && now - lastHeard >= limits.silenceNanos();
        }
        if (cut) {
            cutAside();
        } else if (silent) {
            counters.timeouts.increment();
            disconnect(ControlWire.REASON_TIME_OUT);
        } else if (connected && now - lastPing >= limits.pingNanos()) {
            lastPing = now;
            synchronized (this) {
                // a full queue already keeps the client busy; a ping then is skipped, never fatal
                if (!closing && out.size() < limits.queue()) {
                    out.add(new Send(new Ping(pingIds.incrementAndGet())));
                }
            }
        }
    }

    void closeSocket() {
        ServiceCore.closeQuietly(socket);
    }

    /**
     * Cuts the connection now: no TLS close_notify (which would wait, with no bound, for a writer
     * stuck on a client that reads nothing), a reset instead. Blocked reads and writes fail at once.
     */
    void cut() {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // closed already
        }
        closeSocket();
    }

    /**
     * {@link #cut} on a thread of its own: the sweeper, which enforces every session's deadlines,
     * must never wait on one session's socket.
     */
    private void cutAside() {
        synchronized (this) {
            if (cutting) {
                return;
            }
            cutting = true;
        }
        try {
            core.spawn("rendezvous-cut-" + id, this::cut);
        } catch (RuntimeException | OutOfMemoryError e) {
            cut();
        }
    }

    private void writeLoop() {
        try {
            OutputStream os = new BufferedOutputStream(socket.getOutputStream(), 8192);
            while (true) {
                Out o = out.take();
                switch (o) {
                    case Pump p -> {
                        synchronized (this) {
                            pumpQueued = false;
                        }
                        listener.pump(os);
                    }
                    case Send s -> ControlWire.write(os, s.packet());
                }
                if (out.isEmpty()) {
                    os.flush();
                }
                boolean isLast;
                synchronized (this) {
                    isLast = o == last;
                    notifyAll(); // one more place in the queue
                }
                if (isLast) {
                    os.flush();
                    socket.shutdownOutput();
                    break;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "session {0}: write failed: {1}", id, e.toString());
            cut(); // wakes the reader
        } catch (InterruptedException e) {
            cut();
        } catch (RuntimeException e) { // the event log failed or was closed under us
            LOG.log(Level.WARNING, "session {0}: {1}", id, e.toString());
            cut();
        } finally {
            writerDone.countDown();
        }
    }

    private void readLoop() {
        try {
            InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
            try {
                while (!isClosing()) {
                    Frame f = ControlWire.read(in);
                    if (f == null) {
                        disconnect(RendezvousServer.REASON_BYE);
                        break;
                    }
                    lastHeard = core.now(); // any frame is a sign of life
                    if (!isClosing()) {
                        listener.frame(f);
                    }
                }
            } catch (ControlException e) {
                LOG.log(Level.DEBUG, "session {0} from {1}: {2}", id, remote, e.getMessage());
                invalid();
            } catch (RuntimeException e) { // the event log failed or was closed under us
                LOG.log(Level.WARNING, "session {0}: {1}", id, e.toString());
                disconnect(RendezvousServer.REASON_SERVER_CLOSING);
            }
            drain(in);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "session {0}: read failed: {1}", id, e.toString());
            disconnect(RendezvousServer.REASON_BYE);
        } finally {
            boolean written = false;
            try {
                written = writerDone.await(limits.graceNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (written) {
                closeSocket();
            } else {
                cut(); // the writer is stuck on a client that does not read: no polite close
            }
            end();
        }
    }

    /** Reads and drops what the client still sends until it hangs up, or the sweeper cuts it at the grace deadline. */
    private void drain(InputStream in) throws IOException {
        byte[] junk = new byte[4096];
        while (in.read(junk) >= 0) {
            // discard
        }
    }

    private void end() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        listener.ended();
    }

    boolean hasEnded() {
        return ended;
    }
}
