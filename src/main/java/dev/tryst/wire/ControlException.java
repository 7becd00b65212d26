package dev.tryst.wire;

import java.io.IOException;

/**
 * The other end of a control connection broke the framing: a length out of bounds, a frame cut
 * short, a payload that does not parse exactly. It is the peer's fault and closes this control
 * connection and nothing else; the message carries the numbers that were wrong.
 */
public class ControlException extends IOException {
    public ControlException(String message) {
        super(message);
    }

    public ControlException(String message, Throwable cause) {
        super(message, cause);
    }
}
