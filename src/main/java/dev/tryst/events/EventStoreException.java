package dev.tryst.events;

/**
 * The event database failed (I/O error, corrupt file, a schema this code does not know). Not the
 * client's fault: the server cannot keep its promises about events and should say so loudly.
 */
public class EventStoreException extends RuntimeException {
    public EventStoreException(String message) {
        super(message);
    }

    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
