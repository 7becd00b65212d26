package dev.tryst.rendezvous;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * At most {@code max} events per key (a source group, an identity) within a sliding window on the
 * server's ticker: the handlers' rate limits. In memory, per server run; not thread-safe, so each
 * handler uses its own under its lock.
 */
final class RateWindow<K> {
    private final int max;
    private final long windowNanos;
    private final Map<K, ArrayDeque<Long>> times = new HashMap<>();

    RateWindow(int max, Duration window) {
        this.max = max;
        this.windowNanos = window.toNanos();
    }

    /**
     * Counts one event of {@code key} at {@code now}; false if that makes more than {@code max}
     * within the window. A refused event is remembered too, but never more than one past the
     * limit, which is enough to refuse the next and bounds the memory.
     */
    boolean count(K key, long now) {
        ArrayDeque<Long> q = times.computeIfAbsent(key, k -> new ArrayDeque<>());
        forgetOld(q, now);
        if (q.size() <= max) {
            q.addLast(now);
        }
        return q.size() <= max;
    }

    /** Forgets the events older than the window, and the keys left without any. */
    void sweep(long now) {
        times.values().removeIf(q -> {
            forgetOld(q, now);
            return q.isEmpty();
        });
    }

    private void forgetOld(ArrayDeque<Long> q, long now) {
        while (!q.isEmpty() && now - q.peekFirst() >= windowNanos) {
            q.pollFirst();
        }
    }
}
