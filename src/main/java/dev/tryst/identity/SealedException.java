package dev.tryst.identity;

/** A sealed message that cannot be opened: not for this identity, damaged, forged, or too large. */
public final class SealedException extends Exception {
    public SealedException(String message) {
        super(message);
    }
}
