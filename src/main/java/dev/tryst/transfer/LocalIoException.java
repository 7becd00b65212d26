package dev.tryst.transfer;

import java.io.IOException;

/** Our own input or output failed (a closed pipe, a full disk): not the peer's fault. */
public final class LocalIoException extends IOException {
    public LocalIoException(String message, IOException cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
