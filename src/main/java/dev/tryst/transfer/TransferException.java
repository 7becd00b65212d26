package dev.tryst.transfer;

import java.io.IOException;

/** A transfer that ended without success for a reason the other side or the data gave. */
public final class TransferException extends IOException {
    public enum Reason {
        /** The other side said no. */
        DECLINED,
        /** The other side stopped, and said why. */
        ABORTED_BY_PEER,
        /** A count or a hash did not match. */
        VERIFICATION_FAILED,
        /** A message came where another belongs. */
        UNEXPECTED_MESSAGE,
        /** A received file would replace an existing, different one, and that was not allowed. */
        CONFLICT,
        /** Not enough free space for what was offered. */
        NO_SPACE,
        /** The offer itself was unsafe or impossible: names outside the target, sizes that do not add up. */
        UNSAFE_OFFER
    }

    private final Reason reason;

    public TransferException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
