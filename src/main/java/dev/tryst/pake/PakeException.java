package dev.tryst.pake;

import java.io.Serial;
import java.security.GeneralSecurityException;

/**
 * The peer's PAKE message was unacceptable (wrong length, wrong side, not a valid
 * group element, a low-order/identity point, or a reflection of our own message).
 * The message never contains secret material.
 */
public final class PakeException extends GeneralSecurityException {
    @Serial
    private static final long serialVersionUID = 1L;

    public PakeException(String message) {
        super(message);
    }

    public PakeException(String message, Throwable cause) {
        super(message, cause);
    }
}
