package dev.tryst.rendezvous;

import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.ChallengeResponse;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestAccept;
import dev.tryst.wire.ControlWire.ConnectionRequestDenied;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.EventAck;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.Pong;
import dev.tryst.wire.ControlWire.Request;
import dev.tryst.wire.ControlWire.Resume;
import dev.tryst.wire.ControlWire.RoomAddresses;
import dev.tryst.wire.ControlWire.RoomCreate;
import dev.tryst.wire.ControlWire.RoomDone;
import dev.tryst.wire.ControlWire.RoomJoin;
import dev.tryst.wire.ControlWire.RoomMessage;
import dev.tryst.wire.ControlWire.Unknown;
import dev.tryst.events.EventLog;
import dev.tryst.net.AddressGroup;
import dev.tryst.wire.Bytes;
import dev.tryst.net.Ticker;
import dev.tryst.server.Admission;
import dev.tryst.server.ServiceCore;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ServerSocketFactory;

/**
 * The rendezvous server: Chatr's session rules ({@link ControlWire}) carrying gday's contact
 * exchange in rooms, identity logins, connection requests and Cryptology's ordered events. TLS
 * comes from the {@link ServerSocketFactory} given to {@link #start(RendezvousConfig, ServerSocketFactory, RendezvousBackend)}.
 *
 * <p>It is composed of parts that each do one thing:
 * <ul>
 *   <li>the {@link ServiceCore} skeleton: accepting, admission per source ({@link Admission}), the
 *       sweeper, threads and closing;</li>
 *   <li>one {@link ControlSession} per connection: reader, writer, bounded queue, pings, the
 *       silence timeout and the grace period of a close;</li>
 *   <li>the handlers, one per concern: {@link RoomHandler} (rooms), {@link PresenceHandler}
 *       (identities and connection requests), {@link EventHandler} (events and requests);</li>
 *   <li>their state behind interfaces, from the {@link RendezvousBackend}: rooms, presence, the bus
 *       that reaches a session wherever it lives, the event log.</li>
 * </ul>
 *
 * <p>This class admits connections, dispatches each frame to its handler, and sweeps. The first frame
 * must be CONNECT (anything else: DISCONNECT "Invalid Packet"); the server answers CONNECTED, after
 * a CHALLENGE signed in CHALLENGE_RESPONSE for an identity. A second CONNECT, a malformed frame, or
 * a packet out of place is "Invalid Packet"; unknown opcodes are ignored so newer clients can add
 * packets. Every deadline is read on the injected {@link Ticker}.
 */
