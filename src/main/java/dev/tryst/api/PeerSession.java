package dev.tryst.api;

import dev.tryst.connect.Mux;
import dev.tryst.wire.PeerWire;
import java.io.IOException;

/**
 * A session with a listening peer ({@link Peers#connect}), mutually authenticated by identity
 * keys: any number of streams over it, to the peer's pipe or to the ports it exposes. If its path
 * dies it moves to the relay by itself and open streams go on, nothing lost
 * ({@link TransferEvent.FellBack}).
 */
public final class PeerSession implements AutoCloseable {
    private final Mux mux;

    PeerSession(Mux mux) {
        this.mux = mux;
    }

    /** The peer's name. */
    public String peer() {
        return mux.peer();
    }

    /** The path it travels now. */
    public PathInfo path() {
        return PathInfo.of(mux.path());
    }

    /** A stream joined to the peer's standard input and output (its `tryst listen --pipe`). */
    public PeerStream openPipe() throws TrystException {
        return open(PeerWire.SERVICE_PIPE, 0);
    }

    /** A stream to a TCP port the peer exposes (`tryst listen --expose PORT`). */
    public PeerStream openPort(int port) throws TrystException {
        if (port < 1 || port > 65535) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, port + " is not a port (1 to 65535)", null);
        }
        return open(PeerWire.SERVICE_PORT, port);
    }

    private PeerStream open(byte service, int port) throws TrystException {
        try {
            return new PeerStream(mux.open(service, port));
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.PEER_GONE, e.getMessage(), e);
        }
    }

    /** How often it moved to another path. */
    public int moves() {
        return mux.moves();
    }

    /** Waits until the session ends, by either side; returns why, or null for a clean end. */
    public IOException awaitEnd() throws InterruptedException {
        return mux.awaitEnd();
    }

    /** Ends the session: what was written is delivered first. */
    @Override
    public void close() {
        mux.close();
    }
}
