package dev.tryst.transfer;

import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * Our own input or output failed (a closed pipe, a full disk): not the peer's fault. The peer is
 * told why ({@link #peerMessage()}) without our local paths: which folders and files exist here is
 * nobody else's business.
 */
public final class LocalIoException extends IOException {
    private final String forPeer;

    public LocalIoException(String message, IOException cause) {
        this(message, message, cause);
    }

    /**
     * @param message for the local user (may name local paths)
     * @param forPeer the same without local paths (the peer's own relative names are fine)
     */
    public LocalIoException(String message, String forPeer, IOException cause) {
        super(message + ": " + cause.getMessage(), cause);
        this.forPeer = forPeer + ": " + reason(cause);
    }

    /** What the peer is told: no local path, from this message or from the cause's. */
    public String peerMessage() {
        return forPeer;
    }

    /** A file-system error's reason without the path it names (e.g. "No space left on device"). */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : f.getClass().getSimpleName().replace("Exception", "");
        }
        return e.getMessage();
    }
}
