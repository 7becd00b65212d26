package dev.tryst.cli;

import dev.tryst.client.ControlClient;
import dev.tryst.session.SessionException;
import dev.tryst.tls.PinMismatchException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import picocli.CommandLine.Mixin;

/**
 * How send and receive meet their peer. With a rendezvous (the default, and whenever --server or
 * TRYST_SERVER is given): a room on the server's control port, the relay it announces. With
 * --relay or TRYST_RELAY alone: the relay alone, as the foundation did. When no server was named
 * and nothing listens on localhost's control port, the relay on localhost is tried alone.
 */
final class Meeting {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    @Mixin
    RelayOption relay = new RelayOption();

    @Mixin
    ServerOption server = new ServerOption();

    @picocli.CommandLine.Option(names = "--no-direct", description = "Do not try direct connections; always use the relay.")
    boolean noDirect;

    @picocli.CommandLine.Option(names = "--relay-delay", paramLabel = "DURATION", defaultValue = "1s",
            converter = Durations.class,
            description = "Head start of direct connections before the relay is tried too. Default: ${DEFAULT-VALUE}.")
    Duration relayDelay;

    /** The connection's time bounds for {@code role}, with these options and {@code wait} for the peer. */
    dev.tryst.client.ConnectConfig config(dev.tryst.channel.Handshake.Role role, Duration wait) {
        var d = dev.tryst.client.ConnectConfig.defaults(role);
        return d.withWaitForPeer(wait).withDirect(!noDirect).withPaths(d.paths().withRelayDelay(relayDelay));
    }

    /** A control session for rooms, or null: meet at {@code relay} alone. */
    record Way(ControlClient control, InetSocketAddress relay) implements AutoCloseable {
        @Override
        public void close() {
            if (control != null) {
                control.close();
            }
        }
    }

    Way open(PrintWriter err, boolean quiet) throws SessionException {
        ControlClient.Server named = server.explicit();
        InetSocketAddress relayGiven = relay.explicit();
        if (named == null && relayGiven != null) {
            return new Way(null, relayGiven);
        }
        ControlClient.Server target = named != null ? named : server.resolve();
        try {
            return new Way(ControlClient.connect(target, null, CONNECT_TIMEOUT), relayGiven);
        } catch (ConnectException e) {
            if (named == null) {
                if (!quiet) {
                    err.println("No rendezvous at " + target.describe() + "; meeting at the relay alone.");
                    err.flush();
                }
                return new Way(null, relay.address());
            }
            throw unreachable(target, e);
        } catch (PinMismatchException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "refused: " + e.getMessage(), e);
        } catch (IOException e) {
            throw unreachable(target, e);
        }
    }

    private static SessionException unreachable(ControlClient.Server target, IOException e) {
        return new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "cannot reach the tryst server at "
                + target.describe() + " (" + e.getMessage() + "); is 'tryst server' running there? Point elsewhere with"
                + " --server HOST or TRYST_SERVER", e);
    }
}
