package dev.tryst.rendezvous;

import dev.tryst.net.CountedThreads;
import dev.tryst.net.AddressGroup;
import dev.tryst.control.ControlException;
import dev.tryst.control.ControlWire;
import dev.tryst.control.ControlWire.Address;
import dev.tryst.control.ControlWire.Connect;
import dev.tryst.control.ControlWire.Connected;
import dev.tryst.control.ControlWire.Disconnect;
import dev.tryst.control.ControlWire.Frame;
import dev.tryst.control.ControlWire.Packet;
import dev.tryst.control.ControlWire.Ping;
import dev.tryst.control.ControlWire.Pong;
import dev.tryst.control.ControlWire.RoomAddresses;
import dev.tryst.control.ControlWire.RoomClosed;
import dev.tryst.control.ControlWire.RoomContact;
import dev.tryst.control.ControlWire.RoomCreate;
import dev.tryst.control.ControlWire.RoomCreated;
import dev.tryst.control.ControlWire.RoomDone;
import dev.tryst.control.ControlWire.RoomJoin;
import dev.tryst.control.ControlWire.RoomJoined;
import dev.tryst.control.ControlWire.RoomMessage;
import dev.tryst.control.ControlWire.RoomNotFound;
import dev.tryst.control.ControlWire.RoomTaken;
import dev.tryst.control.ControlWire.Unknown;
import dev.tryst.net.Bytes;
import dev.tryst.control.ControlWire.Challenge;
import dev.tryst.control.ControlWire.ChallengeResponse;
import dev.tryst.control.ControlWire.ClientInfo;
import dev.tryst.control.ControlWire.ConnectionRequest;
import dev.tryst.control.ControlWire.ConnectionRequestAccept;
import dev.tryst.control.ControlWire.ConnectionRequestDenied;
import dev.tryst.control.ControlWire.EventAck;
import dev.tryst.control.ControlWire.LoginState;
import dev.tryst.control.ControlWire.Request;
import dev.tryst.control.ControlWire.RequestError;
import dev.tryst.control.ControlWire.Response;
import dev.tryst.control.ControlWire.Resume;
import dev.tryst.control.ControlWire.RoomRelay;
import dev.tryst.events.Event;
import dev.tryst.events.EventStore;
import dev.tryst.events.EventStoreFullException;
import dev.tryst.events.SequenceException;
import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ServerSocketFactory;

/**
 * The rendezvous server: Chatr's session rules ({@link ControlWire}) carrying gday's contact
 * exchange in rooms, identity logins, connection requests and Cryptology's ordered events. TLS
 * comes from the {@link ServerSocketFactory} given to {@link #start(RendezvousConfig, ServerSocketFactory, RendezvousBackend)}.
 *
 * <h2>Sessions</h2>
 * The first frame must be CONNECT (anything else: DISCONNECT "Invalid Packet"); the server answers
 * CONNECTED, after a CHALLENGE signed in CHALLENGE_RESPONSE for an identity. A second CONNECT,
 * a malformed frame, or a packet out of place is "Invalid Packet"; unknown opcodes are ignored so
 * newer clients can add packets. A connected session gets a PING at least every
 * {@link RendezvousConfig#pingInterval()}; one that sends nothing for
 * {@link RendezvousConfig#silenceTimeout()} gets "Time out". The server never closes a session
 * without first queueing a DISCONNECT with its reason; it then half-closes and drains what the
 * client still sends (so the DISCONNECT is not lost to a reset) until the client closes or a grace
 * period ends.
 *
 * <h2>Rooms</h2>
 * A session creates a room under a nameplate (empty: the server picks a short number not in use;
 * in use: ROOM_TAKEN) or joins one (absent: ROOM_NOT_FOUND; already two members: ROOM_TAKEN). A
 * session is in at most one room. Each member sends ROOM_ADDRESSES (at most
 * {@value ControlWire#MAX_ADDRESSES} in all) and ROOM_DONE; DONE is answered at once with the
 * member's own contact (whose 0: the address its socket came from, and its private addresses), and
 * once both are done each gets the other's (whose 1). ROOM_MESSAGEs go to the other member; sent
 * before anyone joined, up to {@link RendezvousConfig#maxPendingMessages()} wait for the joiner,
 * one more disconnects the sender. A room closes with ROOM_CLOSED to whoever is still in it when a
 * member leaves (or its session ends) and at {@link RendezvousConfig#roomLifetime()}.
 *
 * <h2>Threads and locking</h2>
 * One virtual thread accepts, one sweeps (pings, room expiry, grace periods); each session has one
 * reader and one writer virtual thread. Everything sent to a session goes through its bounded
 * queue to its writer, so no thread ever blocks on another session's socket. Room and per-address
 * state is guarded by one lock, under which only queueing happens, never I/O. A forwarded
 * ROOM_MESSAGE waits (outside the lock, up to a grace period) for room in the receiver's queue,
 * so the sender is slowed to the receiver's pace; a receiver still full after that is dropped as
 * too slow. Every other packet to a full queue drops its session at once.
 */
