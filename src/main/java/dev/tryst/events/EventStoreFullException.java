package dev.tryst.events;

/**
 * An event was refused and nothing was stored: the payload is too large, or storing it would go
 * over a bound of {@link EventLimits}: the sender's share of the recipient's box, the box, what the
 * store keeps from one source, what it keeps at all. Checked, so that the code that accepts a
 * message from a sender must decide how to tell that sender, instead of the event being dropped
 * silently. The message is written for the sender: it says which bound, with its numbers.
 */
public class EventStoreFullException extends Exception {

    /** Which limit was hit. */
    public enum Reason {
        PAYLOAD_TOO_LARGE,
        /** The sending identity has its share of the recipient's box in events ({@link EventLimits#maxEvents()}). */
        TOO_MANY_EVENTS,
        /** The sending identity has its share of the recipient's box in bytes ({@link EventLimits#maxBytes()}). */
        TOO_MANY_BYTES,
        /** The sending source group has its share of the recipient's box, whatever identities it used. */
        SOURCE_SHARE,
        /** The recipient's box holds all its shares ({@link EventLimits#boxEvents()}, {@link EventLimits#boxBytes()}). */
        INBOX_FULL,
        /** The store holds as much from the sending source group as it keeps from one ({@link EventLimits#maxSourceBytes()}). */
        SOURCE_QUOTA,
        /** The store holds as much as it keeps ({@link EventLimits#maxStoreBytes()}). */
        STORE_FULL
    }

    private final Reason reason;

    public EventStoreFullException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
