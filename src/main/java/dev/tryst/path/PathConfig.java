package dev.tryst.path;

import java.time.Duration;
import java.util.Objects;

/**
 * Every time bound of the race of paths, validated on construction.
 *
 * <p>Defaults ({@link #defaults()}):
 * <ul>
 *   <li>{@code relayDelay} 0: the head start of direct attempts before the relay is dialled too; none,
 *       so the relay never makes anyone wait: a session that starts there moves to a direct path
 *       proven later ({@link PathRace})</li>
 *   <li>{@code directFor} 6 s: how long direct attempts are made (6 s after the relay started)</li>
 *   <li>{@code retry} 200 ms: a new direct connection attempt to each endpoint this often</li>
 *   <li>{@code pathTimeout} 10 s: one path, from its connection to its proof</li>
 *   <li>{@code directIdle} 12 s: the idle timeout of a direct session (keepalives every 2 s), so a
 *       path that died is noticed within seconds and the relay can take over</li>
 *   <li>{@code fallbackWait} 36 s: how long the first side to fall back waits at the relay for the
 *       other; the two may notice a dead direct path up to {@code directIdle} apart</li>
 * </ul>
 */
public record PathConfig(Duration relayDelay, Duration directFor, Duration retry, Duration pathTimeout,
                         Duration directIdle, Duration fallbackWait) {
    public PathConfig {
        notNegative(relayDelay, "relayDelay");
        notNegative(directFor, "directFor");
        positive(retry, "retry");
        positive(pathTimeout, "pathTimeout");
        positive(directIdle, "directIdle");
        positive(fallbackWait, "fallbackWait");
    }

    public static PathConfig defaults() {
        return new PathConfig(Duration.ZERO, Duration.ofSeconds(6), Duration.ofMillis(200), Duration.ofSeconds(10),
                Duration.ofSeconds(12), Duration.ofSeconds(36));
    }

    /** How long the first side to fall back waits at the relay for the other. */
    public PathConfig withFallbackWait(Duration d) {
        positive(d, "fallbackWait");
        return new PathConfig(relayDelay, directFor, retry, pathTimeout, directIdle, d);
    }

    /** A head start of {@code d} for direct attempts, which then go on 6 s after the relay started. */
    public PathConfig withRelayDelay(Duration d) {
        notNegative(d, "relayDelay");
        return new PathConfig(d, d.plusSeconds(6), retry, pathTimeout, directIdle, fallbackWait);
    }

    public PathConfig withPathTimeout(Duration d) {
        return new PathConfig(relayDelay, directFor, retry, d, directIdle, fallbackWait);
    }

    /** How long plain UDP probing goes on before the birthday spray (BASELINES: cone ↔ symmetric). */
    public Duration sprayAfter() {
        return Duration.ofSeconds(1);
    }

    /** Sockets opened, and random ports probed, by each round of the spray. */
    public int sprayPorts() {
        return SPRAY_PORTS;
    }

    /** 512 ports a side joined cone ↔ symmetric every time in BASELINES (256: 4 times in 5). */
    public static final int SPRAY_PORTS = 512;

    private static void notNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException(name + " must be 0 to 1 day, got " + d);
        }
    }

    private static void positive(Duration d, String name) {
        notNegative(d, name);
        if (d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
