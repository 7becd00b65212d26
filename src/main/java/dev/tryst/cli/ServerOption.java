package dev.tryst.cli;

import dev.tryst.api.TrystOptions;
import dev.tryst.rendezvous.RendezvousConfig;
import picocli.CommandLine.Option;

/**
 * Which tryst server's control port to use, and how to trust it: --server HOST[:PORT][#FINGERPRINT],
 * else TRYST_SERVER; the fingerprint pins the server's certificate, without one the certificate of the
 * first server that completes a login there is remembered (known_servers in the config directory) and
 * any other refused.
 */
final class ServerOption {
    static final String ENV = "TRYST_SERVER";

    @Option(names = "--server", paramLabel = "HOST[:PORT][#FINGERPRINT]",
            description = "The tryst server to meet through (control port, default " + RendezvousConfig.DEFAULT_PORT
                    + "; default: $TRYST_SERVER, else localhost). #FINGERPRINT pins its certificate (the SHA-256 it"
                    + " prints); without one, the certificate of the first server that logs us in is remembered and any other refused.")
    String server;

    @Option(names = "--server-fingerprint", paramLabel = "SHA256", description = "Pin the server's certificate to this fingerprint.")
    String fingerprint;

    @Option(names = "--plain-control", description = "Talk to the control port without TLS (only for a server run with --plain-control).")
    boolean plain;

    /** The server given by --server or TRYST_SERVER (with --server-fingerprint joined in), or null. */
    String explicit() {
        String text = server != null ? server : System.getenv(ENV);
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
        return options.withServer(explicit()).withPlainControl(plain);
    }
}
