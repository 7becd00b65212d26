package dev.tryst.events;

/**
 * A client request carried a sequence number other than the last accepted one plus one. A replay
 * (at or below the last accepted) may be an attacker re-sending a captured request; a skip means
 * the client lost track. Either way the server answers with an error and disconnects; the message
 * says which, with the numbers.
 */
public class SequenceException extends Exception {

    private final boolean replayed;
    private final long expected;
    private final long received;

    public SequenceException(boolean replayed, long expected, long received) {
        super((replayed ? "replayed" : "skipped") + " sequence " + received + ": expected " + expected
                + " (last accepted " + (expected - 1) + ")");
        this.replayed = replayed;
        this.expected = expected;
        this.received = received;
    }

    /** True for a replay (received &lt; expected), false for a skip (received &gt; expected). */
    public boolean replayed() {
        return replayed;
    }

    public long expected() {
        return expected;
    }

    public long received() {
        return received;
    }
}
