package dev.tryst.api;

import dev.tryst.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how a {@link Tryst} client meets its peers, validated on construction.
 *
 * @param server            the tryst server, {@code HOST[:PORT][#FINGERPRINT]} (control port 2311 by
 *                          default; the fingerprint pins its certificate), or null: localhost, and if
 *                          nothing answers there, the relay on localhost alone
 * @param plainControl      talk to the control port without TLS (only for a server run that way)
 * @param knownServers      where certificates are remembered on first use (trust on first use)
 * @param relay             {@code HOST[:PORT]}: with a server, the relay to use instead of the one it
 *                          announces; without one, meet at this relay alone; null for neither
 * @param direct            try direct connections (else always the relay)
 * @param relayDelay        the head start of direct connections before the relay is tried too (default none:
 *                          the session starts on whichever path proves itself first and moves to a direct
 *                          path proven later)
 * @param waitForPeer       how long to wait for the other side; null: 10 min for a sender, 2 min for a receiver
 * @param words             secret words in a generated code (2 to 8)
 */
public record TrystOptions(String server, boolean plainControl, Path knownServers, String relay, boolean direct,
                           Duration relayDelay, Duration waitForPeer, int words) {
    public static final int DEFAULT_WORDS = dev.tryst.code.Code.DEFAULT_WORDS;

    public TrystOptions {
        Objects.requireNonNull(knownServers, "knownServers");
        Objects.requireNonNull(relayDelay, "relayDelay");
        if (relayDelay.isNegative()) {
            throw new IllegalArgumentException("relayDelay must not be negative");
        }
        if (waitForPeer != null && (waitForPeer.isNegative() || waitForPeer.isZero())) {
            throw new IllegalArgumentException("waitForPeer must be positive");
        }
        if (words < dev.tryst.code.Code.MIN_WORDS || words > dev.tryst.code.Code.MAX_WORDS) {
            throw new IllegalArgumentException("a code has " + dev.tryst.code.Code.MIN_WORDS + " to "
                    + dev.tryst.code.Code.MAX_WORDS + " words, not " + words);
        }
    }

    /** localhost, TLS with trust on first use in {@code ~/.config/tryst/known_servers}, direct paths with the relay at once, 3 words. */
    public static TrystOptions defaults() {
        return new TrystOptions(null, false, Identity.configDir().resolve("known_servers"), null, true,
                Duration.ZERO, null, DEFAULT_WORDS);
    }

    /** Meet through this server: {@code HOST[:PORT][#FINGERPRINT]}. */
    public TrystOptions withServer(String s) {
        return new TrystOptions(s, plainControl, knownServers, relay, direct, relayDelay, waitForPeer, words);
    }

    public TrystOptions withPlainControl(boolean plain) {
        return new TrystOptions(server, plain, knownServers, relay, direct, relayDelay, waitForPeer, words);
    }

    public TrystOptions withKnownServers(Path file) {
        return new TrystOptions(server, plainControl, file, relay, direct, relayDelay, waitForPeer, words);
    }

    public TrystOptions withRelay(String r) {
        return new TrystOptions(server, plainControl, knownServers, r, direct, relayDelay, waitForPeer, words);
    }

    public TrystOptions withDirect(boolean d) {
        return new TrystOptions(server, plainControl, knownServers, relay, d, relayDelay, waitForPeer, words);
    }

    public TrystOptions withRelayDelay(Duration d) {
        return new TrystOptions(server, plainControl, knownServers, relay, direct, d, waitForPeer, words);
    }

    public TrystOptions withWaitForPeer(Duration d) {
        return new TrystOptions(server, plainControl, knownServers, relay, direct, relayDelay, d, words);
    }

    public TrystOptions withWords(int n) {
        return new TrystOptions(server, plainControl, knownServers, relay, direct, relayDelay, waitForPeer, n);
    }
}
