package dev.tryst.stun;

import dev.tryst.wire.StunWire;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Every knob of the STUN responder, validated on construction.
 *
 * <p>Defaults ({@link #defaults()}):
 * <ul>
 *   <li>{@code bind} 0.0.0.0:{@value StunWire#DEFAULT_PORT}</li>
 *   <li>{@code alternate} none. When set (RFC 5780), it names the second address and port
 *       (A2:P2); {@code bind} (A1:P1) and {@code alternate} must then be concrete addresses of the
 *       same family, with different IPs, and the server binds all four of A1:P1, A1:P2, A2:P1,
 *       A2:P2. A port of 0 picks an ephemeral port (tests).</li>
 *   <li>{@code software} "tryst": the SOFTWARE attribute; empty means none</li>
 *   <li>{@code ratePerSecond} 20 and {@code burst} 40: token bucket per source IPv4 address or IPv6 /64</li>
 *   <li>{@code maxSources} 10 000 buckets remembered; the least recently seen is forgotten first</li>
 *   <li>{@code responseSlack} 0: a response may be at most this many bytes larger than the
 *       datagram that asked for it. 0 means never larger (no amplification at all). Note that
 *       common clients (turnutils_stunclient: 20 bytes; RFC 3489 stun: 28 bytes) send requests
 *       smaller than any answer (at least 40 bytes), so with 0 they get none; tryst's own client
 *       pads its requests.</li>
 * </ul>
 */
public record StunConfig(InetSocketAddress bind, InetSocketAddress alternate, String software,
                         double ratePerSecond, int burst, int maxSources, int responseSlack) {

    public StunConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(software, "software");
        if (bind.isUnresolved()) {
            throw new IllegalArgumentException("bind address is unresolved: " + bind);
        }
        if (software.length() > StunWire.MAX_SOFTWARE_CHARS
                || software.getBytes(StandardCharsets.UTF_8).length > 763) {
            throw new IllegalArgumentException("software must be fewer than 128 characters");
        }
        if (!(ratePerSecond > 0 && ratePerSecond <= 1_000_000)) {
            throw new IllegalArgumentException("ratePerSecond must be in (0, 1e6], got " + ratePerSecond);
        }
        if (burst < 1 || burst > 1_000_000) {
            throw new IllegalArgumentException("burst must be in [1, 1000000], got " + burst);
        }
        if (maxSources < 1 || maxSources > 10_000_000) {
            throw new IllegalArgumentException("maxSources must be in [1, 10000000], got " + maxSources);
        }
        if (responseSlack < 0 || responseSlack > 65_535) {
            throw new IllegalArgumentException("responseSlack must be in [0, 65535], got " + responseSlack);
        }
        if (alternate != null) {
            if (alternate.isUnresolved()) {
                throw new IllegalArgumentException("alternate address is unresolved: " + alternate);
            }
            if (bind.getAddress().isAnyLocalAddress() || alternate.getAddress().isAnyLocalAddress()) {
                throw new IllegalArgumentException("with an alternate, bind and alternate must be concrete addresses");
            }
            if (bind.getAddress().getClass() != alternate.getAddress().getClass()) {
                throw new IllegalArgumentException("bind and alternate must be of the same address family");
            }
            if (bind.getAddress().equals(alternate.getAddress())) {
                throw new IllegalArgumentException("alternate must have a different IP address than bind");
            }
            if (bind.getPort() != 0 && bind.getPort() == alternate.getPort()) {
                throw new IllegalArgumentException("alternate must have a different port than bind");
            }
        }
    }

    /** The documented defaults, bound to 0.0.0.0:3478 without an alternate address. */
    public static StunConfig defaults() {
        return new StunConfig(new InetSocketAddress(StunWire.DEFAULT_PORT), null, "tryst", 20, 40, 10_000, 0);
    }

    public StunConfig withBind(InetSocketAddress b) {
        return new StunConfig(b, alternate, software, ratePerSecond, burst, maxSources, responseSlack);
    }

    /** The RFC 5780 second address and port, or null for none. */
    public StunConfig withAlternate(InetSocketAddress a) {
        return new StunConfig(bind, a, software, ratePerSecond, burst, maxSources, responseSlack);
    }

    public StunConfig withSoftware(String s) {
        return new StunConfig(bind, alternate, s, ratePerSecond, burst, maxSources, responseSlack);
    }

    public StunConfig withRate(double perSecond, int burstSize) {
        return new StunConfig(bind, alternate, software, perSecond, burstSize, maxSources, responseSlack);
    }

    public StunConfig withMaxSources(int n) {
        return new StunConfig(bind, alternate, software, ratePerSecond, burst, n, responseSlack);
    }

    public StunConfig withResponseSlack(int bytes) {
        return new StunConfig(bind, alternate, software, ratePerSecond, burst, maxSources, bytes);
    }
}
