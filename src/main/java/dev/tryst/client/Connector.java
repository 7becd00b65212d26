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
        String where = HostPort.format(relay);
        SocketChannel socket;
        try {
            socket = RelayClient.dial(HostPort.resolve(relay), code.relayPairingKey(), timeouts.connect());
        } catch (java.net.UnknownHostException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                    "the relay: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                    "cannot reach the relay at " + where + " (" + e.getMessage() + "); is 'tryst server' running there?", e);
        }
        // A hard deadline for the whole handshake: nothing kicks this watchdog before it is done.
        Watchdog watchdog = Watchdog.watch(socket, timeouts.waitForPeer());
        try {
            Handshake.Start start = Handshake.start(role, code.password(), random);
            Handshake.writeHello(socket, start);
            SecureChannel channel = Handshake.finish(socket, start);
            return Session.start(channel, watchdog, timeouts.idle(), "relayed via " + where);
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
     * same way (SPAKE2 through the server, which sees only the public SPAKE2 messages); {@code extra}
     * (if not null) is asked for once the peer's HELLO is in (so that what it reports, a NAT mapping
     * say, is fresh) and follows as a second message; both exchange contacts (gday: private endpoints, and
     * the public one the server saw); the room gives the relay pairing key.
     */
    public static Met meet(ControlClient control, Code code, Handshake.Role role, ConnectConfig timeouts,
                           Session.IoSupplier<byte[]> extra, SecureRandom random) throws SessionException {
        Handshake.Start start = Handshake.start(role, code.password(), random);
        long deadline = System.nanoTime() + timeouts.waitForPeer().toNanos();
        byte[] peerHello = null;
        byte[] peerExtra = null;
        RoomRelay relay = null;
        ControlWire.RoomContact peer = null;
        int localPort = control.localAddress().getPort();
        try {
            control.send(new RoomMessage(Bytes.of(start.hello())));
            if (timeouts.direct()) {
                control.send(new ControlWire.RoomAddresses(Candidates.local(localPort, ControlWire.MAX_ADDRESSES)));
                control.send(new ControlWire.RoomDone());
            }
            long graceEnd = Long.MAX_VALUE;
            while (peerHello == null || relay == null || (timeouts.direct() && peer == null)
                    || (extra != null && peerExtra == null)) {
                if (peerHello != null && relay != null && graceEnd == Long.MAX_VALUE) {
                    graceEnd = System.nanoTime() + CONTACT_GRACE.toNanos(); // a peer that sends no contact: relay only
                }
                long left = Math.min(deadline, graceEnd) - System.nanoTime();
                if (left <= 0) {
                    if (graceEnd != Long.MAX_VALUE) {
                        break;
                    }
                    throw new SocketTimeoutException();
                }
                Packet p = control.next(Duration.ofNanos(left));
                switch (p) {
                    case RoomRelay r -> relay = r;
                    case RoomMessage m -> {
                        if (peerHello == null) {
                            peerHello = m.data().toByteArray();
                            if (extra != null) {
                                control.send(new RoomMessage(Bytes.of(extra.get())));
                            }
                        } else if (peerExtra == null) {
                            peerExtra = m.data().toByteArray();
                        }
                    }
                    case ControlWire.RoomContact c when c.whose() == ControlWire.CONTACT_PEERS -> peer = c;
                    case RoomClosed c -> throw new SessionException(SessionException.Kind.PEER_GONE,
                            "the other side left before the connection was made (" + c.reason() + "); try again with a new code", null);
                    default -> { } // our own contact
                }
            }
        } catch (SessionException e) {
            throw e;
        } catch (SocketTimeoutException e) {
            throw new SessionException(SessionException.Kind.TIMED_OUT, role == Handshake.Role.INITIATOR
                    ? "nobody used the code within " + human(timeouts.waitForPeer()) + "; run send again for a new code"
                    : "the sender did not answer within " + human(timeouts.waitForPeer()), e);
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.PEER_GONE, "lost the rendezvous server: " + e.getMessage(), e);
        }
        try {
            return new Met(Handshake.agree(start, peerHello), relay, peer, peerExtra, deadline);
        } catch (ChannelException e) {
            throw new SessionException(SessionException.Kind.PROTOCOL, e.getMessage(), e);
        }
    }

    /**
     * Meets the peer in the room ({@link #meet}) and races the paths ({@link PathRace}): direct TCP
     * from the port of our rendezvous connection, the relay a moment later; the first path that
     * proves the keys carries the session. A session on a direct path can fall back to the relay.
     */
    public static Session viaRoom(ControlClient control, Code code, Handshake.Role role, ConnectConfig timeouts,
                                  InetSocketAddress relayOverride, SecureRandom random) throws SessionException {
        Met met = meet(control, code, role, timeouts, null, random);
        return race(control, met, timeouts, relayOverride, random, true).session();
    }

    /**
     * Races the paths to a peer met in a room. With {@code fallback}, the agreement is the race's:
     * a direct winner keeps it to reach the peer again through the relay, otherwise it is closed.
     * Without, the agreement stays the caller's to use further and to close.
     */
    public static PathRace.Won race(ControlClient control, Met met, ConnectConfig timeouts,
                                    InetSocketAddress relayOverride, SecureRandom random, boolean fallback)
            throws SessionException {
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
        PathRace.Plan plan = new PathRace.Plan(agreed, timeouts.direct() ? control.localAddress().getPort() : 0, endpoints,
                relayAddress, met.relay().pairingKey(),
                Duration.ofNanos(Math.max(met.deadline() - System.nanoTime(), timeouts.connect().toNanos())), timeouts.idle(),
                false); // the keys are first proven on a path: a mismatch at the relay means the codes differ
        PathConfig paths = timeouts.paths().withPathTimeout(timeouts.connect());
        PathRace.Won won;
        try {
            won = PathRace.run(plan, paths, random);
        } catch (SessionException e) {
            agreed.close();
            throw e;
        }
        if (!fallback || !won.direct() || relayAddress == null) {
            if (fallback) {
                agreed.close();
            }
            return won;
        }
        // Direct: keep the way back through the relay (fresh path keys, same agreement).
        return new PathRace.Won(won.session().withFallback(() -> PathRace.relayOnly(plan, paths, random).session()), true);
    }

    /**
     * Creates the room a sender waits in. The server picks the nameplate unless {@code wanted} has
     * one; the words are ours ({@code wanted}'s, or {@code words} new ones) and never reach the server.
     */
    public static Code createRoom(ControlClient control, Code wanted, int words, SecureRandom random) throws SessionException {
        try {
            control.send(new ControlWire.RoomCreate(wanted == null ? "" : wanted.nameplate()));
            Packet p = control.next(Duration.ofSeconds(10));
            return switch (p) {
                case ControlWire.RoomCreated c -> wanted != null ? wanted
                        : new Code(c.nameplate(), Code.generate(random, words).words());
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
