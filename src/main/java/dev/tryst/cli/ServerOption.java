package dev.tryst.cli;

import dev.tryst.api.TrystOptions;
import dev.tryst.rendezvous.RendezvousConfig;
import picocli.CommandLine.Option;

/**
 * Which tryst server's control port to use, and how to trust it: --server HOST[:PORT][#FINGERPRINT],
 * else TRYST_SERVER; the fingerprint pins the server's certificate, without one the certificate of the
 * first server that completes a login there is remembered (known_servers in the config directory) and
 * any other refused. Without either, the {@code server} of the client's config file ({@link ClientConfig}).
 */
final class ServerOption {
    static final String ENV = "TRYST_SERVER";

    @Option(names = "--server", paramLabel = "HOST[:PORT][#FINGERPRINT]",
            description = "The tryst server to meet through (control port, default " + RendezvousConfig.DEFAULT_PORT
                    + "; default: $TRYST_SERVER, else 'server' in config.toml, else localhost). #FINGERPRINT pins its certificate (the SHA-256 it"
                    + " prints); without one, the certificate of the first server that logs us in is remembered and any other refused.")
    String server;

    @Option(names = "--server-fingerprint", paramLabel = "SHA256", description = "Pin the server's certificate to this fingerprint.")
    String fingerprint;

    @Option(names = "--plain-control", description = "Talk to the control port without TLS (only for a server run with --plain-control).")
    boolean plain;

    /** Set by a pasted {@code tryst:} URI: the server it names (or none), not the environment's or the config file's. */
    private boolean fixed;

    /** --plain-control, or plain-control in the config file. */
    boolean plain() {
        return plain || !fixed && ClientConfig.current().plainControl();
    }

    /** Whether a flag named the server (which then wins over a pasted URI). */
    boolean given() {
        return server != null || fingerprint != null || plain;
    }

    /** Meet through {@code named} (null: localhost), and no other, as a pasted URI says. */
    void fix(String named, boolean plainControl) {
        server = named;
        plain = plainControl;
        fixed = true;
    }

    /** The server given by --server, TRYST_SERVER or the config file (with --server-fingerprint joined in), or null. */
    String explicit() {
        String text = server != null || fixed ? server : System.getenv(ENV);
        if ((text == null || text.isBlank()) && !fixed) {
            text = ClientConfig.current().server();
        }
        if (text == null || text.isBlank()) {
            return fingerprint == null ? null : "localhost#" + fingerprint;
        }
        if (fingerprint != null) {
            if (text.indexOf('#') >= 0) {
                throw new Main.UsageException("give the server's fingerprint once: in --server after '#', or with --server-fingerprint");
            }
            return text + "#" + fingerprint;
        }
        return text;
    }

    /** {@code options} with this server and its trust. */
    TrystOptions apply(TrystOptions options) {
        return options.withServer(explicit()).withPlainControl(plain());
    }
}
