package dev.tryst.session;

import java.io.IOException;

/** Why a session could not be set up or was lost, in words for a person, with a kind for the exit code. */
public final class SessionException extends IOException {
    public enum Kind { RELAY_UNREACHABLE, WRONG_CODE, PEER_GONE, TIMED_OUT, PROTOCOL }

    private final Kind kind;

    public SessionException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
