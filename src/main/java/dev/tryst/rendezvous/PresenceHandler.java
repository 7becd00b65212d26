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
import dev.tryst.wire.Bytes;
import dev.tryst.state.Bus;
import dev.tryst.state.Presence;
import dev.tryst.state.Presence.Pending;
import dev.tryst.state.SessionRef;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * Identities (Chatr's login, with Cryptology's signed challenge) and Chatr's connection requests.
 *
 * <p>CONNECT in identity mode is answered with a fresh 32-byte CHALLENGE; a CHALLENGE_RESPONSE whose
 * signature verifies (over the challenge and the server's name, see {@link Identity#signChallenge})
 * logs the identity in — unless another session holds it ("Already connected!") — and is answered
 * with CONNECTED and LOGIN_STATE in one step, so nothing reaches the session between them.
 *
 * <p>A CONNECTION_REQUEST to an online identity is forwarded to it with the requester's private
 * addresses and waits for its answer (at most {@link #MAX_PENDING_REQUESTS} per target, each for
 * {@link #REQUEST_LIFETIME}; asking again while one waits is not forwarded again); to an offline
 * one it is denied at once. An ACCEPT gives both sides CLIENT_INFO about the other with a fresh
 * relay pairing key; a DENY goes back to the requester.
 *
 * <p>Who is online and what waits is a {@link Presence}; packets go out through the {@link Bus}.
 * Decisions are made under this handler's lock, under which only queueing happens.
 */
final class PresenceHandler {
    private static final System.Logger LOG = System.getLogger(PresenceHandler.class.getName());

    /** Connection requests waiting for one target's answer. */
    static final int MAX_PENDING_REQUESTS = 16;
    /** A request not answered within this is forgotten (the requester may ask again). */
    static final long REQUEST_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Presence presence;
    private final Bus bus;
    private final EventLog events;
    private final String serverName;
    private final SecureRandom random;
    private final Object lock = new Object();

    PresenceHandler(Presence presence, Bus bus, EventLog events, String serverName, SecureRandom random) {
        this.presence = presence;
        this.bus = bus;
        this.events = events;
        this.serverName = serverName;
        this.random = random;
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
            if (!presence.claim(id, c.ref)) {
                c.io.disconnect(ControlWire.REASON_ALREADY_CONNECTED);
                return;
            }
            c.identity = id;
            if (c.io.isClosing()) { // ended meanwhile: it must not hold the identity
                presence.release(id, c.ref);
                return;
            }
            c.loginLastOrder = lastOrder;
            c.io.connected();
            c.send(new Connected());
            c.send(new LoginState(lastSequence, lastOrder, events.storeId()));
        }
        LOG.log(Level.DEBUG, "session {0} from {1}: identity {2}", c.io.id, c.io.remote, c.claimed.fingerprint());
    }

    void onConnectionRequest(Client c, ConnectionRequest r, long now) {
        if (c.identity == null) {
            c.io.invalid();
            return;
        }
        synchronized (lock) {
            SessionRef target = presence.lookup(r.peer());
            if (target != null) { // expired, or from a requester that has left: they hold no slot
                presence.dropPending(r.peer(), p -> now - p.sinceNanos() >= REQUEST_LIFETIME_NANOS
                        || !p.from().equals(presence.lookup(p.requester())));
            }
            if (target == null || target.equals(c.ref)) {
                c.send(new ConnectionRequestDenied(r.peer(), RendezvousServer.DENIED_NOT_ONLINE));
                return;
            }
            var waiting = presence.pending(r.peer());
            if (waiting.stream().anyMatch(p -> p.requester().equals(c.identity))) {
                return; // already asked and not answered yet: asking again is not forwarded (no flooding the target)
            }
            if (waiting.size() >= MAX_PENDING_REQUESTS) {
                c.send(new ConnectionRequestDenied(r.peer(), RendezvousServer.DENIED_TOO_MANY));
                return;
            }
            presence.putPending(r.peer(), new Pending(c.identity, c.ref, c.io.publicAddress, r.privateAddresses(), now));
            bus.deliver(target, new ConnectionRequest(c.identity, r.privateAddresses()));
        }
    }

    void onAccept(Client c, ConnectionRequestAccept a) {
        if (c.identity == null) {
            c.io.invalid();
            return;
        }
        synchronized (lock) {
            Pending p = presence.takePending(c.identity, a.requester());
            if (p == null || !p.from().equals(presence.lookup(a.requester()))) {
                c.send(new ConnectionRequestDenied(a.requester(), RendezvousServer.DENIED_NOT_ONLINE));
                return;
            }
            Bytes key = RendezvousServer.newPairingKey(random);
            bus.deliver(p.from(), new ClientInfo(c.identity, c.io.publicAddress, a.privateAddresses(), key));
            c.send(new ClientInfo(p.requester(), p.publicAddress(), p.privates(), key));
        }
    }

    void onDeny(Client c, ConnectionRequestDenied d) {
        if (c.identity == null) {
            c.io.invalid();
            return;
        }
        synchronized (lock) {
            Pending p = presence.takePending(c.identity, d.requester());
            if (p != null && p.from().equals(presence.lookup(d.requester()))) {
                bus.deliver(p.from(), new ConnectionRequestDenied(c.identity, d.reason()));
            }
        }
    }

    /** A closing session no longer holds its identity (the client may log in again at once) nor its waiting requests. */
    void release(Client c) {
        Bytes id = c.identity;
        if (id != null) {
            synchronized (lock) {
                presence.release(id, c.ref);
            }
        }
    }

    /** The session an identity is online on, or null. */
    SessionRef lookup(Bytes identity) {
        return presence.lookup(identity);
    }
}
