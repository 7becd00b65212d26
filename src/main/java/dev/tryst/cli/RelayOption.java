package dev.tryst.cli;

import picocli.CommandLine.Option;

/** --relay, else TRYST_RELAY, else relay in the config file; on its own it means "meet at the relay alone" (no rendezvous). */
final class RelayOption {
    static final String ENV = "TRYST_RELAY";

    @Option(names = "--relay", paramLabel = "HOST[:PORT]",
            description = "Meet at this relay alone, without a rendezvous (default: $TRYST_RELAY, else 'relay' in config.toml). With --server:"
                    + " the relay to use instead of the one the server announces.")
    String relay;

    /** Set by a pasted {@code tryst:} URI: the relay it names (or none), not the environment's or the config file's. */
    private boolean fixed;

    /** Use {@code named} (null: none), as a pasted URI says. */
    void fix(String named) {
        relay = named;
        fixed = true;
    }

    /** The relay given by --relay, TRYST_RELAY or the config file, or null. */
    String explicit() {
        String text = relay != null || fixed ? relay : System.getenv(ENV);
        if ((text == null || text.isBlank()) && !fixed) {
            text = ClientConfig.current().relay();
        }
        return text == null || text.isBlank() ? null : text;
    }
}
