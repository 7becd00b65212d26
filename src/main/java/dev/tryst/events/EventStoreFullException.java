package dev.tryst.events;

/**
 * An event was refused and nothing was stored: the payload is too large, or the recipient already
 * has as many events or bytes waiting as {@link EventLimits} allows. Checked, so that the code that
 * accepts a message from a sender must decide how to tell that sender the recipient's box is full,
 * instead of the event being dropped silently.
 */
public class EventStoreFullException extends Exception {

    /** Which limit was hit. */
    public enum Reason { PAYLOAD_TOO_LARGE, TOO_MANY_EVENTS, TOO_MANY_BYTES }

    private final Reason reason;

    public EventStoreFullException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