public final class RendezvousServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RendezvousServer.class.getName());

    public static final String REASON_TOO_MANY_SESSIONS = "Too many sessions";
    public static final String REASON_TOO_MANY_FROM_ADDRESS = "Too many sessions from this address";
    public static final String REASON_TOO_MANY_ROOMS = "Too many rooms from this address";
    public static final String REASON_TOO_MANY_LOOKUPS = "Too many failed lookups";
    public static final String REASON_QUEUE_FULL = "Room message queue full";
    public static final String REASON_TOO_SLOW = "Too slow";
    public static final String REASON_SERVER_CLOSING = "Server closing";
    public static final String REASON_BYE = "Bye";
    public static final String ROOM_REASON_PEER_LEFT = "Peer left";
    public static final String ROOM_REASON_EXPIRED = "Expired";
    public static final String REASON_NO_IDENTITIES = "This server does not serve identities";
    public static final String DENIED_NOT_ONLINE = "Not online";
    public static final String DENIED_TOO_MANY = "Too many pending requests";
    /** Connection requests waiting for one target's answer. */
    public static final int MAX_PENDING_REQUESTS = 16;
    /** Events fetched from the store per query while delivering. */
    private static final int EVENT_BATCH = 64;
    /** First byte of a pairing key the server made up (codes derive theirs and start with 0x01). */
    public static final byte SERVER_PAIRING_KEY_VERSION = 2;
    /** Written to a session's queue to make its writer deliver stored events; never sent as such. */
    private static final Packet PUMP = new Connected();

    /** Longest time a closing session is given to read its DISCONNECT and hang up. */
    private static final long MAX_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final RendezvousConfig config;
    private final RendezvousBackend backend;
    private final EventStore events;
    private final ServerSocket server;
    private final InetSocketAddress address;
    private final long pingNanos, lifetimeNanos, windowNanos, graceNanos, tickMillis;
    private final int silenceMillis;
    private final SecureRandom random = new SecureRandom();

    /** Guards rooms, room membership, the per-address maps and {@link #closed}. */
    private final Object lock = new Object();
    private final Map<String, Room> rooms = new HashMap<>();
    private final Map<InetAddress, Integer> sessionsPerAddress = new HashMap<>();
    private final Map<InetAddress, Integer> roomsPerAddress = new HashMap<>();
    private final Map<InetAddress, ArrayDeque<Long>> failures = new HashMap<>();
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    /** Logged-in identities; guarded by {@link #lock}. */
    private final Map<Bytes, Session> online = new HashMap<>();
    private final SendBudget sendBudget = new SendBudget();
    private volatile boolean closed;
    private int admitted; // guarded by lock

    private final CountedThreads threads = new CountedThreads(LOG);
    private final AtomicLong ids = new AtomicLong();
    private final LongAdder accepted = new LongAdder(), refusedSessions = new LongAdder(),
            refusedPerAddress = new LongAdder(), invalidPackets = new LongAdder(), timeouts = new LongAdder(),
            slowConsumers = new LongAdder(), roomsCreated = new LongAdder(), roomsJoined = new LongAdder(),
            roomsRefused = new LongAdder(), contactsExchanged = new LongAdder(), messagesForwarded = new LongAdder(),
            roomsExpired = new LongAdder(), failedLookups = new LongAdder(), lookupLimitDisconnects = new LongAdder();

    private Thread acceptor;
    private Thread sweeper;
    /** When the sweeper next deletes expired events (sweeper thread only). */
    private long nextExpiry = System.nanoTime();
    private static final long EXPIRY_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private RendezvousServer(RendezvousConfig config, RendezvousBackend backend, ServerSocket server) {
        this.config = config;
        this.backend = backend;
        this.events = backend.events();
        this.server = server;
        this.address = (InetSocketAddress) server.getLocalSocketAddress();
        this.pingNanos = config.pingInterval().toNanos();
        this.lifetimeNanos = config.roomLifetime().toNanos();
        this.windowNanos = config.failedLookupWindow().toNanos();
        this.silenceMillis = (int) config.silenceTimeout().toMillis();
        this.graceNanos = Math.min(config.silenceTimeout().toNanos(), MAX_GRACE_NANOS);
        long shortest = Math.min(config.pingInterval().toMillis(), config.roomLifetime().toMillis());
        this.tickMillis = Math.clamp(shortest / 4, 10L, 250L);
    }

    /** Binds a plain TCP socket, starts accepting and sweeping, and returns. */
    public static RendezvousServer start(RendezvousConfig config) throws IOException {
        return start(config, ServerSocketFactory.getDefault());
    }

    /** As {@link #start(RendezvousConfig)}, with sockets from {@code factory} (e.g. an SSLServerSocketFactory). */
    public static RendezvousServer start(RendezvousConfig config, ServerSocketFactory factory) throws IOException {
        return start(config, factory, RendezvousBackend.roomsOnly());
    }

    /** As {@link #start(RendezvousConfig, ServerSocketFactory)}, with identities, events and a relay from {@code backend}. */
    public static RendezvousServer start(RendezvousConfig config, ServerSocketFactory factory, RendezvousBackend backend)
            throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(backend, "backend");
        ServerSocket ss = factory.createServerSocket();
        RendezvousServer s;
        try {
            ss.setReuseAddress(true);
            ss.bind(config.bind(), 1024);
            s = new RendezvousServer(config, backend, ss);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
        try {
            s.sweeper = s.spawn("rendezvous-sweeper", s::sweepLoop);
            s.acceptor = s.spawn("rendezvous-accept", s::acceptLoop);
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
        LOG.log(Level.DEBUG, () -> "rendezvous listening on " + s.address); // the command line says it
        return s;
    }

    /** The bound address (useful when binding port 0). */
    public InetSocketAddress address() {
        return address;
    }

    public RendezvousStats stats() {
        int active;
        int open;
        synchronized (lock) {
            active = admitted;
            open = rooms.size();
        }
        return new RendezvousStats(accepted.sum(), active, open, refusedSessions.sum(), refusedPerAddress.sum(),
                invalidPackets.sum(), timeouts.sum(), slowConsumers.sum(), roomsCreated.sum(), roomsJoined.sum(),
                roomsRefused.sum(), contactsExchanged.sum(), messagesForwarded.sum(), roomsExpired.sum(),
                failedLookups.sum(), lookupLimitDisconnects.sum(), threads.live());
    }

    /**
     * Stops accepting, sends every session DISCONNECT "Server closing", gives them a moment to hang
     * up, closes what is left and waits (up to 5 s) for the server's threads to end.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closeQuietly(server);
        for (Session s : sessions) {
            s.disconnect(REASON_SERVER_CLOSING);
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        long soft = System.nanoTime() + Math.min(graceNanos, TimeUnit.MILLISECONDS.toNanos(500));
        while (!sessions.isEmpty() && System.nanoTime() - soft < 0) {
            sleepQuietly(5);
        }
        for (Session s : sessions) {
            s.closeSocket();
        }
        if (sweeper != null) {
            sweeper.interrupt();
        }
        if (!threads.awaitNone(deadline)) {
            LOG.log(Level.WARNING, "rendezvous closed with {0} threads still running", threads.live());
        } else {
            LOG.log(Level.INFO, () -> "rendezvous on " + address + " closed");
        }
    }

    // ---------------------------------------------------------------- accepting

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (closed || server.isClosed()) {
                    break;
                }
                LOG.log(Level.WARNING, "accept failed: {0}", e.toString());
                sleepQuietly(50); // typically EMFILE: back off instead of spinning
                continue;
            }
            accepted.increment();
            admit(socket);
        }
    }

    private void admit(Socket socket) {
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        if (remote == null) {
            closeQuietly(socket);
            return;
        }
        InetAddress group = AddressGroup.of(remote.getAddress());
        String refusal = null;
        synchronized (lock) {
            if (closed) {
                refusal = REASON_SERVER_CLOSING;
            } else if (admitted >= config.maxSessions()) {
                refusal = REASON_TOO_MANY_SESSIONS;
                refusedSessions.increment();
            } else if (sessionsPerAddress.getOrDefault(group, 0) >= config.maxSessionsPerAddress()) {
                refusal = REASON_TOO_MANY_FROM_ADDRESS;
                refusedPerAddress.increment();
            } else {
                admitted++;
                sessionsPerAddress.merge(group, 1, Integer::sum);
            }
        }
        Session s;
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(silenceMillis);
            s = new Session(ids.incrementAndGet(), socket, remote, group, refusal == null);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "dropping {0}: {1}", remote, e.toString());
            closeQuietly(socket);
            if (refusal == null) {
                release(group);
            }
            return;
        }
        sessions.add(s);
        if (refusal != null) {
            // Refused sessions still get their DISCONNECT through the usual writer and drain, then end.
            LOG.log(Level.DEBUG, "refused {0}: {1}", remote, refusal);
            s.disconnect(refusal);
        }
        try {
            spawn("rendezvous-write-" + s.id, s::writeLoop);
            spawn("rendezvous-read-" + s.id, s::readLoop);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.log(Level.DEBUG, "dropping {0}: {1}", remote, e.toString());
            s.disconnect(REASON_SERVER_CLOSING); // wakes a writer that did start
            s.closeSocket();
            s.ended();
        }
    }

    private void release(InetAddress group) {
        synchronized (lock) {
            admitted--;
            sessionsPerAddress.computeIfPresent(group, (k, v) -> v <= 1 ? null : v - 1);
        }
    }

    // ---------------------------------------------------------------- sweeping

    private void sweepLoop() {
        while (!closed) {
            try {
                Thread.sleep(tickMillis);
            } catch (InterruptedException e) {
                break;
            }
            long now = System.nanoTime();
            for (Session s : sessions) {
                s.tick(now);
            }
            if (events != null && now - nextExpiry >= 0) {
                nextExpiry = now + EXPIRY_EVERY_NANOS;
                try {
                    events.expire(); // the lifetime bound of stored events, for identities that never come back
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "expiring events failed: {0}", e.toString());
                }
            }
            synchronized (lock) {
                for (Room r : List.copyOf(rooms.values())) {
                    if (now - r.expires >= 0) {
                        roomsExpired.increment();
                        closeRoom(r, ROOM_REASON_EXPIRED, null);
                    }
                }
                failures.values().removeIf(q -> {
                    while (!q.isEmpty() && now - q.peekFirst() >= windowNanos) {
                        q.pollFirst();
                    }
                    return q.isEmpty();
                });
            }
        }
    }

    // ---------------------------------------------------------------- rooms

    private final class Room {
        final String nameplate;
        final InetAddress creatorGroup;
        final long expires;
        final List<Session> members = new ArrayList<>(2);
        final List<RoomMessage> pending = new ArrayList<>();

        Room(String nameplate, Session creator) {
            this.nameplate = nameplate;
            this.creatorGroup = creator.group;
            this.expires = System.nanoTime() + lifetimeNanos;
            members.add(creator);
        }

        Session other(Session s) {
            for (Session m : members) {
                if (m != s) {
                    return m;
                }
            }
            return null;
        }
    }

    /** Under {@link #lock}: ends the room, telling every member but {@code leaving}. */
    private void closeRoom(Room r, String reason, Session leaving) {
        if (rooms.remove(r.nameplate, r)) {
            roomsPerAddress.computeIfPresent(r.creatorGroup, (k, v) -> v <= 1 ? null : v - 1);
        }
        for (Session m : r.members) {
            m.room = null;
            m.hadRoom = true;
            m.privates.clear();
            m.done = false;
            if (m != leaving) {
                m.send(new RoomClosed(reason));
            }
        }
        r.members.clear();
        r.pending.clear();
    }

    /** Under {@link #lock}: a nameplate of 2, then 3, ... digits not in use. */
    private String pickNameplate() {
        for (int digits = 2; digits < 9; digits++) {
            int low = (int) Math.pow(10, digits - 1);
            for (int attempt = 0; attempt < 8; attempt++) {
                String n = Integer.toString(low + random.nextInt(9 * low));
                if (!rooms.containsKey(n)) {
                    return n;
                }
            }
        }
        for (int n = 100_000_000; ; n++) { // unreachable with rooms bounded by sessions; a safe end anyway
            if (!rooms.containsKey(Integer.toString(n))) {
                return Integer.toString(n);
            }
        }
    }

    /** Under {@link #lock}: counts a failed lookup; false if it goes over the limit (the session is then ended). */
    private boolean countFailure(Session s) {
        failedLookups.increment();
        long now = System.nanoTime();
        ArrayDeque<Long> q = failures.computeIfAbsent(s.group, k -> new ArrayDeque<>());
        while (!q.isEmpty() && now - q.peekFirst() >= windowNanos) {
            q.pollFirst();
        }
        if (q.size() <= config.maxFailedLookups()) { // one past the limit is enough to refuse, and bounds the memory
            q.addLast(now);
        }
        if (q.size() > config.maxFailedLookups()) {
            lookupLimitDisconnects.increment();
            s.disconnect(REASON_TOO_MANY_LOOKUPS);
            return false;
        }
        return true;
    }

    private void onCreate(Session s, RoomCreate c) {
        synchronized (lock) {
            if (s.room != null) {
                s.invalid();
                return;
            }
            if (roomsPerAddress.getOrDefault(s.group, 0) >= config.maxRoomsPerAddress()) {
                roomsRefused.increment();
                s.disconnect(REASON_TOO_MANY_ROOMS);
                return;
            }
            String n = c.nameplate().isEmpty() ? pickNameplate() : c.nameplate();
            if (rooms.containsKey(n)) {
                if (countFailure(s)) {
                    s.send(new RoomTaken(n));
                }
                return;
            }
            Room r = new Room(n, s);
            rooms.put(n, r);
            roomsPerAddress.merge(s.group, 1, Integer::sum);
            s.room = r;
            roomsCreated.increment();
            s.send(new RoomCreated(n));
        }
    }

    private void onJoin(Session s, RoomJoin j) {
        synchronized (lock) {
            if (s.room != null) {
                s.invalid();
                return;
            }
            Room r = rooms.get(j.nameplate());
            if (r == null || r.members.size() >= 2) {
                if (countFailure(s)) {
                    s.send(r == null ? new RoomNotFound(j.nameplate()) : new RoomTaken(j.nameplate()));
                }
                return;
            }
            r.members.add(s);
            s.room = r;
            roomsJoined.increment();
            s.send(new RoomJoined(r.nameplate));
            RoomRelay relay = new RoomRelay(newPairingKey(), backend.relayPort());
            for (Session m : r.members) {
                m.send(relay);
            }
            List<RoomMessage> held = List.copyOf(r.pending);
            r.pending.clear();
            for (RoomMessage m : held) {
                if (!s.send(m)) {
                    break; // s overflowed and was disconnected, which closed the room
                }
                messagesForwarded.increment();
            }
        }
    }

    private void onAddresses(Session s, RoomAddresses a) {
        synchronized (lock) {
            if (s.room == null) {
                s.noRoom();
                return;
            }
            if (s.done || s.privates.size() + a.privateAddresses().size() > ControlWire.MAX_ADDRESSES) {
                s.invalid();
                return;
            }
            s.privates.addAll(a.privateAddresses());
        }
    }

    private void onDone(Session s) {
        synchronized (lock) {
            Room r = s.room;
            if (r == null) {
                s.noRoom();
                return;
            }
            if (s.done) {
                s.invalid();
                return;
            }
            s.done = true;
            s.send(s.contact(ControlWire.CONTACT_YOURS));
            Session o = r.other(s);
            if (o != null && o.done) {
                s.send(o.contact(ControlWire.CONTACT_PEERS));
                o.send(s.contact(ControlWire.CONTACT_PEERS));
                contactsExchanged.increment();
            }
        }
    }

    private void onMessage(Session s, RoomMessage m) {
        Session to;
        synchronized (lock) {
            Room r = s.room;
            if (r == null) {
                s.noRoom();
                return;
            }
            to = r.other(s);
            if (to == null) {
                if (r.pending.size() < config.maxPendingMessages()) {
                    r.pending.add(m);
                } else {
                    s.disconnect(REASON_QUEUE_FULL);
                }
                return;
            }
        }
        // Outside the lock: this may wait for room in the other member's queue.
        to.sendWaiting(m);
    }

    /** 0x02 and 32 random bytes: a relay pairing key nobody else can guess. */
    private Bytes newPairingKey() {
        byte[] key = new byte[ControlWire.PAIRING_KEY_LENGTH];
        random.nextBytes(key);
        key[0] = SERVER_PAIRING_KEY_VERSION;
        return Bytes.of(key);
    }

    // ---------------------------------------------------------------- identities (Chatr, Cryptology)

    /** CONNECT in identity mode: a fresh challenge to sign, nothing else until it is answered. */
    private void onIdentityConnect(Session s, Connect c) {
        IdentityKey key;
        try {
            key = IdentityKey.of(c.publicKey().toByteArray());
        } catch (IllegalArgumentException e) {
            s.disconnect(ControlWire.REASON_FAILED_TO_VERIFY);
            return;
        }
        if (events == null) {
            s.disconnect(REASON_NO_IDENTITIES);
            return;
        }
        byte[] nonce = new byte[Identity.CHALLENGE_LENGTH];
        random.nextBytes(nonce);
        s.claimed = key;
        s.challenge = nonce;
        s.send(new Challenge(Bytes.of(nonce)));
    }

    private void onChallengeResponse(Session s, ChallengeResponse r) {
        byte[] nonce = s.challenge;
        s.challenge = null; // one answer per challenge
        if (!Identity.verifyChallenge(s.claimed, nonce, backend.serverName(), r.signature().toByteArray())) {
            s.disconnect(ControlWire.REASON_FAILED_TO_VERIFY);
            return;
        }
        Bytes id = Bytes.of(s.claimed.bytes());
        long lastSequence;
        long lastOrder;
        try {
            lastSequence = events.lastSequence(id);
            lastOrder = events.lastOrder(id);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "event store failed: {0}", e.toString());
            s.disconnect(REASON_SERVER_CLOSING);
            return;
        }
        // One step under the lock: nothing (a connection request, say) can reach the session
        // between its registration and its CONNECTED and LOGIN_STATE.
        synchronized (lock) {
            if (online.containsKey(id)) {
                s.disconnect(ControlWire.REASON_ALREADY_CONNECTED);
                return;
            }
            if (s.isClosing()) {
                return; // ended meanwhile; it must not hold the identity
            }
            online.put(id, s);
            s.identity = id;
            s.loginLastOrder = lastOrder;
            s.connected = true;
            s.lastPing = System.nanoTime();
            s.send(new Connected());
            s.send(new LoginState(lastSequence, lastOrder, events.storeId()));
        }
        LOG.log(Level.DEBUG, "session {0} from {1}: identity {2}", s.id, s.remote, s.claimed.fingerprint());
    }

    private void onResume(Session s, Resume r) {
        if (s.identity == null || s.resumed) {
            s.invalid();
            return;
        }
        long last = r.lastProcessedOrder();
        if (last > s.loginLastOrder) { // what the client processed it had before this login
            s.fail(0, ControlWire.ERROR_BAD_REQUEST, "Resume past the last event (" + last + ")");
            return;
        }
        events.acknowledge(s.identity, last);
        s.ackedOrder = last;
        s.sentOrder = last;
        s.resumed = true;
        s.wake();
    }

    private void onEventAck(Session s, EventAck a) {
        if (!s.resumed || a.order() > s.sentOrder) {
            s.invalid();
            return;
        }
        if (a.order() > s.ackedOrder) { // a repeated or older ack changes nothing: no store transaction for it
            s.ackedOrder = a.order();
            events.acknowledge(s.identity, a.order());
        }
    }

    private void onRequest(Session s, Request r) {
        if (s.identity == null) {
            s.invalid();
            return;
        }
        // Before the sequence is taken (a synced write): a sender over its budget costs no disk.
        if (r.method() == ControlWire.METHOD_SEND_MESSAGE && !sendBudget.take(s.identity)) {
            s.fail(r.requestId(), ControlWire.ERROR_NOT_AVAILABLE, "Too many messages from this identity; try again later");
            return;
        }
        try {
            events.acceptSequence(s.identity, r.sequence());
        } catch (SequenceException e) {
            s.fail(r.requestId(), e.replayed() ? ControlWire.ERROR_REPLAYED_SEQUENCE : ControlWire.ERROR_SKIPPED_SEQUENCE,
                    (e.replayed() ? "Replayed sequence " : "Skipped sequence ") + r.sequence() + ", expected " + e.expected());
            return;
        }
        switch (r.method()) {
            case ControlWire.METHOD_SEND_MESSAGE -> {
                Bytes body = r.body();
                if (body.length() <= ControlWire.ID_LENGTH) {
                    s.fail(r.requestId(), ControlWire.ERROR_BAD_REQUEST, "A message needs a recipient and a body");
                    return;
                }
                byte[] all = body.toByteArray();
                Bytes to = Bytes.of(all, 0, ControlWire.ID_LENGTH);
                Bytes sealed = Bytes.of(all, ControlWire.ID_LENGTH, all.length - ControlWire.ID_LENGTH);
                try {
                    IdentityKey.of(to.toByteArray());
                } catch (IllegalArgumentException e) {
                    s.fail(r.requestId(), ControlWire.ERROR_BAD_REQUEST, "The recipient is not an identity key");
                    return;
                }
                try {
                    events.append(to, (byte) ControlWire.EVENT_MESSAGE, sealed);
                } catch (EventStoreFullException e) {
                    s.send(new Response(r.requestId(), ControlWire.STATUS_REFUSED,
                            Bytes.of("the recipient's inbox is full".getBytes(StandardCharsets.UTF_8))));
                    return;
                }
                s.send(new Response(r.requestId(), ControlWire.STATUS_OK, Bytes.of()));
                Session target;
                synchronized (lock) {
                    target = online.get(to);
                }
                if (target != null) {
                    target.wake();
                }
            }
            default -> s.fail(r.requestId(), ControlWire.ERROR_UNKNOWN_METHOD, "Unknown method " + r.method());
        }
    }

    /** A connection request waiting for the target's answer, forgotten after {@link #REQUEST_LIFETIME_NANOS}. */
    private record PendingRequest(Session from, List<Address> privates, long since) {}

    private static final long REQUEST_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(60);

    private void onConnectionRequest(Session s, ConnectionRequest r) {
        if (s.identity == null) {
            s.invalid();
            return;
        }
        synchronized (lock) {
            Session target = online.get(r.peer());
            long now = System.nanoTime();
            if (target != null) { // expired, or from a requester that has left: they hold no slot
                target.requests.values().removeIf(p -> now - p.since() >= REQUEST_LIFETIME_NANOS
                        || online.get(p.from().identity) != p.from());
            }
            if (target == null || target == s) {
                s.send(new ConnectionRequestDenied(r.peer(), DENIED_NOT_ONLINE));
            } else if (target.requests.containsKey(s.identity)) {
                // already asked and not answered yet: asking again is not forwarded (no flooding the target)
            } else if (target.requests.size() >= MAX_PENDING_REQUESTS) {
                s.send(new ConnectionRequestDenied(r.peer(), DENIED_TOO_MANY));
            } else {
                target.requests.put(s.identity, new PendingRequest(s, r.privateAddresses(), now));
                target.send(new ConnectionRequest(s.identity, r.privateAddresses()));
            }
        }
    }

    private void onAccept(Session s, ConnectionRequestAccept a) {
        if (s.identity == null) {
            s.invalid();
            return;
        }
        synchronized (lock) {
            PendingRequest p = s.requests.remove(a.requester());
            if (p == null || online.get(a.requester()) != p.from) {
                s.send(new ConnectionRequestDenied(a.requester(), DENIED_NOT_ONLINE));
                return;
            }
            Bytes key = newPairingKey();
            p.from.send(new ClientInfo(s.identity, s.publicAddress, a.privateAddresses(), key));
            s.send(new ClientInfo(p.from.identity, p.from.publicAddress, p.privates, key));
        }
    }

    private void onDeny(Session s, ConnectionRequestDenied d) {
        if (s.identity == null) {
            s.invalid();
            return;
        }
        synchronized (lock) {
            PendingRequest p = s.requests.remove(d.requester());
            if (p != null && online.get(d.requester()) == p.from) {
                p.from.send(new ConnectionRequestDenied(s.identity, d.reason()));
            }
        }
    }

    // ---------------------------------------------------------------- one session

    private final class Session {
        final long id;
        final Socket socket;
        final InetSocketAddress remote;
        final InetAddress group;
        final boolean admittedSession;
        final Address publicAddress;
        final LinkedBlockingQueue<Packet> out = new LinkedBlockingQueue<>();
        final CountDownLatch writerDone = new CountDownLatch(1);
        final AtomicLong pingIds = new AtomicLong();

        // guarded by this
        private boolean closing;
        private Disconnect last;
        private long closeDeadline;

        volatile boolean connected;
        volatile long lastPing;

        // guarded by the server lock
        Room room;
        /** A room was closed under this session, so room packets already on the way are dropped, not invalid. */
        boolean hadRoom;
        final List<Address> privates = new ArrayList<>();
        boolean done;

        // identity mode: claimed and challenge are only touched by the reader thread
        IdentityKey claimed;
        byte[] challenge;
        /** Set once logged in (under the server lock, with {@link #online}). */
        volatile Bytes identity;
        volatile boolean resumed;
        /** The last event order written to this session; advanced by the writer only. */
        volatile long sentOrder;
        /** The order last acknowledged (RESUME or EVENT_ACK); reader thread only. */
        long ackedOrder;
        /** The last order given to this identity when it logged in. */
        long loginLastOrder;
        final AtomicBoolean pumpQueued = new AtomicBoolean();
        /** Connection requests to this identity awaiting its answer, by requester; guarded by the server lock. */
        final Map<Bytes, PendingRequest> requests = new HashMap<>();

        Session(long id, Socket socket, InetSocketAddress remote, InetAddress group, boolean admittedSession) {
            this.id = id;
            this.socket = socket;
            this.remote = remote;
            this.group = group;
            this.admittedSession = admittedSession;
            this.publicAddress = Address.of(remote);
        }

        RoomContact contact(int whose) {
            return new RoomContact(whose, publicAddress, privates);
        }

        /** Queues {@code p}; false if the session is closing, or now disconnected for letting its queue overflow. */
        boolean send(Packet p) {
            synchronized (this) {
                if (closing) {
                    return false;
                }
                if (out.size() < config.outgoingQueue()) {
                    out.add(p);
                    return true;
                }
            }
            slowConsumers.increment();
            disconnect(REASON_TOO_SLOW);
            return false;
        }

        /**
         * For forwarded room messages: waits (up to the grace period) for room in the queue, so a
         * fast sender is slowed to its peer's pace instead of getting the peer dropped; a peer that
         * stays full that long is disconnected as too slow.
         */
        boolean sendWaiting(RoomMessage p) {
            long deadline = System.nanoTime() + graceNanos;
            synchronized (this) {
                try {
                    while (!closing && out.size() >= config.outgoingQueue()) {
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
                if (out.size() < config.outgoingQueue()) {
                    messagesForwarded.increment(); // before the add, so a reader of the stats never lags the peer
                    out.add(p);
                    return true;
                }
            }
            slowConsumers.increment();
            disconnect(REASON_TOO_SLOW);
            return false;
        }

        /** An ERROR for the request, then DISCONNECT with the same text. */
        void fail(long requestId, int code, String text) {
            send(new RequestError(requestId, code, text));
            disconnect(text);
        }

        /** Makes the writer deliver stored events it has not sent yet (once resumed). */
        void wake() {
            if (resumed && pumpQueued.compareAndSet(false, true)) {
                synchronized (this) {
                    if (!closing) {
                        out.add(PUMP); // past the bound, like DISCONNECT: at most one is ever queued
                    }
                }
            }
        }

        /** Writer thread: sends the stored events after {@link #sentOrder}, in order, at the socket's pace. */
        private void pump(OutputStream os) throws IOException {
            pumpQueued.set(false);
            while (!isClosing()) {
                List<Event> batch = events.after(identity, sentOrder, EVENT_BATCH);
                for (Event e : batch) {
                    ControlWire.write(os, new ControlWire.Event(e.order(), e.timestampMillis(), e.type() & 0xFF, e.payload()));
                    sentOrder = e.order();
                }
                if (batch.size() < EVENT_BATCH) {
                    return;
                }
            }
        }

        /** Under the server lock: a room packet with no room; fine just after a room closed, else invalid. */
        void noRoom() {
            if (!hadRoom) {
                invalid();
            }
        }

        void invalid() {
            invalidPackets.increment();
            disconnect(ControlWire.REASON_INVALID_PACKET);
        }

        /**
         * Queues DISCONNECT {@code reason} as the last packet (past the queue's bound, so it always
         * goes out), half-closes after it, leaves any room, and starts the grace period.
         */
        void disconnect(String reason) {
            synchronized (this) {
                if (closing) {
                    return;
                }
                closing = true; // nothing else is queued from now on
                closeDeadline = System.nanoTime() + graceNanos;
                notifyAll(); // senders waiting for queue room give up
            }
            LOG.log(Level.DEBUG, "session {0} from {1}: DISCONNECT {2}", id, remote, reason);
            // Before the DISCONNECT goes out: a client that reads it and logs in again at once must
            // find its identity free (seen as a rare "Already connected!" when this came after).
            leaveRoom();
            releaseIdentity();
            synchronized (this) {
                last = new Disconnect(reason);
                out.add(last);
            }
        }

        /** A closing session no longer holds its identity: the client may log in again at once. */
        void releaseIdentity() {
            synchronized (lock) {
                if (identity != null) {
                    online.remove(identity, this);
                }
                requests.clear();
            }
        }

        void leaveRoom() {
            synchronized (lock) {
                if (room != null) {
                    closeRoom(room, ROOM_REASON_PEER_LEFT, this);
                }
            }
        }

        void tick(long now) {
            boolean cut;
            synchronized (this) {
                cut = closing && now - closeDeadline >= 0;
            }
            if (cut) {
                closeSocket();
            } else if (connected && now - lastPing >= pingNanos) {
                lastPing = now;
                synchronized (this) {
                    // a full queue already keeps the client busy; a ping then is skipped, never fatal
                    if (!closing && out.size() < config.outgoingQueue()) {
                        out.add(new Ping(pingIds.incrementAndGet()));
                    }
                }
            }
        }

        void closeSocket() {
            closeQuietly(socket);
        }

        void writeLoop() {
            try {
                OutputStream os = new BufferedOutputStream(socket.getOutputStream(), 8192);
                while (true) {
                    Packet p = out.take();
                    if (p == PUMP) {
                        pump(os);
                        if (out.isEmpty()) {
                            os.flush();
                        }
                        continue;
                    }
                    ControlWire.write(os, p);
                    if (out.isEmpty()) {
                        os.flush();
                    }
                    boolean isLast;
                    synchronized (this) {
                        isLast = p == last;
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
                closeSocket(); // wakes the reader
            } catch (InterruptedException e) {
                closeSocket();
            } catch (RuntimeException e) { // the event store failed or was closed under us
                LOG.log(Level.WARNING, "session {0}: {1}", id, e.toString());
                closeSocket();
            } finally {
                writerDone.countDown();
            }
        }

        void readLoop() {
            try {
                InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
                try {
                    while (!isClosing()) {
                        Frame f = ControlWire.read(in);
                        if (f == null) {
                            disconnect(REASON_BYE);
                            break;
                        }
                        if (!isClosing()) {
                            handle(f);
                        }
                    }
                } catch (SocketTimeoutException e) {
                    timeouts.increment();
                    disconnect(ControlWire.REASON_TIME_OUT);
                } catch (ControlException e) {
                    LOG.log(Level.DEBUG, "session {0} from {1}: {2}", id, remote, e.getMessage());
                    invalid();
                } catch (RuntimeException e) { // the event store failed or was closed under us
                    LOG.log(Level.WARNING, "session {0}: {1}", id, e.toString());
                    disconnect(REASON_SERVER_CLOSING);
                }
                drain(in);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "session {0}: read failed: {1}", id, e.toString());
                disconnect(REASON_BYE);
            } finally {
                try {
                    writerDone.await(graceNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                closeSocket();
                ended();
            }
        }

        /** Reads and drops what the client still sends until it hangs up or the grace period ends. */
        private void drain(InputStream in) throws IOException {
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(graceNanos)));
            byte[] junk = new byte[4096];
            try {
                while (in.read(junk) >= 0) {
                    // discard
                }
            } catch (SocketTimeoutException e) {
                // the client did not hang up in time; closing anyway
            }
        }

        void ended() {
            if (sessions.remove(this)) {
                leaveRoom();
                releaseIdentity();
                if (admittedSession) {
                    release(group);
                }
            }
        }

        private synchronized boolean isClosing() {
            return closing;
        }

        private void handle(Frame f) {
            if (!connected) {
                if (challenge != null) {
                    if (f instanceof ChallengeResponse r) {
                        onChallengeResponse(this, r);
                    } else {
                        invalid();
                    }
                } else if (!(f instanceof Connect c) || claimed != null) {
                    invalid();
                } else if (c.mode() == ControlWire.MODE_IDENTITY) {
                    onIdentityConnect(this, c);
                } else {
                    connected = true;
                    lastPing = System.nanoTime();
                    send(new Connected());
                }
                return;
            }
            switch (f) {
                case Unknown u -> { } // newer clients may add packets
                case Pong p -> { } // any frame counts as a sign of life
                case Disconnect d -> disconnect(REASON_BYE);
                case RoomCreate c -> onCreate(this, c);
                case RoomJoin j -> onJoin(this, j);
                case RoomAddresses a -> onAddresses(this, a);
                case RoomDone d -> onDone(this);
                case RoomMessage m -> onMessage(this, m);
                case Resume r -> onResume(this, r);
                case EventAck a -> onEventAck(this, a);
                case Request r -> onRequest(this, r);
                case ConnectionRequest r -> onConnectionRequest(this, r);
                case ConnectionRequestAccept a -> onAccept(this, a);
                case ConnectionRequestDenied d -> onDeny(this, d);
                default -> invalid(); // a second CONNECT, or a packet only the server sends
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private Thread spawn(String name, Runnable body) {
        return threads.start(name, body);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing more to do
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
