package dev.tryst.rendezvous;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How many messages a sender may leave for others: a token bucket per sender (burst
 * {@value #BURST}, then {@value #PER_HOUR} an hour). The rendezvous server keeps two budgets with
 * these numbers: one whose senders are identities, and one whose senders are source groups (IPv4
 * address, IPv6 /64), since a new identity costs nothing: one address may send what one identity
 * may. Together with the bounds of the event store this bounds what one sender can make the server
 * keep, and how often it makes the server write. In memory: a restart refills every bucket. At most
 * {@value #MAX_SENDERS} senders are remembered per budget; past that, full buckets (which hold no
 * information) are forgotten.
 */
final class SendBudget {
    static final int BURST = 2000;
    static final int PER_HOUR = 1000;
    static final int MAX_SENDERS = 100_000;

    private static final long NANOS_PER_TOKEN = TimeUnit.HOURS.toNanos(1) / PER_HOUR;

    private final LongSupplier clock;
    private final Map<Object, long[]> buckets = new HashMap<>(); // {tokens, last refill}

    SendBudget() {
        this(System::nanoTime);
    }

    SendBudget(LongSupplier clock) {
        this.clock = clock;
    }

    /** Takes one message from {@code sender}'s budget (an identity, a source group); false if it is spent. */
    synchronized boolean take(Object sender) {
        long now = clock.getAsLong();
        long[] b = buckets.get(sender);
        if (b == null) {
            if (buckets.size() >= MAX_SENDERS) {
                buckets.values().removeIf(x -> refill(x, now) >= BURST);
            }
            b = new long[] {BURST, now};
            buckets.put(sender, b);
        }
        if (refill(b, now) < 1) {
            return false;
        }
        b[0]--;
        return true;
    }

    private static long refill(long[] b, long now) {
        long earned = (now - b[1]) / NANOS_PER_TOKEN;
        if (earned > 0) {
            b[0] = Math.min(BURST, b[0] + earned);
            b[1] += earned * NANOS_PER_TOKEN;
        }
        if (b[0] >= BURST) {
            b[1] = now;
        }
        return b[0];
    }
}
