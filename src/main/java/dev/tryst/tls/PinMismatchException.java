package dev.tryst.tls;

import java.nio.file.Path;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The server presented a certificate other than the pinned one: the connection was refused.
 * The message says what was presented, what was expected and what to do about it.
 */
public final class PinMismatchException extends SSLPeerUnverifiedException {
    private static final long serialVersionUID = 1L;

    private final String server;
    private final Fingerprint presented;
    private final Fingerprint expected;
    private final transient Path knownServers;

    /**
     * @param server        {@code host:port} as the client addressed it
     * @param knownServers  the trust-on-first-use file the expectation came from, or null for an explicit pin
     */
    public PinMismatchException(String server, Fingerprint presented, Fingerprint expected, Path knownServers) {
        super(message(server, presented, expected, knownServers));
        this.server = server;
        this.presented = presented;
        this.expected = expected;
        this.knownServers = knownServers;
    }

    private static String message(String server, Fingerprint presented, Fingerprint expected, Path knownServers) {
        String head = "the server at " + server + " presented certificate fingerprint " + presented.hex()
                + ", but " + expected.hex() + " was expected; ";
        if (knownServers != null) {
            return head + "if the server was reinstalled on purpose remove the line for " + server + " from " + knownServers
                    + ", otherwise someone may be intercepting the connection";
        }
        return head + "if the server was reinstalled on purpose use the fingerprint it prints now,"
                + " otherwise someone may be intercepting the connection";
    }

    public String server() {
        return server;
    }

    public Fingerprint presented() {
        return presented;
    }

    public Fingerprint expected() {
        return expected;
    }

    /** The {@code known_servers} file, or null when the pin was explicit. */
    public Path knownServers() {
        return knownServers;
    }
}
