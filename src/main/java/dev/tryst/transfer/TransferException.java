package dev.tryst.transfer;

import java.io.IOException;

/** A transfer that ended without success for a reason the other side or the data gave. */
public final class TransferException extends IOException {
    public enum Reason { DECLINED, ABORTED_BY_PEER, VERIFICATION_FAILED, UNEXPECTED_MESSAGE }

    private final Reason reason;

    public TransferException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
