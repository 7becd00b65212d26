package dev.tryst.cli;

import picocli.CommandLine.Option;

/** --relay, else TRYST_RELAY; on its own it means "meet at the relay alone" (no rendezvous). */
final class RelayOption {
    static final String ENV = "TRYST_RELAY";

    @Option(names = "--relay", paramLabel = "HOST[:PORT]",
            description = "Meet at this relay alone, without a rendezvous (default: $TRYST_RELAY). With --server:"
                    + " the relay to use instead of the one the server announces.")
    String relay;

    /** The relay given by --relay or TRYST_RELAY, or null. */
    String explicit() {
        String text = relay != null ? relay : System.getenv(ENV);
        return text == null || text.isBlank() ? null : text;
    }
}
