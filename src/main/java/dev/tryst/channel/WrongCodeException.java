package dev.tryst.channel;

/** Key confirmation failed: the two sides did not type the same code (or someone guessed, once, and lost). */
public final class WrongCodeException extends ChannelException {
    public WrongCodeException() {
        super("the codes did not match");
    }

    /** A proof that failed for another reason than a code: {@code message} says whose key did not match. */
    public WrongCodeException(String message) {
        super(message);
    }
}
