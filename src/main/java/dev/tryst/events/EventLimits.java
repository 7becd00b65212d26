package dev.tryst.events;

import java.time.Duration;
import java.util.Objects;

/**
 * How much the server keeps for identities while they are away, and for whom, validated on
 * construction.
 *
 * <p>Defaults ({@link #defaults()}):
 * <ul>
 *   <li>{@code maxPayload} 64 KiB: the largest payload one event may carry</li>
 *   <li>{@code maxEvents} 1000 and {@code maxBytes} 4 MiB: what one sender may have waiting (not yet
 *       acknowledged nor expired) in one recipient's box — one sending identity, and all senders
 *       from one source group together (an {@link Origin}'s two halves, each counted on its own)</li>
 *   <li>{@code lifetime} 7 days: an event older than this is deleted by {@link EventStore#expire()}
 *       even if never delivered</li>
 *   <li>{@code shares} 4: a recipient's box holds at most this many senders' worth
 *       ({@link #boxEvents()}, {@link #boxBytes()}: 4000 events, 16 MiB), so no one sender, nor one
 *       address, can take the whole box</li>
 *   <li>{@code maxSourceBytes} 64 MiB: what the whole store keeps from one source group</li>
 *   <li>{@code maxStoreBytes} 1 GiB: what the whole store keeps</li>
 *   <li>{@code identityKeep} 30 days: the counters of an identity with no events and no activity
 *       for this long (and at least the lifetime) are forgotten by {@link EventStore#prune()}</li>
 * </ul>
 * The two store-wide quotas count each event as its payload plus {@value #EVENT_OVERHEAD} bytes
 * (its row and index entries), so that many tiny events cannot fill the disk under a byte quota.
 */
public record EventLimits(int maxPayload, int maxEvents, long maxBytes, Duration lifetime,
                          int shares, long maxSourceBytes, long maxStoreBytes, Duration identityKeep) {

    public static final int DEFAULT_MAX_PAYLOAD = 64 * 1024;
    public static final int DEFAULT_MAX_EVENTS = 1000;
    public static final long DEFAULT_MAX_BYTES = 4L * 1024 * 1024;
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(7);
    public static final int DEFAULT_SHARES = 4;
    public static final long DEFAULT_MAX_SOURCE_BYTES = 64L * 1024 * 1024;
    public static final long DEFAULT_MAX_STORE_BYTES = 1024L * 1024 * 1024;
    public static final Duration DEFAULT_IDENTITY_KEEP = Duration.ofDays(30);

    /** Hard ceiling for {@code maxPayload}: SQLite's default blob limit is 1 GB; we stay far below. */
    public static final int MAX_PAYLOAD_CEILING = 16 * 1024 * 1024;

    /** Most shares a box may be cut into. */
    public static final int MAX_SHARES = 64;

    /** What an event costs on disk beyond its payload, as the store-wide quotas count it. */
    public static final int EVENT_OVERHEAD = 384;

    private static final Duration MAX_DURATION = Duration.ofDays(3650);

    public EventLimits {
        Objects.requireNonNull(lifetime, "lifetime");
        Objects.requireNonNull(identityKeep, "identityKeep");
        if (maxPayload < 0 || maxPayload > MAX_PAYLOAD_CEILING) {
            throw new IllegalArgumentException("maxPayload must be in [0, " + MAX_PAYLOAD_CEILING + "], got " + maxPayload);
        }
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be at least 1, got " + maxEvents);
        }
        if (maxBytes < maxPayload) {
            throw new IllegalArgumentException(
                    "maxBytes (" + maxBytes + ") must be at least maxPayload (" + maxPayload + ")");
        }
        checkDuration(lifetime, "lifetime");
        if (shares < 1 || shares > MAX_SHARES) {
            throw new IllegalArgumentException("shares must be in [1, " + MAX_SHARES + "], got " + shares);
        }
        if (maxSourceBytes < (long) maxPayload + EVENT_OVERHEAD) {
            throw new IllegalArgumentException("maxSourceBytes (" + maxSourceBytes + ") must hold one event of maxPayload ("
                    + maxPayload + ") and its overhead (" + EVENT_OVERHEAD + ")");
        }
        if (maxStoreBytes < maxSourceBytes) {
            throw new IllegalArgumentException(
                    "maxStoreBytes (" + maxStoreBytes + ") must be at least maxSourceBytes (" + maxSourceBytes + ")");
        }
        checkDuration(identityKeep, "identityKeep");
    }

    /** These four limits, and the defaults of the others. */
    public EventLimits(int maxPayload, int maxEvents, long maxBytes, Duration lifetime) {
        this(maxPayload, maxEvents, maxBytes, lifetime,
                DEFAULT_SHARES, DEFAULT_MAX_SOURCE_BYTES, DEFAULT_MAX_STORE_BYTES, DEFAULT_IDENTITY_KEEP);
    }

    private static void checkDuration(Duration d, String name) {
        if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(name + " must be in (0, 3650 days], got " + d);
        }
    }

    public static EventLimits defaults() {
        return new EventLimits(DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LIFETIME);
    }

    /** Events one recipient's box holds from all its senders together: {@code shares} times {@code maxEvents}. */
    public long boxEvents() {
        return (long) shares * maxEvents;
    }

    /** Bytes one recipient's box holds from all its senders together: {@code shares} times {@code maxBytes}. */
    public long boxBytes() {
        return maxBytes > Long.MAX_VALUE / shares ? Long.MAX_VALUE : maxBytes * shares;
    }

    public EventLimits withMaxPayload(int value) {
        return new EventLimits(value, maxEvents, maxBytes, lifetime, shares, maxSourceBytes, maxStoreBytes, identityKeep);
    }

    public EventLimits withMaxEvents(int value) {
        return new EventLimits(maxPayload, value, maxBytes, lifetime, shares, maxSourceBytes, maxStoreBytes, identityKeep);
    }

    public EventLimits withMaxBytes(long value) {
        return new EventLimits(maxPayload, maxEvents, value, lifetime, shares, maxSourceBytes, maxStoreBytes, identityKeep);
    }

    public EventLimits withLifetime(Duration value) {
        return new EventLimits(maxPayload, maxEvents, maxBytes, value, shares, maxSourceBytes, maxStoreBytes, identityKeep);
    }

    public EventLimits withShares(int value) {
        return new EventLimits(maxPayload, maxEvents, maxBytes, lifetime, value, maxSourceBytes, maxStoreBytes, identityKeep);
    }

    /** Both store-wide quotas at once, since the one for a source may not exceed the whole store's. */
    public EventLimits withQuotas(long source, long store) {
        return new EventLimits(maxPayload, maxEvents, maxBytes, lifetime, shares, source, store, identityKeep);
    }

    public EventLimits withIdentityKeep(Duration value) {
        return new EventLimits(maxPayload, maxEvents, maxBytes, lifetime, shares, maxSourceBytes, maxStoreBytes, value);
    }
}
