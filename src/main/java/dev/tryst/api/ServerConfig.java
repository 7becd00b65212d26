package dev.tryst.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a {@link TrystServer} is built from, validated on construction. Every port must be
 * had, the default ones too: if another program holds one, the server does not start (rather than
 * running without that service, which its users would find out later); -1 turns a service off.
 *
 * @param bind               the address every service listens on (0.0.0.0: all)
 * @param relayPort          the relay's TCP port (8080; 0 picks a free one)
 * @param controlPort        the rendezvous control port, TLS 1.3 (null: 2311; -1: off)
 * @param stunPort           the STUN responder's UDP port (null: 3478; -1: off)
 * @param stateDir           where the server keeps its certificate and its event database
 * @param certPem            a certificate chain (PEM) to serve instead of a self-signed one, with {@code keyPem}; or null
 * @param keyPem             its private key (PKCS#8 PEM), or null
 * @param plainControl       serve the control port without TLS (tests, local use only)
 * @param relayWaitTimeout   how long a client may wait alone for its peer, at the relay and in a rendezvous
 *                           room (a room's creator may ask for less; null: 10 min)
 * @param relayIdleTimeout   a stapled relay pair without traffic this long is closed (null: 5 min)
 * @param relayMaxPerAddress concurrent relay connections per source address (null: 256)
 * @param relayBufferSize    relay copy buffer per direction of a pair, bytes (null: 262144)
 */
public record ServerConfig(String bind, int relayPort, Integer controlPort, Integer stunPort, Path stateDir, Path certPem,
                           Path keyPem, boolean plainControl, Duration relayWaitTimeout, Duration relayIdleTimeout,
                           Integer relayMaxPerAddress, Integer relayBufferSize) {
    public ServerConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(stateDir, "stateDir");
        port(relayPort, "relayPort", false);
        if (controlPort != null) {
            port(controlPort, "controlPort", true);
        }
        if (stunPort != null) {
            port(stunPort, "stunPort", true);
        }
        if ((certPem == null) != (keyPem == null)) {
            throw new IllegalArgumentException("a certificate and its key go together");
        }
    }

    private static void port(int p, String name, boolean mayBeOff) {
        if (p < (mayBeOff ? -1 : 0) || p > 65535) {
            throw new IllegalArgumentException(name + " must be " + (mayBeOff ? "-1" : "0") + " to 65535, not " + p);
        }
    }

    /** Every service on its default port on all addresses, state in {@code stateDir}. */
    public static ServerConfig defaults(Path stateDir) {
        return new ServerConfig("0.0.0.0", 8080, null, null, stateDir, null, null, false, null, null, null, null);
    }

    /**
     * Every service on a free port of the loopback address (0), plain control: a server for tests
     * and for programs that embed one.
     */
    public static ServerConfig loopback(Path stateDir) {
        return new ServerConfig("127.0.0.1", 0, 0, 0, stateDir, null, null, true, null, null, null, null);
    }

    /** The default state folder: {@code $XDG_STATE_HOME/tryst} or {@code ~/.local/state/tryst}. */
    public static Path defaultStateDir() {
        String xdg = System.getenv("XDG_STATE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "tryst");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "tryst");
    }

    public ServerConfig withPlainControl(boolean plain) {
        return new ServerConfig(bind, relayPort, controlPort, stunPort, stateDir, certPem, keyPem, plain, relayWaitTimeout,
                relayIdleTimeout, relayMaxPerAddress, relayBufferSize);
    }
}
