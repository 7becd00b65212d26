package dev.tryst.cli;

/** The process exit codes; {@code tryst --help} lists them from here, README.md for readers. */
public enum ExitCode {
    OK(0, "success"),
    FAILURE(1, "an unexpected error (a bug: please report it with the message)"),
    USAGE(2, "the command line or the code was not understood"),
    WRONG_CODE(3, "the codes did not match; nothing was transferred and the code is used up"),
    UNREACHABLE(4, "the server (rendezvous or relay) could not be reached, or its certificate was not the pinned one"),
    PEER_GONE(5, "the other side went away or the connection broke"),
    TIMED_OUT(6, "nobody came, or the other side fell silent, within the time allowed, or nobody waits with that code"),
    DECLINED(7, "the other side declined or stopped the transfer"),
    VERIFICATION(8, "the data did not verify: discard any output of a stream (text is never printed unverified)"),
    LOCAL_IO(9, "our own input or output failed (closed pipe, full disk)"),
    CONFLICT(10, "a received file would replace a different existing one; nothing was overwritten"),
    NO_SPACE(11, "not enough free space for what was offered; nothing was received"),
    UNSAFE_OFFER(12, "the offer was refused as unsafe (names outside the target folder, impossible sizes)"),
    UNKNOWN_PEER(13, "no contact has that name (see 'tryst contacts'); nothing was sent"),
    PEER_UNAVAILABLE(14, "the peer did not answer: it is offline, not running 'tryst listen', or does not have you as a contact"),
    NOT_AUTHENTICATED(15, "whoever answered could not prove to be the peer named (or the server misbehaved); nothing was sent");

    final int code;
    final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }
}
