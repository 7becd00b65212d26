package dev.tryst.client;

import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import dev.tryst.identity.PeerKeys;
import dev.tryst.path.Candidates;
import dev.tryst.path.PathConfig;
import dev.tryst.path.PathRace;
import dev.tryst.session.Session;
import dev.tryst.session.SessionException;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.ClientInfo;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestDenied;
import dev.tryst.wire.ControlWire.Packet;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reaching an identity by its key (Chatr's connection request, then the race of paths proven by
 * identity keys, {@link PeerKeys}): the dialling side here, the listening side in
 * {@link PeerListener}; both end in the same {@link #race}.
 *
 * <p>The server only forwards endpoints and a relay key. What it says about who is asking or
 * answering is checked against what we named, and every path must prove the identity from our
 * own contacts, so a server that lies can make a connection fail, never make it reach anyone else.
 */
public final class PeerConnector {
    private PeerConnector() {}

    /**
     * A proven session with a peer identity, and the way to make another path to it when this one
     * dies (the relay, with the same keys and a fresh handshake), or null without a relay.
     */
    public record Connection(Session session, boolean direct, Session.Fallback reconnect, PeerKeys keys, String peerName) {}

    /**
     * Logs in to dial ({@link ControlWire#MODE_DIALER}), asks for {@code peer} and races the paths
     * once it accepts. {@code config.waitForPeer()} bounds the wait for its answer.
     *
     * @throws SessionException PEER_UNAVAILABLE when it did not accept in time; NOT_AUTHENTICATED when
     *                          the server answered for someone else or nobody proved to be the peer
     */
    public static Connection dial(ControlClient.Server server, Identity me, IdentityKey peer, String peerName,
                                  ConnectConfig config, InetSocketAddress relayOverride, SecureRandom random)
            throws IOException {
        Bytes wanted = Bytes.of(peer.bytes());
        try (ControlClient control = ControlClient.connectDialer(server, me, config.connect())) {
            int port = control.localAddress().getPort();
            control.send(new ConnectionRequest(wanted, config.direct() ? Candidates.local(port, ControlWire.MAX_ADDRESSES) : List.of()));
            long deadline = System.nanoTime() + config.waitForPeer().toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                Packet p;
                try {
                    if (left <= 0) {
                        throw new SocketTimeoutException();
                    }
                    p = control.next(Duration.ofNanos(left));
                } catch (SocketTimeoutException e) {
                    throw unavailable(peerName, "did not answer within " + Connector.human(config.waitForPeer()));
                }
                switch (p) {
                    case ClientInfo info -> {
                        if (!info.peer().equals(wanted)) {
                            throw new SessionException(SessionException.Kind.NOT_AUTHENTICATED, "the server answered for another"
                                    + " identity (" + fingerprint(info.peer()) + ") than " + peerName + " (" + peer.fingerprint()
                                    + "), whom we asked for: the server is misbehaving; nothing was sent", null);
                        }
                        return race(control, info, PeerKeys.initiator(me, peer, peerName, info.relayPairingKey()), peerName,
                                config, relayOverride, random);
                    }
                    case ConnectionRequestDenied d when d.requester().equals(wanted) ->
                        throw unavailable(peerName, "is not available");
                    default -> { } // nothing else is for us
                }
            }
        }
    }

    private static SessionException unavailable(String peerName, String what) {
        return new SessionException(SessionException.Kind.PEER_UNAVAILABLE, peerName + " " + what
                + ": it is offline, not running 'tryst listen' with this server, or does not have us as a contact", null);
    }

    static String fingerprint(Bytes key) {
        try {
            return IdentityKey.of(key.toByteArray()).fingerprint();
        } catch (IllegalArgumentException e) {
            return "not even a valid key";
        }
    }

    /**
     * Races the paths to the peer of {@code info} (direct TCP from the control connection's port,
     * the relay a moment later), each proven by {@code keys}.
     */
    static Connection race(ControlClient control, ClientInfo info, PeerKeys keys, String peerName, ConnectConfig config,
                           InetSocketAddress relayOverride, SecureRandom random) throws SessionException {
        InetSocketAddress relay = relayOverride != null ? relayOverride
                : info.relayPort() != 0 ? new InetSocketAddress(control.server().getAddress(), info.relayPort()) : null;
        List<InetSocketAddress> endpoints = new ArrayList<>();
        if (config.direct()) {
            endpoints.add(info.publicAddress().toSocketAddress());
            for (ControlWire.Address a : info.privateAddresses()) {
                InetSocketAddress e = a.toSocketAddress();
                if (!endpoints.contains(e)) {
                    endpoints.add(e);
                }
            }
        }
        if (relay == null && endpoints.isEmpty()) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                    "the server announces no relay and direct paths are off; name a relay", null);
        }
        PathRace.Plan plan = new PathRace.Plan(keys, config.direct() ? control.localAddress().getPort() : 0, endpoints, relay,
                info.relayPairingKey(), config.connect().plusSeconds(10), config.idle(), true);
        PathConfig paths = config.paths().withPathTimeout(config.connect());
        PathRace.Won won = PathRace.run(plan, paths, random);
        Session.Fallback reconnect = relay == null ? null : () -> PathRace.relayOnly(plan, paths, random).session();
        return new Connection(won.session(), won.direct(), reconnect, keys, peerName);
    }
}
