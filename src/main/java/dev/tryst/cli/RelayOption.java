package dev.tryst.cli;

import dev.tryst.net.HostPort;
import dev.tryst.relay.RelayWire;
import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/** --relay, else TRYST_RELAY, else localhost:8080. */
final class RelayOption {
    static final String ENV = "TRYST_RELAY";

    @Option(names = "--relay", paramLabel = "HOST[:PORT]",
            description = "The relay to meet through (default: $TRYST_RELAY, else localhost:8080).")
    String relay;

    InetSocketAddress address() {
        String text = relay != null ? relay : System.getenv(ENV);
        if (text == null || text.isBlank()) {
            text = "localhost:" + RelayWire.DEFAULT_PORT;
        }
        try {
            return HostPort.parse(text, RelayWire.DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("relay address " + e.getMessage());
        }
    }
}
