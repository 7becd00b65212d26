package dev.tryst.cli;

import dev.tryst.net.HostPort;
import dev.tryst.relay.RelayWire;
import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/** --relay, else TRYST_RELAY; on its own it means "meet at the relay alone" (no rendezvous). */
final class RelayOption {
    static final String ENV = "TRYST_RELAY";

    @Option(names = "--relay", paramLabel = "HOST[:PORT]",
            description = "Meet at this relay alone, without a rendezvous (default: $TRYST_RELAY). With --server:"
                    + " the relay to use instead of the one the server announces.")
    String relay;

    /** The relay given by --relay or TRYST_RELAY, or null. */
    InetSocketAddress explicit() {
        String text = relay != null ? relay : System.getenv(ENV);
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return HostPort.parse(text, RelayWire.DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("relay address " + e.getMessage());
        }
    }

    /** The explicit relay, else localhost:8080. */
    InetSocketAddress address() {
        InetSocketAddress a = explicit();
        return a != null ? a : InetSocketAddress.createUnresolved("localhost", RelayWire.DEFAULT_PORT);
    }
}
