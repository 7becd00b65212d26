package dev.tryst.path;

import dev.tryst.session.SessionException;
import dev.tryst.session.Session;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.PathKeys;
import dev.tryst.channel.SecureChannel;
import dev.tryst.channel.WrongCodeException;
import dev.tryst.wire.Bytes;
import dev.tryst.net.HostPort;
import dev.tryst.net.Ticker;
import dev.tryst.net.Watchdog;
import dev.tryst.relay.RelayClient;
import dev.tryst.session.Session;
import dev.tryst.session.SessionException;
import dev.tryst.punch.UdpPunch;
import dev.tryst.quic.QuicLink;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Races the candidate paths to the peer and keeps the first that proves itself: direct TCP (gday's
 * simultaneous open, fixed: listen and connect on the local port of the rendezvous connection, to
 * every endpoint of the peer, a new attempt every {@link PathConfig#retry()}, for a bounded time), and the
 * relay, dialled after {@link PathConfig#relayDelay()} (at once when there is no direct candidate).
 *
 * <p>It does not care where the keys came from: on every path, whoever opened it, both sides prove
 * their keys with fresh nonces ({@link PathKeys#prove}), and the initiator picks the first proven
 * path with an authenticated choice ({@link PathKeys.ProvenPath#select}); the responder takes the
 * path on which that choice arrives and checks out. So exactly one path carries the session even when several
 * connections form at once (the deterministic tie-break: the initiator's choice), and a stranger
 * who connects to our port, knowing no key, never gets past the proof: its path is dropped and
 * the race goes on. A wrong code shows as a mismatch on the relay path, which only the two room
 * members can reach; a mismatch on a direct path only drops that path.
 *
 * <p>Relay first, then direct: when the relay wins while direct attempts still run, {@link #run}
 * returns the relayed session at once and the direct attempts go on in the background until
 * {@link PathConfig#directFor()} is over. The first direct path proven then is chosen with PATH_MOVE
 * (not PATH_SELECT: the responder never takes it for the start of the session, whichever choice
 * reaches it first) and the session moves onto it between two records ({@link Session#moveTo}).
 *
 * <p>Every thread is virtual, every socket is closed when the race ends except the winner's (and the
 * one a session moved to), and {@link #run} returns only after the losing threads ended, or, when
 * the session may still move, leaves a thread that ends them once that is decided.
 */
public final class PathRace {
    private static final System.Logger LOG = System.getLogger(PathRace.class.getName());
    /** Connections accepted on the punching port per race: a stranger flooding it cannot make us spin. */
    static final int MAX_ACCEPTED = 32;
    private static final Duration CONNECT_ATTEMPT = Duration.ofSeconds(1);
    /**
     * What to race.
     *
     * @param keys      how each path is proven to the peer (and the role we play)
     * @param localPort the local port of our rendezvous connection; 0: no direct attempts
     * @param direct    the peer's endpoints (public as the server saw it, then private)
     * @param relay     the relay, or null for none
     * @param relayKey  the pairing key for the relay (33 bytes), or null without a relay
     * @param deadline  the whole race
     * @param idle      the winning session's idle timeout (at most {@link PathConfig#directIdle()} on a direct path)
     * @param keysConfirmed the peer has already proven the same keys (through the room, or on an earlier
     *                  path): a proof that fails on the relay path then comes from a stranger who holds the
     *                  relay key, not from the peer with another code, so it is turned away and the relay
     *                  dialled again; without, such a failure means the codes differ
     */
    public record Plan(PathKeys keys, int localPort, List<InetSocketAddress> direct, InetSocketAddress relay,
                       Bytes relayKey, Duration deadline, Duration idle, boolean keysConfirmed, Udp udp) {
        public Plan(PathKeys keys, int localPort, List<InetSocketAddress> direct, InetSocketAddress relay,
                    Bytes relayKey, Duration deadline, Duration idle, boolean keysConfirmed) {
            this(keys, localPort, direct, relay, relayKey, deadline, idle, keysConfirmed, null);
        }

        public Plan {
            Objects.requireNonNull(keys, "keys");
            Objects.requireNonNull(deadline, "deadline");
            Objects.requireNonNull(idle, "idle");
            direct = List.copyOf(direct);
            if (relay != null && (relayKey == null || relayKey.length() != dev.tryst.wire.RelayWire.PAIRING_KEY_LENGTH)) {
                throw new IllegalArgumentException("a relay needs its 33-byte pairing key");
            }
        }

        Handshake.Role role() {
            return keys.role();
        }

        /** This plan with a UDP path to punch as well. */
        public Plan withUdp(Udp u) {
            return new Plan(keys, localPort, direct, relay, relayKey, deadline, idle, keysConfirmed, u);
        }
    }

    /**
     * A direct path over UDP to try beside the others: punched ({@link UdpPunch}) from {@code socket},
     * whose public mapping the peer was told, then QUIC on it ({@link QuicLink}).
     *
     * @param socket   ours, bound, made from a {@link java.nio.channels.DatagramChannel}; the race's to close
     * @param peer     the peer's public UDP mapping
     * @param privates the peer's own addresses with its UDP port
     */
    public record Udp(DatagramSocket socket, InetSocketAddress peer, List<InetSocketAddress> privates) {
        public Udp {
            Objects.requireNonNull(socket, "socket");
            Objects.requireNonNull(peer, "peer");
            if (socket.getChannel() == null) {
                throw new IllegalArgumentException("the UDP socket must come from a DatagramChannel (QUIC takes it over)");
            }
            privates = List.copyOf(privates);
        }
    }

    /** The winner: its session, and which kind of path it is. */
    public record Won(Session session, boolean direct) {}

    private final Plan plan;
    private final PathConfig config;
    private final SecureRandom random;
    private final Ticker ticker;
    private final AtomicReference<Path> winner = new AtomicReference<>();
    private final CountDownLatch decided = new CountDownLatch(1);
    private final AtomicBoolean over = new AtomicBoolean();
    private final Set<java.nio.channels.Channel> open = ConcurrentHashMap.newKeySet();
    private final java.util.Queue<Thread> threads = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean relayMismatch;
    /** Strangers turned away on the relay path (keys confirmed: a failed proof there is not our peer). */
    private final AtomicInteger strangers = new AtomicInteger();
    /** How many strangers on the relay path one race turns away before it stops dialling it. */
    static final int MAX_STRANGERS = 8;
    private volatile boolean relayDone;
    private volatile String relayError;
    private ServerSocketChannel listener;
    private long directUntil;
    /** Set once the relayed session exists and may move; counted down then. */
    private volatile Session session;
    private final CountDownLatch started = new CountDownLatch(1);
    /** The one later direct path a move is tried on, and when that try is over. */
    private final AtomicReference<Path> mover = new AtomicReference<>();
    private volatile Path moved;
    private final CountDownLatch moveOver = new CountDownLatch(1);
    /** Counted down when the session is closed: no move any more. */
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicBoolean ended = new AtomicBoolean();

    private record Path(ByteChannel socket, SecureChannel channel, Watchdog watchdog, String label, boolean direct) {}

    /** Set by {@link #end} when nobody won, so that a late attempt cannot. */
    private static final Path NO_WINNER = new Path(null, null, null, "none", false);

    private PathRace(Plan plan, PathConfig config, SecureRandom random, Ticker ticker) {
        this.plan = plan;
        this.config = config;
        this.random = random;
        this.ticker = ticker;
    }

    /** Runs the race; the keys stay open (a fallback may use them for another path later). */
    public static Won run(Plan plan, PathConfig config, SecureRandom random) throws SessionException {
        return run(plan, config, random, Ticker.SYSTEM);
    }

    /** As {@link #run(Plan, PathConfig, SecureRandom)}, with every deadline on {@code ticker}. */
    public static Won run(Plan plan, PathConfig config, SecureRandom random, Ticker ticker) throws SessionException {
        return new PathRace(plan, config, random, ticker).race();
    }

    /**
     * One path to the relay alone, with the same proof as in a race: the fallback after a direct
     * path died. The two sides may notice the death up to a direct idle timeout apart, so the
     * first to arrive waits {@link PathConfig#fallbackWait()} for the other.
     */
    public static Won relayOnly(Plan plan, PathConfig config, SecureRandom random) throws SessionException {
        Duration wait = config.fallbackWait();
        // a direct path proved the keys already: a failed proof at the relay is a stranger, never a wrong code
        Plan p = new Plan(plan.keys(), 0, List.of(), plan.relay(), plan.relayKey(), wait.plusSeconds(10), plan.idle(), true);
        return new PathRace(p, config.withPathTimeout(wait), random, Ticker.SYSTEM).race();
    }

    private Won race() throws SessionException {
        long start = ticker.nanoTime();
        long deadline = start + plan.deadline().toNanos();
        boolean tcp = plan.localPort() > 0 && !plan.direct().isEmpty();
        boolean direct = tcp || plan.udp() != null;
        directUntil = start + (direct ? config.directFor().toNanos() : 0);
        LOG.log(System.Logger.Level.DEBUG, "race as {0}: direct {1} from port {2}, relay {3} after {4}",
                plan.role(), plan.direct(), plan.localPort(), plan.relay(), config.relayDelay());
        try {
            if (plan.udp() != null) {
                open.add(plan.udp().socket().getChannel());
                spawn("path-udp", this::udpPath);
            }
            if (tcp) {
                try {
                    listener = ServerSocketChannel.open();
                    listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                    listener.bind(new InetSocketAddress(plan.localPort()));
                    Thread acceptor = Thread.ofVirtual().name("path-accept").unstarted(counted(this::acceptLoop)); // ends with the listener
                    threads.add(acceptor);
                    acceptor.start();
                } catch (IOException | UnsupportedOperationException e) {
                    LOG.log(System.Logger.Level.DEBUG, "no listener on port {0}: {1}", plan.localPort(), e.toString());
                    closeQuietly(listener);
                    listener = null;
                }
                for (InetSocketAddress target : plan.direct()) {
                    spawn("path-connect", () -> connectLoop(target, directUntil));
                }
            }
            if (plan.relay() != null) {
                long at = start + (direct ? config.relayDelay().toNanos() : 0);
                spawn("path-relay", () -> relay(at));
            } else {
                relayDone = true;
            }
            while (decided.getCount() > 0) {
                long left = deadline - ticker.nanoTime();
                boolean directOver = ticker.nanoTime() - directUntil >= 0 && running.get() == 0;
                if (left <= 0 || relayMismatch || (relayDone && directOver)) {
                    break;
                }
                decided.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path first = winner.get();
        boolean mayMove = first != null && first != NO_WINNER && !first.direct() && direct && !over.get()
                && ticker.nanoTime() - directUntil < 0;
        if (!mayMove) {
            end();
        }
        Path w = winner.get();
        if (w != NO_WINNER) {
            Session s = Session.start(w.channel(), w.watchdog(), w.direct() ? directIdle() : plan.idle(), w.label());
            if (mayMove) {
                session = s;
                started.countDown();
                s.onClose(stop::countDown);
                Thread.ofVirtual().name("path-upgrade").start(counted(this::untilMoved));
            }
            return new Won(s, w.direct());
        }
        if (relayMismatch) {
            throw SessionException.wrongCode(plan.role(), new WrongCodeException());
        }
        if (relayError != null) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, relayError, null);
        }
        if (strangers.get() > 0) {
            throw new SessionException(SessionException.Kind.NOT_AUTHENTICATED, plan.keys().stranger() + " answered at the"
                    + " relay with this session's key (" + strangers.get() + " time" + (strangers.get() == 1 ? "" : "s")
                    + ", turned away: they learned nothing), and the other side did not come within "
                    + plan.deadline().toSeconds() + " s; try again, and if it happens again the path to the relay is watched", null);
        }
        throw new SessionException(SessionException.Kind.PEER_GONE, "no path to the other side worked within "
                + plan.deadline().toSeconds() + " s (the other side may have quit)", null);
    }

    /** A direct session's idle timeout: the plan's, at most {@link PathConfig#directIdle()}. */
    private Duration directIdle() {
        return plan.idle().compareTo(config.directIdle()) > 0 ? config.directIdle() : plan.idle();
    }

    /**
     * The relayed session may still move: waits until it did (or the try failed), the session was
     * closed, or the direct attempts are over, then ends the race.
     */
    private void untilMoved() {
        try {
            while (stop.getCount() > 0 && moveOver.getCount() > 0
                    && (mover.get() != null || ticker.nanoTime() - directUntil < 0 || running.get() > 0)) {
                stop.await(50, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            end();
        }
    }

    /**
     * Proven later, on a direct path, while the relayed session runs: the initiator chooses it with
     * PATH_MOVE, and each side moves the session onto it. True if the session moved.
     */
    private boolean moveOnto(Path p, PathKeys.ProvenPath proof) {
        try {
            if (!started.await(config.pathTimeout().toNanos(), TimeUnit.NANOSECONDS) || stop.getCount() == 0) {
                return false; // the responder's session never started here, or it is over
            }
            if (plan.role() == Handshake.Role.INITIATOR) {
                proof.selectMove(p.socket());
            }
            p.watchdog().close(); // the session's own watchdog watches this path from now on
            session.moveTo(p.channel(), p.label(), directIdle());
            moved = p;
            LOG.log(System.Logger.Level.DEBUG, "moved from the relay to {0}", p.label());
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "moving to {0}: {1}", p.label(), e.toString());
            return false;
        } catch (InterruptedException e) {
            return false;
        } finally {
            moveOver.countDown();
        }
    }

    /** Stops every attempt, closes every socket but the session's, waits for the threads; once. */
    private void end() {
        over.set(true);
        winner.compareAndSet(null, NO_WINNER); // an attempt that checked `over` just before cannot win after this
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        closeQuietly(listener);
        Path w = winner.get();
        Thread self = Thread.currentThread();
        for (java.nio.channels.Channel s : open) {
            if (!kept(s, w)) {
                closeQuietly(s);
            }
        }
        for (Thread t : threads) {
            if (t != self) {
                t.interrupt();
            }
        }
        for (Thread t : threads) {
            try {
                if (t != self) {
                    t.join(TimeUnit.SECONDS.toMillis(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (java.nio.channels.Channel s : open) { // registered by a thread after the first pass
            if (!kept(s, w)) {
                closeQuietly(s);
            }
        }
    }

    private boolean kept(java.nio.channels.Channel s, Path w) {
        Path m = moved;
        return (w != null && s == w.socket()) || (m != null && s == m.socket());
    }

    /** Threads of all races still running (virtual threads do not show in Thread.getAllStackTraces): for tests. */
    static final AtomicInteger LIVE_THREADS = new AtomicInteger();

    private static Runnable counted(Runnable body) {
        return () -> {
            LIVE_THREADS.incrementAndGet();
            try {
                body.run();
            } finally {
                LIVE_THREADS.decrementAndGet();
            }
        };
    }

    /** Starts a counted thread, registered before it runs so that {@link #end} always sees it. */
    private boolean spawn(String name, Runnable body) {
        Thread t = Thread.ofVirtual().name(name).unstarted(counted(() -> {
            try {
                body.run();
            } finally {
                running.decrementAndGet();
            }
        }));
        threads.add(t);
        running.incrementAndGet();
        try {
            t.start();
            return true;
        } catch (RuntimeException | Error e) {
            running.decrementAndGet();
            threads.remove(t);
            return false;
        }
    }

    private void acceptLoop() {
        while (!over.get()) {
            SocketChannel s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                return; // closed at the end of the race
            }
            if (accepted.incrementAndGet() > MAX_ACCEPTED || over.get()) {
                closeQuietly(s);
                continue;
            }
            String label;
            try {
                // as on the side that connects: without it, small records (a stream's WINDOW, an ACK)
                // from the accepting side wait for Nagle and the peer's delayed ACK, ~40 ms each, and a
                // stream whose window they open crawls at ~20 MB/s (bench/connect.sh saw it)
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                label = "direct, tcp " + HostPort.format((InetSocketAddress) s.getRemoteAddress());
            } catch (IOException e) {
                closeQuietly(s);
                continue;
            }
            spawnAttempt(s, label);
        }
    }

    private void spawnAttempt(SocketChannel s, String label) {
        if (!spawn("path-attempt", () -> attempt(s, label, true, PathKeys.NO_BINDING))) {
            closeQuietly(s);
        }
    }

    /**
     * Punches the UDP path, for as long as direct attempts go on, then opens QUIC on the socket that
     * proved it (the initiator is the QUIC client) and proves the path inside, bound to both ends'
     * certificates.
     */
    private void udpPath() {
        Udp u = plan.udp();
        long left = directUntil - ticker.nanoTime();
        if (left <= 0 || over.get()) {
            closeQuietly(u.socket().getChannel());
            return;
        }
        UdpPunch.Path p = UdpPunch.punch(u.socket(), new UdpPunch.Plan(plan.role(), u.peer(), u.privates(),
                config.sprayAfter(), config.sprayPorts(), Duration.ofNanos(left)), plan.keys(), random, ticker);
        if (p == null || over.get()) {
            if (p != null) {
                p.socket().close();
            }
            closeQuietly(u.socket().getChannel());
            return;
        }
        if (p.socket() != u.socket()) {
            closeQuietly(u.socket().getChannel()); // a spray socket won: the main one is done
        }
        String label = "direct, quic " + HostPort.format(p.peer());
        QuicLink link;
        try {
            open.add(p.socket().getChannel());
            link = QuicLink.open(p.socket().getChannel(), p.peer(), plan.role() == Handshake.Role.INITIATOR,
                    config.pathTimeout(), random);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", label, e.toString());
            return;
        }
        open.add(link);
        open.remove(p.socket().getChannel()); // the link's now, closed with it
        attempt(link, label, true, link.binding());
    }

    /** Connects from our punching port to {@code target} until a connection forms or time is up. */
    private void connectLoop(InetSocketAddress target, long until) {
        while (!over.get() && ticker.nanoTime() - until < 0) {
            long began = ticker.nanoTime();
            SocketChannel s = null;
            try {
                s = SocketChannel.open(target.getAddress() instanceof java.net.Inet6Address
                        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                open.add(s);
                s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                s.bind(new InetSocketAddress(plan.localPort()));
                s.socket().connect(target, (int) CONNECT_ATTEMPT.toMillis());
                attempt(s, "direct, tcp " + HostPort.format(target), true, PathKeys.NO_BINDING);
                return; // a connection formed: proven or not, this endpoint is done
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "connect to {0}: {1}", target, e.toString());
                closeQuietly(s);
                if (s != null) {
                    open.remove(s);
                }
            }
            long wait = config.retry().toNanos() - (ticker.nanoTime() - began);
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void relay(long at) {
        try {
            long wait = at - ticker.nanoTime();
            if (wait > 0) {
                if (decided.await(wait, TimeUnit.NANOSECONDS)) {
                    return; // a direct path won first
                }
            }
            if (over.get()) {
                return;
            }
            String where = HostPort.format(plan.relay());
            while (!over.get()) {
                SocketChannel s;
                try {
                    s = RelayClient.dial(HostPort.resolve(plan.relay()), plan.relayKey().toByteArray(), config.pathTimeout());
                } catch (IOException e) {
                    relayError = "cannot reach the relay at " + where + " (" + e.getMessage() + ")";
                    return;
                }
                if (!attempt(s, "relayed via " + where, false, PathKeys.NO_BINDING)) {
                    return; // won, lost to another path, or broke: this path is done
                }
                if (!plan.keysConfirmed()) {
                    relayMismatch = true; // only the two room members hold the relay key: the codes differ
                    return;
                }
                if (strangers.incrementAndGet() >= MAX_STRANGERS) {
                    return;
                }
                LOG.log(System.Logger.Level.DEBUG, "a stranger answered at {0}; waiting there again", where);
                TimeUnit.NANOSECONDS.sleep(config.retry().toNanos());
            }
        } catch (InterruptedException e) {
            // the race is over
        } finally {
            relayDone = true;
        }
    }

    /**
     * Proves one connected path; the first proven (initiator) or chosen (responder) one wins. True
     * only if the other end failed the proof (not our keys).
     */
    private boolean attempt(ByteChannel s, String label, boolean direct, byte[] binding) {
        open.add(s);
        if (over.get()) {
            closeQuietly(s);
            return false;
        }
        Watchdog watchdog = Watchdog.watch(s, config.pathTimeout(), ticker);
        boolean won = false;
        try {
            PathKeys.ProvenPath proof = plan.keys().prove(s, random, binding);
            boolean move = false;
            if (plan.role() == Handshake.Role.RESPONDER) {
                move = proof.awaitSelect(s);
            }
            Path p = new Path(s, proof.channel(s), watchdog, label, direct);
            Path first = winner.get();
            if (direct && !over.get() && (move || (first != null && first != NO_WINNER && !first.direct()))) {
                // the session started on the relay: move it here, if no other path is being tried
                won = mover.compareAndSet(null, p) && moveOnto(p, proof);
                return false;
            }
            if (!move && !over.get() && winner.compareAndSet(null, p)) {
                won = true;
                watchdog.reset(plan.idle()); // from now on the session's timeout, not the proof's
                try {
                    if (plan.role() == Handshake.Role.INITIATOR) {
                        proof.select(s);
                    }
                } finally {
                    decided.countDown();
                }
            }
        } catch (WrongCodeException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: proof did not match", label);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", label, e.toString());
        } finally {
            if (!won) {
                watchdog.close();
                closeQuietly(s);
            }
        }
        return false;
    }

    /** Closes a losing path at once: a QUIC link without waiting for its peer's FIN. */
    private static void closeQuietly(AutoCloseable c) {
        if (c instanceof QuicLink q) {
            q.abort();
            return;
        }
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
