package dev.tryst.events;

import dev.tryst.wire.Bytes;
import java.util.Objects;

/**
 * One event kept for an identity: {@code order} increases strictly per identity (never reused,
 * even after the earlier ones were acknowledged or expired), {@code timestampMillis} is when the
 * server accepted it (milliseconds since the epoch, from the store's clock).
 */
public record Event(Bytes identity, long order, long timestampMillis, byte type, Bytes payload) {
    public Event {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(payload, "payload");
        if (order < 1) {
            throw new IllegalArgumentException("order must be at least 1, got " + order);
        }
    }
}
