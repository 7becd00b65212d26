package dev.tryst.wire;

/** Bytes that are not a well-formed STUN message (or attribute value); the message says what is wrong. */
public final class StunFormatException extends Exception {
    public StunFormatException(String message) {
        super(message);
    }
}
