package dev.tryst.events;

import java.time.Duration;
import java.util.Objects;

/**
 * How much the server keeps for one identity while it is away, validated on construction.
 *
 * <p>Defaults ({@link #defaults()}):
 * <ul>
 *   <li>{@code maxPayload} 64 KiB: the largest payload one event may carry</li>
 *   <li>{@code maxEvents} 1000: events stored (not yet acknowledged nor expired) per identity</li>
 *   <li>{@code maxBytes} 4 MiB: sum of the stored payloads per identity</li>
 *   <li>{@code lifetime} 7 days: an event older than this is deleted by {@link EventStore#expire()}
 *       even if never delivered</li>
 * </ul>
 */
public record EventLimits(int maxPayload, int maxEvents, long maxBytes, Duration lifetime) {

    public static final int DEFAULT_MAX_PAYLOAD = 64 * 1024;
    public static final int DEFAULT_MAX_EVENTS = 1000;
    public static final long DEFAULT_MAX_BYTES = 4L * 1024 * 1024;
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(7);

    /** Hard ceiling for {@code maxPayload}: SQLite's default blob limit is 1 GB; we stay far below. */
    public static final int MAX_PAYLOAD_CEILING = 16 * 1024 * 1024;

    public EventLimits {
        Objects.requireNonNull(lifetime, "lifetime");
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
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(Duration.ofDays(3650)) > 0) {
            throw new IllegalArgumentException("lifetime must be in (0, 3650 days], got " + lifetime);
        }
    }

    public static EventLimits defaults() {
        return new EventLimits(DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LIFETIME);
    }

    public EventLimits withMaxPayload(int value) {
        return new EventLimits(value, maxEvents, maxBytes, lifetime);
    }

    public EventLimits withMaxEvents(int value) {
        return new EventLimits(maxPayload, value, maxBytes, lifetime);
    }

    public EventLimits withMaxBytes(long value) {
        return new EventLimits(maxPayload, maxEvents, value, lifetime);
    }

    public EventLimits withLifetime(Duration value) {
        return new EventLimits(maxPayload, maxEvents, maxBytes, value);
    }
}
