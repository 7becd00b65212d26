package dev.tryst.api;

import java.io.IOException;
import java.util.Objects;

/**
 * Why something tryst was asked to do did not happen: a {@link Reason} a program can act on, a
 * message for a person that says what happened, and a {@link #remedy()} that says what to do next
 * in words that name no command-line flag (the command line adds its own advice for each reason).
 */
public final class TrystException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, for programs; the command line's exit codes follow these. */
    public enum Reason {
        /** What was asked cannot be done as given: a mistyped code, a missing file, a bad address. */
        INVALID_ARGUMENT,
        /** The server (rendezvous or relay) could not be reached, or its certificate was not the pinned one. */
        UNREACHABLE,
        /** The codes did not match: nothing was transferred, and the code is used up. */
        WRONG_CODE,
        /** The other side went away, or the connection broke. */
        PEER_GONE,
        /** Nobody came, or the other side fell silent, within the time allowed; or nobody waits with that code. */
        TIMED_OUT,
        /** The other side declined or stopped the transfer. */
        DECLINED,
        /** The data did not verify. */
        VERIFICATION_FAILED,
        /** Our own input or output failed (a closed pipe, a full disk). */
        LOCAL_IO,
        /** A received file would replace a different existing one. */
        CONFLICT,
        /** Not enough free space for what was offered. */
        NO_SPACE,
        /** The offer was refused as unsafe (names outside the target folder, impossible sizes). */
        UNSAFE_OFFER,
        /** The server understood and refused (a full inbox, a login refused). */
        REFUSED,
        /** The peer named is not a contact, nor a public key. */
        UNKNOWN_PEER,
        /** The identity asked for did not answer: it is offline, not listening, or does not have us as a contact. */
        PEER_UNAVAILABLE,
        /** Whoever answered could not prove to be the peer named: nothing was sent to it. */
        NOT_AUTHENTICATED,
    }

    private final Reason reason;
    private final String remedy;

    public TrystException(Reason reason, String message, String remedy, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.remedy = remedy == null ? "" : remedy;
    }

    public TrystException(Reason reason, String message, Throwable cause) {
        this(reason, message, "", cause);
    }

    public Reason reason() {
        return reason;
    }

    /** What to do about it, for a person, without command-line flags; empty when the message says it all. */
    public String remedy() {
        return remedy;
    }
}
