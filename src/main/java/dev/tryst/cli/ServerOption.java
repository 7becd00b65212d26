package dev.tryst.cli;

import dev.tryst.client.ControlClient;
import dev.tryst.identity.Identity;
import dev.tryst.net.HostPort;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.tls.Pin;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Which tryst server's control port to use, and how to trust it: --server HOST[:PORT][#FINGERPRINT],
 * else TRYST_SERVER; the fingerprint pins the server's certificate, without one the certificate of the
 * first server that completes a login there is remembered (known_servers in the config directory) and
 * any other refused.
 */
final class ServerOption {
    static final String ENV = "TRYST_SERVER";
    static final String KNOWN_SERVERS = "known_servers";

    @Option(names = "--server", paramLabel = "HOST[:PORT][#FINGERPRINT]",
            description = "The tryst server to meet through (control port, default " + RendezvousConfig.DEFAULT_PORT
                    + "; default: $TRYST_SERVER, else localhost). #FINGERPRINT pins its certificate (the SHA-256 it"
                    + " prints); without one, the certificate of the first server that logs us in is remembered and any other refused.")
    String server;

    @Option(names = "--server-fingerprint", paramLabel = "SHA256", description = "Pin the server's certificate to this fingerprint.")
    String fingerprint;

    @Option(names = "--plain-control", description = "Talk to the control port without TLS (only for a server run with --plain-control).")
    boolean plain;

    /** The server given by --server or TRYST_SERVER, or null. */
    ControlClient.Server explicit() {
        String text = server != null ? server : System.getenv(ENV);
        if (text == null || text.isBlank()) {
            return null;
        }
        return parse(text);
    }

    /** The explicit server, else localhost. */
    ControlClient.Server resolve() {
        ControlClient.Server s = explicit();
        return s != null ? s : parse("localhost");
    }

    private ControlClient.Server parse(String text) {
        String address = text;
        String pinned = fingerprint;
        int hash = text.indexOf('#');
        if (hash >= 0) {
            address = text.substring(0, hash);
            if (pinned != null) {
                throw new Main.UsageException("give the server's fingerprint once: in --server after '#', or with --server-fingerprint");
            }
            pinned = text.substring(hash + 1);
        }
        InetSocketAddress a;
        try {
            a = HostPort.parse(address, RendezvousConfig.DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("server address " + e.getMessage());
        }
        Pin pin;
        try {
            pin = pinned != null ? Pin.fingerprint(pinned) : Pin.trustOnFirstUse(knownServers());
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        return new ControlClient.Server(a, pin, plain);
    }

    static Path knownServers() {
        return Identity.configDir().resolve(KNOWN_SERVERS);
    }
}
