package dev.tryst.wire;

import java.io.IOException;

/** Bytes that break a wire format's rules (too short, a bad field, bytes left over): the peer's fault. */
public class WireException extends IOException {
    private static final long serialVersionUID = 1L;

    public WireException(String message) {
        super(message);
    }
}
