package dev.tryst.server;

import dev.tryst.net.AddressGroup;
import dev.tryst.net.Ticker;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * How many connections a service holds, in all and per source, and how fast it takes new ones.
 * {@link #admit} takes a place or says which bound refused it; every admitted connection gives its
 * place back with {@link #release} exactly once. The bounds:
 * <ul>
 *   <li>in all: {@code maxTotal} at once;</li>
 *   <li>per source, as {@link AddressGroup#of} counts one (an IPv4 address, an IPv6 /64):
 *       {@code maxPerSource} at once;</li>
 *   <li>per site, as {@link AddressGroup#wide} counts one (an IPv6 /48): {@code maxPerWideSource}
 *       at once, so that one /48 cannot act as 65 536 sources and reach the global bound alone;</li>
 *   <li>new connections per source: {@code perSourceRate} a second in bursts of {@code perSourceBurst}
 *       (by default a quarter of what it may hold, and twice that at once), checked first, so that one
 *       source cannot spend everyone's share of the rate below;</li>
 *   <li>new connections in all: {@code ratePerSecond}, in bursts of up to {@code burst}, measured on
 *       the {@link Ticker}, so that many sources together cannot fill the server in an instant.</li>
 * </ul>
 * Thread-safe; a few map operations per connection, never I/O, under its own lock.
 */
public final class Admission {
    /** Why a connection was not admitted. */
    public enum Refusal { TOTAL, SOURCE, WIDE_SOURCE, SOURCE_RATE, RATE }

    /** Sources whose rate is remembered at once; the least recently seen is forgotten first. */
    static final int MAX_RATED_SOURCES = 100_000;

    /** The bounds, validated. */
    public record Limits(int maxTotal, int maxPerSource, int maxPerWideSource, double perSourceRate, int perSourceBurst,
                         double ratePerSecond, int burst) {
        /**
         * The bounds with the rates of one source derived from what it may hold: it may open twice
         * its share at once, then a quarter of it a second; {@code ratePerSecond} in all, in bursts of twice that.
         */
        public static Limits of(int maxTotal, int maxPerSource, int maxPerWideSource, int ratePerSecond) {
            return new Limits(maxTotal, maxPerSource, maxPerWideSource, Math.max(1, maxPerSource / 4.0), 2 * maxPerSource,
                    ratePerSecond, 2 * ratePerSecond);
        }

        public Limits {
            if (!(perSourceRate > 0) || perSourceBurst < 1) {
                throw new IllegalArgumentException("a source's rate must be positive and its burst at least 1: "
                        + perSourceRate + ", " + perSourceBurst);
            }
            if (maxTotal < 1 || maxPerSource < 1 || maxPerWideSource < maxPerSource) {
                throw new IllegalArgumentException("limits must be at least 1, and a site's at least a source's: "
                        + maxTotal + ", " + maxPerSource + ", " + maxPerWideSource);
            }
            if (!(ratePerSecond > 0) || burst < 1) {
                throw new IllegalArgumentException("the rate must be positive and the burst at least 1: " + ratePerSecond + ", " + burst);
            }
        }
    }

    private final Limits limits;
    private final Ticker ticker;
    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    private final Map<InetAddress, Integer> perWide = new HashMap<>();
    private final SourceRateLimiter sourceRates;
    private int total;
    private double tokens;
    private long refilled;

    public Admission(Limits limits, Ticker ticker) {
        this.limits = limits;
        this.ticker = ticker;
        this.tokens = limits.burst();
        this.sourceRates = new SourceRateLimiter(limits.perSourceRate(), limits.perSourceBurst(), MAX_RATED_SOURCES);
        this.refilled = ticker.nanoTime();
    }

    /** Takes a place for a connection from {@code source}: null if admitted, else the bound that refused it. */
    public synchronized Refusal admit(InetAddress source) {
        long now = ticker.nanoTime();
        if (!sourceRates.tryAcquire(source, now)) {
            return Refusal.SOURCE_RATE;
        }
        tokens = Math.min(limits.burst(), tokens + (now - refilled) * limits.ratePerSecond() / 1e9);
        refilled = now;
        if (tokens < 1) {
            return Refusal.RATE;
        }
        if (total >= limits.maxTotal()) {
            return Refusal.TOTAL;
        }
        InetAddress group = AddressGroup.of(source);
        InetAddress wide = AddressGroup.wide(source);
        if (perSource.getOrDefault(group, 0) >= limits.maxPerSource()) {
            return Refusal.SOURCE;
        }
        if (perWide.getOrDefault(wide, 0) >= limits.maxPerWideSource()) {
            return Refusal.WIDE_SOURCE;
        }
        tokens -= 1;
        perSource.merge(group, 1, Integer::sum);
        perWide.merge(wide, 1, Integer::sum);
        total++;
        return null;
    }

    /** Gives back the place of an admitted connection from {@code source}. */
    public synchronized void release(InetAddress source) {
        InetAddress group = AddressGroup.of(source);
        if (!perSource.containsKey(group)) {
            throw new IllegalStateException("release without admit for " + group);
        }
        perSource.computeIfPresent(group, (k, v) -> v <= 1 ? null : v - 1);
        perWide.computeIfPresent(AddressGroup.wide(source), (k, v) -> v <= 1 ? null : v - 1);
        total--;
    }

    /** Connections admitted and not yet released. */
    public synchronized int active() {
        return total;
    }
}
