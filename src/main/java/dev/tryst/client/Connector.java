package dev.tryst.client;

import dev.tryst.session.SessionException;
import dev.tryst.session.Session;
import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.ChannelException;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.channel.WrongCodeException;
import dev.tryst.code.Code;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.RoomClosed;
import dev.tryst.wire.ControlWire.RoomMessage;
import dev.tryst.wire.ControlWire.RoomRelay;
import dev.tryst.wire.MeetingWire;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import dev.tryst.net.HostPort;
import dev.tryst.net.Watchdog;
import dev.tryst.path.Candidates;
import dev.tryst.path.PathConfig;
import dev.tryst.path.PathRace;
import dev.tryst.relay.RelayClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * Sets up a {@link Session} with the peer holding the same code. Today the only path is the relay;
 * the handshake runs over any byte stream, so direct paths plug in beside it.
 *
 * <ol>
 *   <li>connect to the relay and send the pairing key (from the nameplate only) and our HELLO at once;</li>
 *   <li>wait, up to {@code waitForPeer}, for the peer's HELLO (the relay staples us when it arrives);</li>
 *   <li>SPAKE2 and key confirmation ({@link Handshake}); a mismatch is a wrong code, and the code is spent;</li>
 *   <li>hand over the channel as a {@link Session}: watched for {@code idle} silence, kept alive.</li>
 * </ol>
 */
public final class Connector {
    private Connector() {}

    public static Session viaRelay(InetSocketAddress relay, Code code, Handshake.Role role, ConnectConfig timeouts,
                                   SecureRandom random) throws SessionException {
        return viaRelay(dialRelay(relay, code, timeouts), relay, code, role, timeouts, random);
    }