public final class RendezvousServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RendezvousServer.class.getName());

    public static final String REASON_TOO_MANY_SESSIONS = "Too many sessions";
    public static final String REASON_TOO_MANY_FROM_ADDRESS = "Too many sessions from this address";
    public static final String REASON_TOO_MANY_ROOMS = "Too many rooms from this address";
    public static final String REASON_TOO_MANY_LOOKUPS = "Too many failed lookups";
    public static final String REASON_TOO_MANY_JOINS = "Too many joins";
    public static final String REASON_TOO_MANY_REQUESTS = "Too many connection requests";
    public static final String REASON_TOO_MANY_DIALERS = "Too many dialing sessions for this identity";
    public static final String REASON_QUEUE_FULL = "Room message queue full";
    public static final String REASON_TOO_SLOW = "Too slow";
    public static final String REASON_SERVER_CLOSING = "Server closing";
    public static final String REASON_BYE = "Bye";
    public static final String ROOM_REASON_PEER_LEFT = ControlWire.ROOM_CLOSED_PEER_LEFT;
    public static final String ROOM_REASON_EXPIRED = ControlWire.ROOM_CLOSED_EXPIRED;
    public static final String REASON_NO_IDENTITIES = "This server does not serve identities";
    /**
     * The one answer to a connection request the target has not accepted, whether it is offline,
     * refused, did not answer or had no place left: a requester learns nothing of its presence.
     */
    public static final String DENIED_NOT_AVAILABLE = "Not available";
    /** Connection requests shown to one target and waiting for its answer. */
    public static final int MAX_PENDING_REQUESTS = PresenceHandler.MAX_PENDING_REQUESTS;
    /** First byte of a pairing key the server made up (codes derive theirs and start with 0x01). */
    public static final byte SERVER_PAIRING_KEY_VERSION = 2;

    /** Longest time a closing session is given to read its DISCONNECT and hang up. */
    private static final long MAX_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long EXPIRY_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Sessions per IPv6 /48 (a site), as a multiple of those per source (an IPv6 /64 or an IPv4 address). */
    static final int SITE_FACTOR = 4;
    /** New sessions a second in all (in bursts of twice that): each costs a TLS handshake. */
    static final int ACCEPT_RATE = 2_000;

    private final RendezvousConfig config;
    private final ServerSocket server;
    private final InetSocketAddress address;
    private final ServiceCore core;
    private final Admission admission;
    private final ControlSession.Limits limits;
    private final RendezvousCounters counters = new RendezvousCounters();
    private final RendezvousBackend backend;
    private final EventLog events;
    private final RoomHandler rooms;
    private final PresenceHandler presence;
    private final EventHandler eventHandler;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    /** When the sweeper next deletes expired events (sweeper thread only, on the ticker). */
    private long nextExpiry;

    private RendezvousServer(RendezvousConfig config, RendezvousBackend backend, ServerSocket server, Ticker ticker) {
        this.config = config;
        this.backend = backend;
        this.events = backend.events();
        this.server = server;
        this.address = (InetSocketAddress) server.getLocalSocketAddress();
        this.core = new ServiceCore("rendezvous", LOG, ticker);
        this.admission = new Admission(Admission.Limits.of(config.maxSessions(), config.maxSessionsPerAddress(),
                SITE_FACTOR * config.maxSessionsPerAddress(), ACCEPT_RATE), ticker);
        long grace = Math.min(config.silenceTimeout().toNanos(), MAX_GRACE_NANOS);
        this.limits = new ControlSession.Limits(config.pingInterval().toNanos(), config.silenceTimeout().toNanos(), grace,
                config.outgoingQueue());
        SecureRandom random = new SecureRandom();
        this.rooms = new RoomHandler(config, backend.rooms(), backend.bus(), counters, random, backend.relayPort());
        this.presence = new PresenceHandler(backend.presence(), backend.bus(), events, backend.serverName(), backend.relayPort(), backend.stunPort(), random,
                counters);
        this.eventHandler = new EventHandler(events, backend.bus(), presence,
                new SendBudget(ticker::nanoTime), new SendBudget(ticker::nanoTime));
        this.nextExpiry = ticker.nanoTime();
    }

    /** Binds a plain TCP socket, starts accepting and sweeping, and returns. */
    public static RendezvousServer start(RendezvousConfig config) throws IOException {
        return start(config, ServerSocketFactory.getDefault());
    }

    /** As {@link #start(RendezvousConfig)}, with sockets from {@code factory} (e.g. an SSLServerSocketFactory). */
    public static RendezvousServer start(RendezvousConfig config, ServerSocketFactory factory) throws IOException {
        return start(config, factory, RendezvousBackend.roomsOnly());
    }

    /** As {@link #start(RendezvousConfig, ServerSocketFactory)}, with identities, events, a relay and state from {@code backend}. */
    public static RendezvousServer start(RendezvousConfig config, ServerSocketFactory factory, RendezvousBackend backend)
            throws IOException {
        return start(config, factory, backend, Ticker.SYSTEM);
    }

    /** As {@link #start(RendezvousConfig, ServerSocketFactory, RendezvousBackend)}, every deadline on {@code ticker}. */
    public static RendezvousServer start(RendezvousConfig config, ServerSocketFactory factory, RendezvousBackend backend,
                                         Ticker ticker) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(ticker, "ticker");
        ServerSocket ss = factory.createServerSocket();
        RendezvousServer s;
        try {
            ss.setReuseAddress(true);
            ss.bind(config.bind(), 1024);
            s = new RendezvousServer(config, backend, ss, ticker);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
        s.core.serve(ServiceCore.tickFor(config.pingInterval(), config.roomLifetime()), s::sweep, ss::accept, s::admit, s::close);
        LOG.log(Level.DEBUG, () -> "rendezvous listening on " + s.address); // the command line says it
        return s;
    }

    /** Sweeps completed so far (tests that move the ticker wait for the next ones). */
    long sweeps() {
        return core.sweeps();
    }

    /** The bound address (useful when binding port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** Whoever hears of rooms opened and closed and of logins (structured log lines); set once, after start. */
    public void activity(dev.tryst.server.Activity a) {
        java.util.Objects.requireNonNull(a, "activity");
        rooms.activity = a;
        presence.activity = a;
    }

    /** Whether the server is still accepting (not closed). */
    public boolean isOpen() {
        return !core.closed();
    }

    public RendezvousStats stats() {
        long queued = 0;
        long deepest = 0;
        for (Client c : clients) {
            int n = c.io.queued();
            queued += n;
            deepest = Math.max(deepest, n);
        }
        return counters.snapshot(admission.active(), rooms.openRooms(), core.liveThreads(), queued, deepest, limits.queue());
    }

    /**
     * Stops accepting, sends every session DISCONNECT "Server closing", gives them a moment to hang
     * up, closes what is left and waits (up to 5 s) for the server's threads to end.
     */
    @Override
    public void close() {
        if (!core.beginClose()) {
            return;
        }
        ServiceCore.closeQuietly(server);
        for (Client c : clients) {
            c.io.disconnect(REASON_SERVER_CLOSING);
        }
        long soft = System.nanoTime() + Math.min(limits.graceNanos(), TimeUnit.MILLISECONDS.toNanos(500));
        while (!clients.isEmpty() && System.nanoTime() - soft < 0) { // real time: how long we let clients hang up
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Client c : clients) {
            c.io.cut(); // no polite TLS close: a writer stuck on a client that reads nothing would hold it up
        }
        core.awaitThreads(address);
    }

    // ---------------------------------------------------------------- admitting

    private void admit(Socket socket) {
        counters.accepted.increment();
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        if (remote == null) {
            ServiceCore.closeQuietly(socket);
            return;
        }
        String refusal = null;
        if (core.closed()) {
            refusal = REASON_SERVER_CLOSING;
        } else {
            Admission.Refusal r = admission.admit(remote.getAddress());
            if (r == Admission.Refusal.TOTAL || r == Admission.Refusal.RATE || r == Admission.Refusal.SOURCE_RATE) {
                // Closed at once: no TLS handshake, no threads, no DISCONNECT. Whoever floods the
                // server with new connections must not make it spend more on refusing them.
                (r == Admission.Refusal.SOURCE_RATE ? counters.refusedPerAddress : counters.refusedSessions).increment();
                LOG.log(Level.DEBUG, "refused {0} at once: {1}", remote, r);
                ServiceCore.closeQuietly(socket);
                return;
            }
            if (r == Admission.Refusal.SOURCE || r == Admission.Refusal.WIDE_SOURCE) {
                refusal = REASON_TOO_MANY_FROM_ADDRESS;
                counters.refusedPerAddress.increment();
            }
        }
        boolean admitted = refusal == null;
        Client c;
        try {
            socket.setTcpNoDelay(true);
            ControlSession io = new ControlSession(ids.incrementAndGet(), socket, remote, core, limits, counters);
            c = new Client(io, AddressGroup.of(remote.getAddress()), admitted, this);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "dropping {0}: {1}", remote, e.toString());
            ServiceCore.closeQuietly(socket);
            if (admitted) {
                admission.release(remote.getAddress());
            }
            return;
        }
        c.ref = backend.bus().attach(c);
        clients.add(c);
        c.io.start(c);
        if (admitted && core.closed()) { // close() may have gone through the clients before this one was added
            c.io.disconnect(REASON_SERVER_CLOSING);
        } else if (!admitted) {
            // Refused sessions still get their DISCONNECT through the usual writer and drain, then end.
            LOG.log(Level.DEBUG, "refused {0}: {1}", remote, refusal);
            c.io.disconnect(refusal);
        }
    }

    // ---------------------------------------------------------------- dispatching

    /** A frame from {@code c}: CONNECT and the login first, then each packet to its handler. */
    void dispatch(Client c, Frame f) {
        if (!c.io.isConnected()) {
            if (c.challenge != null) {
                if (f instanceof ChallengeResponse r) {
                    presence.onChallengeResponse(c, r);
                } else {
                    c.io.invalid();
                }
            } else if (!(f instanceof Connect connect) || c.claimed != null) {
                c.io.invalid();
            } else if (connect.mode() == ControlWire.MODE_IDENTITY || connect.mode() == ControlWire.MODE_DIALER) {
                presence.onIdentityConnect(c, connect);
            } else {
                c.io.connected();
                c.send(new Connected(backend.stunPort()));
            }
            return;
        }
        long now = core.now();
        switch (f) {
            case Unknown u -> { } // newer clients may add packets
            case Pong p -> { } // any frame counts as a sign of life
            case Disconnect d -> c.io.disconnect(REASON_BYE);
            case RoomCreate create -> rooms.onCreate(c, create, now);
            case RoomJoin join -> rooms.onJoin(c, join, now);
            case RoomAddresses a -> rooms.onAddresses(c, a);
            case RoomDone d -> rooms.onDone(c);
            case RoomMessage m -> rooms.onMessage(c, m);
            case Resume r -> eventHandler.onResume(c, r);
            case EventAck a -> eventHandler.onEventAck(c, a);
            case Request r -> eventHandler.onRequest(c, r);
            case ConnectionRequest r -> presence.onConnectionRequest(c, r, now);
            case ConnectionRequestAccept a -> presence.onAccept(c, a);
            case ConnectionRequestDenied d -> presence.onDeny(c, d);
            default -> c.io.invalid(); // a second CONNECT, or a packet only the server sends
        }
    }

    /** {@code c} is closing: it leaves its room and lets go of its identity before its DISCONNECT goes out. */
    void closing(Client c) {
        rooms.leave(c);
        presence.release(c);
    }

    void pump(Client c, OutputStream out) throws IOException {
        eventHandler.pump(c, out);
    }

    /** {@code c}'s threads are done: everything it held is given back. */
    void ended(Client c) {
        if (clients.remove(c)) {
            closing(c); // nothing if it already did, on its way out
            backend.bus().detach(c.ref);
            if (c.admitted) {
                admission.release(c.io.remote.getAddress());
            }
        }
    }

    // ---------------------------------------------------------------- sweeping

    private void sweep(long now) {
        for (Client c : clients) {
            c.io.tick(now);
        }
        if (events != null && now - nextExpiry >= 0) {
            nextExpiry = now + EXPIRY_EVERY_NANOS;
            try {
                events.expire(); // the lifetime bound of stored events, for identities that never come back
                events.prune(); // then the counters of identities with nothing stored and long idle (made-up recipients)
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "expiring events or pruning identities failed: {0}", e.toString());
            }
        }
        rooms.sweep(now);
        presence.sweep(now);
    }

    /** 0x02 and 32 random bytes: a relay pairing key nobody else can guess. */
    static Bytes newPairingKey(SecureRandom random) {
        byte[] key = new byte[ControlWire.PAIRING_KEY_LENGTH];
        random.nextBytes(key);
        key[0] = SERVER_PAIRING_KEY_VERSION;
        return Bytes.of(key);
    }
}
