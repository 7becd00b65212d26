package dev.tryst.channel;

import java.io.IOException;

/**
 * The peer (or something between us and the peer) broke the channel: a record failed
 * authentication, had an impossible header, or the stream was cut before the end record.
 * It closes this channel and nothing else.
 */
public class ChannelException extends IOException {
    public ChannelException(String message) {
        super(message);
    }

    public ChannelException(String message, Throwable cause) {
        super(message, cause);
    }
}
