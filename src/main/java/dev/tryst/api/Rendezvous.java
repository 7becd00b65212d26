package dev.tryst.api;

import dev.tryst.client.ControlClient;
import dev.tryst.client.EventClient;
import dev.tryst.wire.ControlWire;
import dev.tryst.identity.Identity;
import dev.tryst.net.HostPort;
import dev.tryst.wire.RelayWire;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.tls.Pin;
import dev.tryst.tls.PinMismatchException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * How a client reaches the tryst server: the address and pin of its control port, the relay, and
 * the choice between a rendezvous and the relay alone. Errors say what happened and what to do.
 */
final class Rendezvous {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private Rendezvous() {}

    /** A control session for rooms, or null: meet at {@code relay} alone. */
    record Way(ControlClient control, InetSocketAddress relay) implements AutoCloseable {
        @Override
        public void close() {
            if (control != null) {
                control.close();
            }
        }
    }

    /** {@code HOST[:PORT][#FINGERPRINT]} as a server to connect to; trust on first use without a fingerprint. */
    static ControlClient.Server server(String text, TrystOptions options) throws TrystException {
        String address = text;
        String pinned = null;
        int hash = text.indexOf('#');
        if (hash >= 0) {
            address = text.substring(0, hash);
            pinned = text.substring(hash + 1);
        }
        InetSocketAddress a;
        Pin pin;
        try {
            a = HostPort.parse(address, RendezvousConfig.DEFAULT_PORT);
            pin = pinned != null ? Pin.fingerprint(pinned) : Pin.trustOnFirstUse(options.knownServers());
        } catch (IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "server address " + e.getMessage(), null);
        }
        return new ControlClient.Server(a, pin, options.plainControl());
    }

    static InetSocketAddress relay(String text) throws TrystException {
        try {
            return HostPort.parse(text, RelayWire.DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "relay address " + e.getMessage(), null);
        }
    }

    /**
     * With a server (named, or localhost by default): a control session, and the relay given if
     * any. With a relay alone: that relay. When no server was named and nothing listens on
     * localhost's control port, the relay on localhost, said in a notice.
     */
    static Way open(TrystOptions options, Consumer<String> notice) throws TrystException {
        InetSocketAddress relayGiven = options.relay() == null ? null : relay(options.relay());
        if (options.server() == null && relayGiven != null) {
            return new Way(null, relayGiven);
        }
        ControlClient.Server target = server(options.server() != null ? options.server() : "localhost", options);
        try {
            return new Way(ControlClient.connect(target, null, CONNECT_TIMEOUT), relayGiven);
        } catch (ConnectException e) {
            if (options.server() == null) {
                notice.accept("No rendezvous at " + target.describe() + "; meeting at the relay alone.");
                return new Way(null, InetSocketAddress.createUnresolved("localhost", RelayWire.DEFAULT_PORT));
            }
            throw unreachable(target, e);
        } catch (PinMismatchException e) {
            throw pinMismatch(e);
        } catch (IOException e) {
            throw unreachable(target, e);
        }
    }

    /** An identity's session on the server's event channel. */
    static EventClient login(TrystOptions options, Identity me, java.time.InstantSource clock) throws TrystException {
        ControlClient.Server server = server(options.server() != null ? options.server() : "localhost", options);
        try {
            return EventClient.login(server, me, clock, CONNECT_TIMEOUT);
        } catch (ControlClient.ControlClosedException e) {
            boolean twice = ControlWire.REASON_ALREADY_CONNECTED.equals(e.reason());
            throw new TrystException(TrystException.Reason.REFUSED, "the server at " + server.describe()
                    + " refused the login: " + (e.reason() != null ? e.reason() : e.getMessage()),
                    twice ? "another tryst command of this identity is connected; try again when it ends" : "", e);
        } catch (PinMismatchException e) {
            throw pinMismatch(e);
        } catch (IOException e) {
            throw unreachable(server, e);
        }
    }

    /** Why reaching a peer through {@code server} failed: the session's reason, or the server's. */
    static TrystException dialFailure(ControlClient.Server server, IOException e) {
        return switch (e) {
            case dev.tryst.session.SessionException s -> Tryst.translate(s);
            case PinMismatchException p -> pinMismatch(p);
            case ControlClient.ControlClosedException c -> new TrystException(TrystException.Reason.REFUSED,
                    "the server at " + server.describe() + " ended the session: " + (c.reason() != null ? c.reason() : c.getMessage()), c);
            default -> unreachable(server, e);
        };
    }

    static TrystException pinMismatch(PinMismatchException e) {
        return new TrystException(TrystException.Reason.UNREACHABLE, "refused: " + e.getMessage(), e);
    }

    static TrystException unreachable(ControlClient.Server target, IOException e) {
        return new TrystException(TrystException.Reason.UNREACHABLE, "cannot reach the tryst server at "
                + target.describe() + " (" + e.getMessage() + ")", "is 'tryst server' running there?", e);
    }
}
