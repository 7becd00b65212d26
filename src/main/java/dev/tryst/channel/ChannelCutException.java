package dev.tryst.channel;

/** The byte stream ended (or broke) before the peer's authenticated end record: a cut, not a clean end. */
public final class ChannelCutException extends ChannelException {
    public ChannelCutException(String message) {
        super(message);
    }

    public ChannelCutException(String message, Throwable cause) {
        super(message, cause);
    }
}
