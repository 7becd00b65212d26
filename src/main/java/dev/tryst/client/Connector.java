package dev.tryst.client;

import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.ChannelException;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.channel.WrongCodeException;
import dev.tryst.code.Code;
import dev.tryst.net.HostPort;
import dev.tryst.net.Watchdog;
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

    public record Timeouts(Duration connect, Duration waitForPeer, Duration idle) {
        public Timeouts {
            if (connect.isNegative() || connect.isZero() || waitForPeer.isNegative() || waitForPeer.isZero()
                    || idle.isNegative() || idle.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive: " + connect + ", " + waitForPeer + ", " + idle);
            }
        }

        public static Timeouts defaults(Handshake.Role role) {
            return new Timeouts(Duration.ofSeconds(10),
                    role == Handshake.Role.INITIATOR ? Duration.ofMinutes(10) : Duration.ofMinutes(2),
                    Duration.ofSeconds(60));
        }
    }

    public static Session viaRelay(InetSocketAddress relay, Code code, Handshake.Role role, Timeouts timeouts,
                                   SecureRandom random) throws SessionException {
        String where = HostPort.format(relay);
        SocketChannel socket;
        try {
            InetSocketAddress resolved = relay.isUnresolved()
                    ? new InetSocketAddress(relay.getHostString(), relay.getPort()) : relay;
            if (resolved.isUnresolved()) {
                throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                        "cannot find the relay host '" + relay.getHostString() + "' (name not resolved); check --relay or TRYST_RELAY", null);
            }
            socket = RelayClient.dial(resolved, code.relayPairingKey(), timeouts.connect());
        } catch (SessionException e) {
            throw e;
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE,
                    "cannot reach the relay at " + where + " (" + e.getMessage() + "); is 'tryst server' running there?"
                            + " Point elsewhere with --relay HOST:PORT or TRYST_RELAY", e);
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
            throw classify(e, watchdog, timeouts, role);
        }
    }

    static SessionException classify(IOException e, Watchdog watchdog, Timeouts timeouts, Handshake.Role role) {
        if (e instanceof WrongCodeException) {
            return new SessionException(SessionException.Kind.WRONG_CODE, role == Handshake.Role.RESPONDER
                    ? "the codes did not match — nothing was received; ask for a new code"
                    : "the codes did not match — nothing was sent; this code is used up, run send again for a new one", e);
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
