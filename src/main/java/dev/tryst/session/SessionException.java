package dev.tryst.session;

import java.io.IOException;

/** Why a session could not be set up or was lost, in words for a person, with a kind for the exit code. */
public final class SessionException extends IOException {
    public enum Kind {
        RELAY_UNREACHABLE, WRONG_CODE, PEER_GONE, TIMED_OUT, PROTOCOL,
        /** An identity asked for did not answer: offline, not listening, or it does not take us. */
        PEER_UNAVAILABLE,
        /** Whoever answered could not prove to be the peer (a stranger with the meeting key, or a server that lied). */
        NOT_AUTHENTICATED
    }

    private final Kind kind;

    public SessionException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** The codes did not match: said the same whichever path found it. */
    public static SessionException wrongCode(dev.tryst.channel.Handshake.Role role, Throwable cause) {
        return new SessionException(Kind.WRONG_CODE, role == dev.tryst.channel.Handshake.Role.RESPONDER
                ? "the codes did not match — nothing was received; ask for a new code"
                : "the codes did not match — nothing was sent; this code is used up, run send again for a new one", cause);
    }

    /**
     * The codes did not match at a bare relay, where a failed proof cannot be told from someone else
     * who guessed or saw the code's public number and reached the relay first (they learn nothing,
     * but the code is used up all the same): said so.
     */
    public static SessionException wrongCodeAtRelay(dev.tryst.channel.Handshake.Role role, Throwable cause) {
        SessionException e = wrongCode(role, cause);
        return new SessionException(Kind.WRONG_CODE, e.getMessage() + " (meeting at a relay alone, this also happens"
                + " when someone else reached the relay first with the code's number; they learn nothing)", cause);
    }

    public Kind kind() {
        return kind;
    }
}
