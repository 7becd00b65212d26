package dev.tryst.code;

/** A code phrase that cannot be right as typed; the message says what to fix. */
public final class CodeFormatException extends Exception {
    public CodeFormatException(String message) {
        super(message);
    }
}
