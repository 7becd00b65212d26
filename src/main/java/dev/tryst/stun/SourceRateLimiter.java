package dev.tryst.stun;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets per source: an IPv4 address, or the /64 prefix of an IPv6 address (one host
 * usually owns a whole /64). At most {@code maxSources} buckets are kept; the least recently seen
 * is forgotten first (a forgotten source starts again with a full bucket). Not thread-safe: the
 * server's single I/O thread owns it.
 */
final class SourceRateLimiter {
    private record Key(boolean v6, long bits) {}

    private static final class Bucket {
        double tokens;
        long lastNanos;
    }

    private final double perNano;
    private final int burst;
    private final LinkedHashMap<Key, Bucket> buckets;

    SourceRateLimiter(double ratePerSecond, int burst, int maxSources) {
        this.perNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Bucket> eldest) {
                return size() > maxSources;
            }
        };
    }

    /** Takes a token for this source at time {@code nowNanos}; false if its bucket is empty. */
    boolean tryAcquire(InetAddress source, long nowNanos) {
        Key key = keyOf(source);
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

    int size() {
        return buckets.size();
    }

    private static Key keyOf(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return new Key(false, StunWire.i32(b, 0) & 0xFFFFFFFFL);
        }
        if (isV4Mapped(b)) {
            return new Key(false, StunWire.i32(b, 12) & 0xFFFFFFFFL);
        }
        return new Key(true, (long) StunWire.i32(b, 0) << 32 | (StunWire.i32(b, 4) & 0xFFFFFFFFL));
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }
}