    /**
     * Connects to the relay and presents the code's pairing key, so that a sender can know the relay
     * is there before it shows anyone the code; {@link #viaRelay(SocketChannel, InetSocketAddress, Code,
     * Handshake.Role, ConnectConfig, SecureRandom)} then waits there for the peer.
     */
    public static SocketChannel dialRelay(InetSocketAddress relay, Code code, ConnectConfig timeouts) throws SessionException {
        try {
            return RelayClient.dial(HostPort.resolve(relay), code.relayPairingKey(), timeouts.connect());
        } catch (java.net.UnknownHostException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                    "the relay: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "cannot reach the relay at "
                    + HostPort.format(relay) + " (" + e.getMessage() + "); is 'tryst server' running there?", e);
        }
    }

    /** The handshake with the peer over {@code socket}, dialed to {@code relay} for {@code code}. */
    public static Session viaRelay(SocketChannel socket, InetSocketAddress relay, Code code, Handshake.Role role,
                                   ConnectConfig timeouts, SecureRandom random) throws SessionException {
        // A hard deadline for the whole handshake: nothing kicks this watchdog before it is done.
        Watchdog watchdog = Watchdog.watch(socket, timeouts.waitForPeer());
        try {
            Handshake.Start start = Handshake.start(role, code.password(), random);
            Handshake.writeHello(socket, start);
            SecureChannel channel = Handshake.finish(socket, start);
            return Session.start(channel, watchdog, timeouts.idle(), "relayed via " + HostPort.format(relay));
        } catch (IOException e) {
            watchdog.close();
            closeQuietly(socket);
            throw e instanceof WrongCodeException ? SessionException.wrongCodeAtRelay(role, e) : classify(e, watchdog, timeouts, role);
        }
    }

    /** How long to wait for the peer's contact once its HELLO and the relay key are in. */
    private static final Duration CONTACT_GRACE = Duration.ofSeconds(2);

    /**
     * What two room members learned from each other before any path is tried.
     *
     * @param peerExtra the peer's second ROOM_MESSAGE (after its HELLO), or null
     */
    public record Met(Handshake.Agreed agreed, RoomRelay relay, ControlWire.RoomContact peer, byte[] peerExtra,
                      long deadline) {}

    /**
     * The meeting in a room this control session has already created or joined ({@link #createRoom},
     * {@link #joinRoom}): our HELLO goes to the peer as a ROOM_MESSAGE and its HELLO comes back the
     * same way (SPAKE2 through the server, which sees only the public SPAKE2 messages); then the
     * key is confirmed through the room ({@link MeetingWire}: the responder first, the initiator
     * once it has checked the responder's). Only then does either side tell where it is:
     * {@code extra} (if not null) is asked for (so that what it reports, a NAT mapping say, is
     * fresh) and follows as a message, and both exchange contacts (gday: private endpoints, and
     * the public one the server saw). The room gives the relay pairing key.
     *
     * <p>A wrong code is found here, before any path: "the codes did not match", and the code is
     * spent. The initiator's room can be joined by anyone who knows its public number: a joiner
     * that leaves without having proved the code (ROOM_PEER_LEFT) was told nothing but our HELLO
     * and tested no guess, so the initiator starts afresh and waits for the next one.
     */
    public static Met meet(ControlClient control, Code code, Handshake.Role role, ConnectConfig timeouts,
                           Session.IoSupplier<byte[]> extra, SecureRandom random) throws SessionException {
        long deadline = System.nanoTime() + timeouts.waitForPeer().toNanos();
        Meeting m = new Meeting(control, code, role, timeouts.direct(), extra, random);
        try {
            m.hello();
            long graceEnd = Long.MAX_VALUE;
            while (!m.complete()) {
                if (m.confirmed && m.relay != null && graceEnd == Long.MAX_VALUE) {
                    graceEnd = System.nanoTime() + CONTACT_GRACE.toNanos(); // a peer that sends no contact: relay only
                }
                long left = Math.min(deadline, graceEnd) - System.nanoTime();
                if (left <= 0) {
                    if (graceEnd != Long.MAX_VALUE) {
                        break;
                    }
                    throw new SocketTimeoutException();
                }
                m.on(control.next(Duration.ofNanos(left)));
            }
            return new Met(m.agreed, m.relay, m.peer, m.peerExtra, deadline);
        } catch (IOException e) {
            m.forget();
            if (e instanceof SessionException s) {
                throw s;
            }
            if (e instanceof WrongCodeException w) {
                throw SessionException.wrongCode(role, w);
            }
            if (e instanceof ChannelException c) {
                throw new SessionException(SessionException.Kind.PROTOCOL, c.getMessage(), c);
            }
            if (e instanceof SocketTimeoutException) {
                String waited = human(timeouts.waitForPeer());
                throw new SessionException(SessionException.Kind.TIMED_OUT, role == Handshake.Role.INITIATOR
                        ? "nobody used the code within " + waited + "; run send again for a new code"
                        : "the sender did not answer within " + waited, e);
            }
            throw new SessionException(SessionException.Kind.PEER_GONE, "lost the rendezvous server: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            m.forget();
            throw e;
        }
    }

    /** One side of a meeting in a room, packet by packet ({@link #meet}). */
    private static final class Meeting {
        private final ControlClient control;
        private final Code code;
        private final Handshake.Role role;
        private final boolean direct;
        private final Session.IoSupplier<byte[]> extra;
        private final SecureRandom random;
        private Handshake.Start start;
        Handshake.Agreed agreed;
        /** The peer proved the code: from now on we may say where we are. */
        boolean confirmed;
        byte[] peerExtra;
        RoomRelay relay;
        ControlWire.RoomContact peer;

        Meeting(ControlClient control, Code code, Handshake.Role role, boolean direct, Session.IoSupplier<byte[]> extra,
                SecureRandom random) {
            this.control = control;
            this.code = code;
            this.role = role;
            this.direct = direct;
            this.extra = extra;
            this.random = random;
        }

        boolean complete() {
            return confirmed && relay != null && (!direct || peer != null) && (extra == null || peerExtra != null);
        }

        /** A fresh SPAKE2 start, its HELLO to the room (held there for a joiner still to come). */
        void hello() throws IOException {
            start = Handshake.start(role, code.password(), random);
            control.send(new RoomMessage(Bytes.of(start.hello())));
        }

        void on(Packet p) throws IOException {
            switch (p) {
                case RoomRelay r -> relay = r;
                case RoomMessage m -> message(m.data().toByteArray());
                case ControlWire.RoomContact c when c.whose() == ControlWire.CONTACT_PEERS -> peer = c;
                case ControlWire.RoomPeerLeft l -> {
                    if (confirmed) {
                        throw peerGone("Peer left");
                    }
                    // a joiner that never proved the code, so it tested no guess: start afresh for the next
                    forget();
                    relay = null;
                    hello();
                }
                case RoomClosed c when c.reason().equals(ControlWire.ROOM_CLOSED_EXPIRED) -> throw new SocketTimeoutException();
                case RoomClosed c -> throw peerGone(c.reason());
                default -> { } // our own contact
            }
        }

        /** The peer's HELLO, then its confirmation, then (netcheck) its extra; anything later is ignored. */
        private void message(byte[] data) throws IOException {
            if (agreed == null) {
                agreed = Handshake.agree(start, data);
                if (role == Handshake.Role.RESPONDER) { // the joiner proves the code first
                    control.send(new RoomMessage(Bytes.of(agreed.roomConfirmation())));
                }
            } else if (!confirmed) {
                boolean matches = agreed.confirmsRoom(data);
                if (role == Handshake.Role.INITIATOR) { // tells a joiner with another code, reveals nothing then
                    control.send(new RoomMessage(Bytes.of(matches ? agreed.roomConfirmation() : MeetingWire.reject())));
                }
                if (!matches) {
                    throw new WrongCodeException();
                }
                confirmed = true;
                if (extra != null) {
                    control.send(new RoomMessage(Bytes.of(extra.get())));
                }
                if (direct) {
                    int port = control.localAddress().getPort();
                    control.send(new ControlWire.RoomAddresses(Candidates.local(port, ControlWire.MAX_ADDRESSES)));
                    control.send(new ControlWire.RoomDone());
                }
            } else if (extra != null && peerExtra == null) {
                peerExtra = data;
            }
        }

        /** Forgets the key agreement, if there is one. */
        void forget() {
            if (agreed != null) {
                agreed.close();
                agreed = null;
            }
        }
    }

    private static SessionException peerGone(String reason) {
        return new SessionException(SessionException.Kind.PEER_GONE,
                "the other side left before the connection was made (" + reason + "); try again with a new code", null);
    }

    /**
     * Meets the peer in the room ({@link #meet}) and races the paths ({@link PathRace}): direct TCP
     * from the port of our rendezvous connection, the relay a moment later; the first path that
     * proves the keys carries the session. A session on a direct path can fall back to the relay.
     */
    public static Session viaRoom(ControlClient control, Code code, Handshake.Role role, ConnectConfig timeouts,
                                  InetSocketAddress relayOverride, SecureRandom random) throws SessionException {
        // a direct UDP path needs our public mapping, which the server's STUN responder tells
        UdpCandidate udp = timeouts.direct() && control.stunPort() != 0
                ? UdpCandidate.start(new InetSocketAddress(control.server().getAddress(), control.stunPort()), random) : null;
        try {
            Met met = meet(control, code, role, timeouts, udp == null ? null : udp::endpoints, random);
            return race(control, met, timeouts, relayOverride, random, true, udp).session();
        } catch (SessionException | RuntimeException e) {
            if (udp != null) {
                udp.close();
            }
            throw e;
        }
    }

    /**
     * Races the paths to a peer met in a room. With {@code fallback}, the agreement is the race's:
     * a direct winner keeps it to reach the peer again through the relay, otherwise it is closed.
     * Without, the agreement stays the caller's to use further and to close.
     */
    public static PathRace.Won race(ControlClient control, Met met, ConnectConfig timeouts,
                                    InetSocketAddress relayOverride, SecureRandom random, boolean fallback)
            throws SessionException {
        return race(control, met, timeouts, relayOverride, random, fallback, null);
    }

    /** As above, with a direct UDP path too when {@code udp} and the peer's offer (its extra message) allow one. */
    static PathRace.Won race(ControlClient control, Met met, ConnectConfig timeouts, InetSocketAddress relayOverride,
                             SecureRandom random, boolean fallback, UdpCandidate udp) throws SessionException {
        PathRace.Udp udpPath = udp == null ? null : udp.path(met.peerExtra());
        if (udp != null && udpPath == null) {
            udp.close();
        }
        Handshake.Agreed agreed = met.agreed();
        InetSocketAddress relayAddress = relayOverride;
        if (relayAddress == null && met.relay().relayPort() != 0) {
            relayAddress = new InetSocketAddress(control.server().getAddress(), met.relay().relayPort());
        }
        List<InetSocketAddress> endpoints = new ArrayList<>();
        if (met.peer() != null) {
            endpoints.add(met.peer().publicAddress().toSocketAddress());
            for (ControlWire.Address a : met.peer().privateAddresses()) {
                InetSocketAddress e = a.toSocketAddress();
                if (!endpoints.contains(e)) {
                    endpoints.add(e);
                }
            }
        }
        if (relayAddress == null && endpoints.isEmpty()) {
            agreed.close();
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                    "the rendezvous server announces no relay and no direct path is possible; name a relay", null);
        }
        PathRace.Plan racePlan = new PathRace.Plan(agreed, timeouts.direct() ? control.localAddress().getPort() : 0, endpoints,
                relayAddress, met.relay().pairingKey(),
                Duration.ofNanos(Math.max(met.deadline() - System.nanoTime(), timeouts.connect().toNanos())), timeouts.idle(),
                true); // confirmed in the room: a failed proof at the relay is a stranger, not another code
        PathRace.Plan plan = udpPath == null ? racePlan : racePlan.withUdp(udpPath); // the race's to close from now on
        PathConfig paths = timeouts.paths().withPathTimeout(timeouts.connect());
        PathRace.Won won;
        try {
            won = PathRace.run(plan, paths, random);
        } catch (SessionException e) {
            agreed.close();
            throw e;
        }
        if (!fallback) {
            return won;
        }
        Session s = won.session();
        if (relayAddress == null) {
            agreed.close();
            return won;
        }
        // A direct path keeps the way back through the relay (fresh path keys, same agreement); a session
        // that started on the relay gets it once it has moved to a direct path found later.
        Session.Fallback back = () -> PathRace.relayOnly(plan, fallbackPaths(s, paths), random).session();
        if (won.direct()) {
            s.withFallback(back);
        } else {
            s.watchPath(now -> { }, moved -> s.withFallback(back));
        }
        s.onClose(agreed::close);
        return won;
    }

    /**
     * How long to wait at the relay for a peer whose direct path died. A path that fell silent (the
     * idle watchdog fired) may have died for the peer up to {@link PathConfig#directIdle()} later, so
     * the full {@link PathConfig#fallbackWait()}. A path the peer's end closed or reset is different:
     * a live tryst never closes a path mid-transfer without an end record or an ABORT, so its process
     * is gone (kill -9, a crash, a lost machine), or a middlebox reset the connection, which both
     * ends see at once: {@value #PEER_CLOSED_WAIT_SECONDS} s, so that a dead peer is said in seconds.
     */
    static PathConfig fallbackPaths(Session direct, PathConfig paths) {
        Duration quick = Duration.ofSeconds(PEER_CLOSED_WAIT_SECONDS);
        return direct.timedOut() || paths.fallbackWait().compareTo(quick) <= 0 ? paths : paths.withFallbackWait(quick);
    }

    static final int PEER_CLOSED_WAIT_SECONDS = 5;

    /**
     * Creates the room a sender waits in. The server picks the nameplate unless {@code wanted} has
     * one; the words are ours ({@code wanted}'s, or {@code words} new ones) and never reach the server.
     */
    /** A room made for a code: it closes after {@code lifetime}, which the server chose within what was asked. */
    public record Room(Code code, Duration lifetime) {}

    /**
     * Makes a room that stays open for {@code wait} or for as long as the server allows, whichever is
     * shorter (the server says which): one lifetime that both the server and the sender keep.
     */
    public static Room createRoom(ControlClient control, Code wanted, int words, Duration wait, SecureRandom random)
            throws SessionException {
        long asked = Math.min(0xFFFF_FFFFL, Math.max(1, (wait.toMillis() + 999) / 1000));
        try {
            control.send(new ControlWire.RoomCreate(wanted == null ? "" : wanted.nameplate(), asked));
            Packet p = control.next(Duration.ofSeconds(10));
            return switch (p) {
                case ControlWire.RoomCreated c -> new Room(wanted != null ? wanted
                        : new Code(c.nameplate(), Code.generate(random, words).words()), Duration.ofSeconds(c.lifetimeSeconds()));
                case ControlWire.RoomTaken t -> throw new SessionException(SessionException.Kind.PROTOCOL,
                        "the code's number " + t.nameplate() + " is in use at the server; choose another code", null);
                default -> throw new SessionException(SessionException.Kind.PROTOCOL,
                        "the server answered ROOM_CREATE with " + p.getClass().getSimpleName(), null);
            };
        } catch (SessionException e) {
            throw e;
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "the rendezvous server: " + e.getMessage(), e);
        }
    }

    /**
     * The wait a sender keeps in {@code room}: its own, or the room's shorter lifetime, said in a
     * notice (so that --wait 15m at a server that keeps rooms 10m ends at 10m, saying why, not with
     * the room's closing racing the sender's own timer).
     */
    public static ConnectConfig within(Room room, ConnectConfig config, java.util.function.Consumer<String> notice) {
        if (room.lifetime().compareTo(config.waitForPeer()) >= 0) {
            return config;
        }
        notice.accept("the server keeps a room open at most " + human(room.lifetime()) + "; waiting that long, not "
                + human(config.waitForPeer()) + ".");
        return config.withWaitForPeer(room.lifetime());
    }

    /** Joins the sender's room, named by the code's nameplate. */
    public static void joinRoom(ControlClient control, Code code) throws SessionException {
        try {
            control.send(new ControlWire.RoomJoin(code.nameplate()));
            Packet p = control.next(Duration.ofSeconds(10));
            switch (p) {
                case ControlWire.RoomJoined j -> { }
                case ControlWire.RoomNotFound n -> throw new SessionException(SessionException.Kind.TIMED_OUT,
                        "nobody is waiting with code number " + n.nameplate() + " at this server; check the code"
                                + " (each code works once, and only while its sender waits)", null);
                case ControlWire.RoomTaken t -> throw new SessionException(SessionException.Kind.PEER_GONE,
                        "someone else is already receiving with code number " + t.nameplate() + "; ask for a new code", null);
                default -> throw new SessionException(SessionException.Kind.PROTOCOL,
                        "the server answered ROOM_JOIN with " + p.getClass().getSimpleName(), null);
            }
        } catch (SessionException e) {
            throw e;
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "the rendezvous server: " + e.getMessage(), e);
        }
    }

    static SessionException classify(IOException e, Watchdog watchdog, ConnectConfig timeouts, Handshake.Role role) {
        if (e instanceof WrongCodeException) {
            return SessionException.wrongCode(role, e);
        }
        if (watchdog.fired()) {
            return new SessionException(SessionException.Kind.TIMED_OUT, role == Handshake.Role.INITIATOR
                    ? "nobody used the code within " + human(timeouts.waitForPeer()) + "; run send again for a new code"
                    : "nobody is sending with this code (waited " + human(timeouts.waitForPeer())
                            + "); check the code, and that the sender is still waiting", e);
        }
        if (e instanceof ChannelCutException) {
            return new SessionException(SessionException.Kind.PEER_GONE,
                    "the connection closed during the handshake (" + e.getMessage() + "); the code may be in use"
                            + " already, expired at the relay, or the other side quit — try again with a new code", e);
        }
        if (e instanceof ChannelException) {
            return new SessionException(SessionException.Kind.PROTOCOL, e.getMessage(), e);
        }
        return new SessionException(SessionException.Kind.PEER_GONE, "connection lost: " + e.getMessage(), e);
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 60 && s % 60 == 0 ? (s / 60) + " min" : s + " s";
    }

    private static void closeQuietly(SocketChannel s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already failing
        }
    }
}
