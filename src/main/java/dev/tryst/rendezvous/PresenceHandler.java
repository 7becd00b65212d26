package dev.tryst.rendezvous;

import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Challenge;
import dev.tryst.wire.ControlWire.ChallengeResponse;
import dev.tryst.wire.ControlWire.ClientInfo;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestAccept;
import dev.tryst.wire.ControlWire.ConnectionRequestDenied;
import dev.tryst.wire.ControlWire.LoginState;
import dev.tryst.events.EventLog;
import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import dev.tryst.net.AddressGroup;
import dev.tryst.wire.Bytes;
import dev.tryst.state.Bus;
import dev.tryst.state.Presence;
import dev.tryst.state.Presence.Pending;
import dev.tryst.state.Presence.Status;
import dev.tryst.state.SessionRef;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Identities (Chatr's login, with Cryptology's signed challenge) and Chatr's connection requests.
 *
 * <p>CONNECT in identity mode is answered with a fresh 32-byte CHALLENGE; a CHALLENGE_RESPONSE whose
 * signature verifies (over the challenge and the server's name, see {@link Identity#signChallenge})
 * logs the identity in — unless another session holds it ("Already connected!") — and is answered
 * with CONNECTED and LOGIN_STATE in one step, so nothing reaches the session between them.
 *
 * <p>Chatr's connection requests, answered so that a requester the target has not accepted learns
 * nothing of whether it is online. A CONNECTION_REQUEST to an online identity is forwarded to it
 * without the requester's addresses (they come in CLIENT_INFO once it accepts), unless
 * {@link #MAX_PENDING_REQUESTS} already wait for it or {@link #MAX_PENDING_PER_SOURCE} of those came
 * from the requester's source address; otherwise, or if the target is offline, it is held unseen.
 * Asking again while a request stands is not forwarded again. An ACCEPT gives both sides
 * CLIENT_INFO about the other with a fresh relay pairing key. Every request not accepted within
 * {@link #REQUEST_LIFETIME_NANOS} — held, refused by the target, or not answered — is answered
 * then, and only then, with DENIED "Not available". Requests are rated: at most
 * {@link #REQUESTS_PER_SOURCE} a minute from one source address and {@link #REQUESTS_PER_IDENTITY}
 * from one identity, else the session is ended.
 *
 * <p>Who is online and what was asked is a {@link Presence}; packets go out through the {@link Bus}.
 * Decisions are made under this handler's lock, under which only queueing happens.
 */
final class PresenceHandler {
    /** Hears of logins (set by {@link RendezvousServer#activity}). */
    volatile dev.tryst.server.Activity activity = dev.tryst.server.Activity.NONE;
    private static final System.Logger LOG = System.getLogger(PresenceHandler.class.getName());

    /** Connection requests shown to one target and waiting for its answer. */
    static final int MAX_PENDING_REQUESTS = 16;
    /** Of those, how many may come from one source address: free identities from one place cannot take them all. */
    static final int MAX_PENDING_PER_SOURCE = 4;
    /** A request not accepted within this is answered "Not available" (the requester may ask again). */
    static final long REQUEST_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** New connection requests a minute from one identity, and from one source address. */
    static final int REQUESTS_PER_IDENTITY = 10;
    static final int REQUESTS_PER_SOURCE = 30;
    private static final Duration RATE_WINDOW = Duration.ofMinutes(1);
    /** Dialing sessions at once per identity (each `tryst connect` is one; ssh opens one per connection). */
    static final int MAX_DIALERS = 16;

    private final Presence presence;
    private final Bus bus;
    private final EventLog events;
    private final String serverName;
    /** Announced in CLIENT_INFO with the pairing key (the relay is on the control port's host). */
    private final int relayPort;
    private final int stunPort;
    private final SecureRandom random;
    private final RendezvousCounters counters;
    private final Object lock = new Object();
    /** Requests per source group and per requester; guarded by {@link #lock}. */
    private final RateWindow<InetAddress> perSource = new RateWindow<>(REQUESTS_PER_SOURCE, RATE_WINDOW);
    private final RateWindow<Bytes> perIdentity = new RateWindow<>(REQUESTS_PER_IDENTITY, RATE_WINDOW);

    PresenceHandler(Presence presence, Bus bus, EventLog events, String serverName, int relayPort, int stunPort, SecureRandom random,
                    RendezvousCounters counters) {
        this.relayPort = relayPort;
        this.stunPort = stunPort;
        this.presence = presence;
        this.bus = bus;
        this.events = events;
        this.serverName = serverName;
        this.random = random;
        this.counters = counters;
    }

    /** CONNECT in identity mode: a fresh challenge to sign, nothing else until it is answered. */
    void onIdentityConnect(Client c, Connect connect) {
        IdentityKey key;
        try {
            key = IdentityKey.of(connect.publicKey().toByteArray());
        } catch (IllegalArgumentException e) {
            c.io.disconnect(ControlWire.REASON_FAILED_TO_VERIFY);
            return;
        }
        if (events == null) {
            c.io.disconnect(RendezvousServer.REASON_NO_IDENTITIES);
            return;
        }
        byte[] nonce = new byte[Identity.CHALLENGE_LENGTH];
        random.nextBytes(nonce);
        c.claimed = key;
        c.dialer = connect.mode() == ControlWire.MODE_DIALER;
        c.challenge = nonce;
        c.send(new Challenge(Bytes.of(nonce)));
    }

    void onChallengeResponse(Client c, ChallengeResponse r) {
        byte[] nonce = c.challenge;
        c.challenge = null; // one answer per challenge
        if (!Identity.verifyChallenge(c.claimed, nonce, serverName, r.signature().toByteArray())) {
            c.io.disconnect(ControlWire.REASON_FAILED_TO_VERIFY);
            return;
        }
        Bytes id = Bytes.of(c.claimed.bytes());
        long lastSequence;
        long lastOrder;
        try {
            lastSequence = events.lastSequence(id);
            lastOrder = events.lastOrder(id);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "event log failed: {0}", e.toString());
            c.io.disconnect(RendezvousServer.REASON_SERVER_CLOSING);
            return;
        }
        synchronized (lock) {
            if (c.dialer ? !presence.claimDialer(id, c.ref, MAX_DIALERS) : !presence.claim(id, c.ref)) {
                c.io.disconnect(c.dialer ? RendezvousServer.REASON_TOO_MANY_DIALERS : ControlWire.REASON_ALREADY_CONNECTED);
                return;
            }
            c.identity = id;
            if (c.io.isClosing()) { // ended meanwhile: it must not hold the identity
                release(c);
                return;
            }
            c.loginLastOrder = lastOrder;
            c.io.connected();
            c.send(new Connected(stunPort));
            c.send(new LoginState(lastSequence, lastOrder, events.storeId()));
        }
        LOG.log(Level.DEBUG, "session {0} from {1}: identity {2}", c.io.id, c.io.remote, c.claimed.fingerprint());
        counters.logins.increment();
        activity.record("login", "session", c.io.id, "from", c.io.remote, "identity", c.claimed.fingerprint(),
                "mode", c.dialer ? "dialer" : "listener");
    }

    void onConnectionRequest(Client c, ConnectionRequest r, long now) {
        if (c.identity == null) {
            c.io.invalid();
            return;
        }
        synchronized (lock) {
            // requests from a session that has ended have nobody to answer
            presence.dropPending(r.peer(), p -> !presence.holds(p.requester(), p.from()));
            List<Pending> made = presence.pending(r.peer());
            if (made.stream().anyMatch(p -> p.from().equals(c.ref))) {
                return; // this session asked already: not forwarded again (no flooding the target), answered once
            }
            if (!perSource.count(c.group, now) || !perIdentity.count(c.identity, now)) {
                counters.requestLimitDisconnects.increment();
                c.io.disconnect(RendezvousServer.REASON_TOO_MANY_REQUESTS);
                return;
            }
            SessionRef target = presence.lookup(r.peer());
            List<Pending> waiting = made.stream().filter(p -> p.status() == Status.WAITING).toList();
            boolean forward = target != null && !target.equals(c.ref) && waiting.size() < MAX_PENDING_REQUESTS
                    && waiting.stream().filter(p -> group(p).equals(c.group)).count() < MAX_PENDING_PER_SOURCE;
            presence.putPending(new Pending(c.identity, r.peer(), c.ref, c.io.publicAddress, r.privateAddresses(), now,
                    forward ? Status.WAITING : Status.HELD));
            if (forward) { // the addresses only once the target accepts
                bus.deliver(target, new ConnectionRequest(c.identity, List.of()));
            }
        }
    }

    private static InetAddress group(Pending p) {
        return AddressGroup.of(p.publicAddress().toSocketAddress().getAddress());
    }

    void onAccept(Client c, ConnectionRequestAccept a) {
        if (c.identity == null || c.dialer) { // a dialer is never shown a request
            c.io.invalid();
            return;
        }
        synchronized (lock) {
            Pending p = presence.takePending(c.identity, a.requester());
            if (p == null || !presence.holds(a.requester(), p.from())) {
                c.send(new ConnectionRequestDenied(a.requester(), RendezvousServer.DENIED_NOT_AVAILABLE));
                return;
            }
            Bytes key = RendezvousServer.newPairingKey(random);
            bus.deliver(p.from(), new ClientInfo(c.identity, c.io.publicAddress, a.privateAddresses(), key, relayPort));
            c.send(new ClientInfo(p.requester(), p.publicAddress(), p.privates(), key, relayPort));
        }
    }

    /**
     * The target says no: its place is free, and the requester is answered when the request's
     * time is over, like every request not accepted (the target's reason is not passed on).
     */
    void onDeny(Client c, ConnectionRequestDenied d) {
        if (c.identity == null || c.dialer) {
            c.io.invalid();
            return;
        }
        synchronized (lock) {
            for (Pending p : presence.pending(c.identity)) {
                if (p.requester().equals(d.requester()) && p.status() == Status.WAITING) {
                    presence.putPending(p.withStatus(Status.REFUSED));
                }
            }
        }
    }

    /** The sweeper: requests whose time is over are answered "Not available"; old counts are forgotten. */
    void sweep(long now) {
        synchronized (lock) {
            for (Pending p : presence.takeMadeBy(now - REQUEST_LIFETIME_NANOS)) {
                bus.deliver(p.from(), new ConnectionRequestDenied(p.target(), RendezvousServer.DENIED_NOT_AVAILABLE));
            }
            perSource.sweep(now);
            perIdentity.sweep(now);
        }
    }

    /** A closing session no longer holds its identity (the client may log in again at once). */
    void release(Client c) {
        Bytes id = c.identity;
        if (id != null) {
            synchronized (lock) {
                if (c.dialer) {
                    presence.releaseDialer(id, c.ref);
                } else {
                    presence.release(id, c.ref);
                }
            }
        }
    }

    /** The session an identity is online on, or null. */
    SessionRef lookup(Bytes identity) {
        return presence.lookup(identity);
    }
}
