package dev.tryst.relay;

import dev.tryst.wire.RelayWire;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Every bound the relay enforces, validated on construction.
 *
 * <p>Defaults ({@link #defaults()}):
 * <ul>
 *   <li>{@code bind} 0.0.0.0:{@value RelayWire#DEFAULT_PORT} (the wildcard address; dual-stack where available)</li>
 *   <li>{@code handshakeTimeout} 10 s: time allowed to deliver the 33-byte pairing key</li>
 *   <li>{@code waitTimeout} 600 s: how long a key may wait alone for its peer</li>
 *   <li>{@code idleTimeout} 300 s: a stapled pair with no byte in either direction for this long is closed</li>
 *   <li>{@code maxWaiting} 50 000 keys waiting for a peer</li>
 *   <li>{@code maxPairs} 20 000 stapled pairs (with 256 KiB buffers: at most 10 GiB of native memory)</li>
 *   <li>{@code maxConnections} 110 000 concurrent connections (all states)</li>
 *   <li>{@code maxPerAddress} 256 concurrent connections per source IP address (IPv6: per /64)</li>
 *   <li>{@code maxPerSite} 1024 concurrent connections per IPv6 /48 (a site: 65 536 /64s must not
 *       count as 65 536 sources); at least {@code maxPerAddress}</li>
 *   <li>{@code acceptRate} 5 000 new connections a second in all, in bursts of twice that</li>
 *   <li>{@code bufferSize} 256 KiB direct buffer per direction of a stapled pair (so a pair costs
 *       2 x bufferSize of native memory, freed when the pair ends). bench/relay.sh here: 256 KiB
 *       moved 1 GiB at 1.12x socat -b262144 and 0.46 CPU s; 64 KiB at 0.66x and 0.70 CPU s.</li>
 * </ul>
 */
public record RelayConfig(InetSocketAddress bind, Duration handshakeTimeout, Duration waitTimeout, Duration idleTimeout,
                          int maxWaiting, int maxPairs, int maxConnections, int maxPerAddress, int maxPerSite,
                          int acceptRate, int bufferSize) {

    /** Smallest accepted buffer size. */
    public static final int MIN_BUFFER_SIZE = 1024;
    /** Largest accepted buffer size. */
    public static final int MAX_BUFFER_SIZE = 64 << 20;

    public RelayConfig {
        Objects.requireNonNull(bind, "bind");
        positive(handshakeTimeout, "handshakeTimeout");
        positive(waitTimeout, "waitTimeout");
        positive(idleTimeout, "idleTimeout");
        atLeastOne(maxWaiting, "maxWaiting");
        atLeastOne(maxPairs, "maxPairs");
        atLeastOne(maxConnections, "maxConnections");
        atLeastOne(maxPerAddress, "maxPerAddress");
        if (maxPerSite < maxPerAddress) {
            throw new IllegalArgumentException("maxPerSite (" + maxPerSite + ") must be at least maxPerAddress (" + maxPerAddress + ")");
        }
        atLeastOne(acceptRate, "acceptRate");
        if (bufferSize < MIN_BUFFER_SIZE || bufferSize > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("bufferSize must be in [" + MIN_BUFFER_SIZE + ", " + MAX_BUFFER_SIZE
                    + "], got " + bufferSize);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        if (d.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException(name + " must be at most 365 days, got " + d);
        }
    }

    private static void atLeastOne(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + v);
        }
    }

    /** The documented defaults, bound to 0.0.0.0:8080. */
    public static RelayConfig defaults() {
        return new RelayConfig(new InetSocketAddress(RelayWire.DEFAULT_PORT),
                Duration.ofSeconds(10), Duration.ofSeconds(600), Duration.ofSeconds(300),
                50_000, 20_000, 110_000, 256, 1024, 5_000, 256 * 1024);
    }

    public RelayConfig withBind(InetSocketAddress b) {
        return new RelayConfig(b, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, maxPairs, maxConnections, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withHandshakeTimeout(Duration d) {
        return new RelayConfig(bind, d, waitTimeout, idleTimeout, maxWaiting, maxPairs, maxConnections, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withWaitTimeout(Duration d) {
        return new RelayConfig(bind, handshakeTimeout, d, idleTimeout, maxWaiting, maxPairs, maxConnections, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withIdleTimeout(Duration d) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, d, maxWaiting, maxPairs, maxConnections, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withMaxWaiting(int n) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, n, maxPairs, maxConnections, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withMaxPairs(int n) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, n, maxConnections, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withMaxConnections(int n) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, maxPairs, n, maxPerAddress, maxPerSite, acceptRate, bufferSize);
    }

    public RelayConfig withMaxPerAddress(int n) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, maxPairs, maxConnections, n, Math.max(maxPerSite, 4 * n), acceptRate, bufferSize);
    }

    public RelayConfig withMaxPerSite(int n) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, maxPairs, maxConnections, maxPerAddress, n, acceptRate, bufferSize);
    }

    public RelayConfig withAcceptRate(int perSecond) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, maxPairs, maxConnections, maxPerAddress, maxPerSite, perSecond, bufferSize);
    }

    /**
     * The admission bounds of these limits: connections in all, per source and per site, and the
     * rates of new ones (see {@link dev.tryst.server.Admission.Limits#of}).
     */
    public dev.tryst.server.Admission.Limits admission() {
        return dev.tryst.server.Admission.Limits.of(maxConnections, maxPerAddress, maxPerSite, acceptRate);
    }

    public RelayConfig withBufferSize(int n) {
        return new RelayConfig(bind, handshakeTimeout, waitTimeout, idleTimeout, maxWaiting, maxPairs, maxConnections, maxPerAddress, maxPerSite, acceptRate, n);
    }
}
