package dev.tryst.server;

import dev.tryst.net.AddressGroup;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets per source, as {@link AddressGroup} counts sources (IPv4 address, IPv6 /64). At most {@code maxSources} buckets are kept; the least recently seen
 * is forgotten first (a forgotten source starts again with a full bucket). Not thread-safe: one
 * thread owns it, or its owner's lock guards it (STUN's I/O thread; {@link Admission}'s lock).
 */
public final class SourceRateLimiter {
    private static final class Bucket {
        double tokens;
        long lastNanos;
    }

    private final double perNano;
    private final int burst;
    private final LinkedHashMap<InetAddress, Bucket> buckets;

    public SourceRateLimiter(double ratePerSecond, int burst, int maxSources) {
        this.perNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Bucket> eldest) {
                return size() > maxSources;
            }
        };
    }

    /** Takes a token for this source at time {@code nowNanos}; false if its bucket is empty. */
    public boolean tryAcquire(InetAddress source, long nowNanos) {
        InetAddress key = AddressGroup.of(source);
        Bucket b = buckets.get(key);
        if (b == null) {
            b = new Bucket();
            b.tokens = burst;
            b.lastNanos = nowNanos;
            buckets.put(key, b);
        } else {
            long elapsed = Math.max(0, nowNanos - b.lastNanos);
            b.tokens = Math.min(burst, b.tokens + elapsed * perNano);
            b.lastNanos = nowNanos;
        }
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return true;
        }
        return false;
    }

    public int size() {
        return buckets.size();
    }
}
