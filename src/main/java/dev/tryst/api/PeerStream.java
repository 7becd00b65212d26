package dev.tryst.api;

import dev.tryst.connect.Pipes;
import dev.tryst.connect.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * One stream to a peer ({@link PeerSession#openPipe}, {@link PeerSession#openPort}): bytes each
 * way with flow control of their own. Its {@link #input()} ends at the peer's end of its output;
 * closing {@link #output()} ends ours. A refusal or a reset shows as an {@link IOException} with
 * the peer's reason.
 */
public final class PeerStream implements AutoCloseable {
    private final Stream stream;

    PeerStream(Stream stream) {
        this.stream = stream;
    }

    public InputStream input() {
        return stream.input();
    }

    public OutputStream output() {
        return stream.output();
    }

    /** Ends the stream both ways at once, telling the peer {@code reason}. */
    public void reset(String reason) {
        stream.reset(reason);
    }

    /**
     * Joins the stream to {@code in} and {@code out} until both directions end, passing each end
     * on ({@code outEnded} runs when the peer ended its side); returns the first failure or null.
     */
    public TrystException join(InputStream in, OutputStream out, Runnable outEnded) {
        return failure(Pipes.join(stream, in, out, outEnded::run));
    }

    /** Joins the stream to a TCP connection, both ways, then closes the connection; returns the first failure or null. */
    public TrystException join(Socket socket) {
        return failure(Pipes.join(stream, socket));
    }

    /** A reset by the peer is its refusal (DECLINED, with its reason); anything else a broken session. */
    private static TrystException failure(IOException e) {
        if (e == null) {
            return null;
        }
        return e instanceof Stream.ResetException r && r.byPeer()
                ? new TrystException(TrystException.Reason.DECLINED, e.getMessage(), e)
                : new TrystException(TrystException.Reason.PEER_GONE, e.getMessage(), e);
    }

    /** Ends our output and stops reading. */
    @Override
    public void close() {
        stream.close();
    }
}
