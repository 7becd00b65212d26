package dev.tryst.connect;

import dev.tryst.wire.PeerWire;
import dev.tryst.wire.WireException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One stream of a {@link Mux}: a byte stream each way, with its own window, so that a reader that
 * stops reading stops only this stream. Its {@link #input()} ends (-1) at the peer's FIN; its
 * {@link #output()}'s {@code close()} sends ours; a RESET from either side fails both, with the
 * reason. Thread-safe: one thread may read while another writes.
 *
 * <p>Locks: the mux's reader calls in here holding the mux's lock; an application thread never
 * holds this stream's lock while it hands a frame to the mux.
 */
public final class Stream implements Closeable {
    private final Mux mux;
    final int id;
    private final byte service;
    private final int port;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // receive (guarded by lock)
    /**
     * What arrived and is not read yet, in chunks of {@link #CHUNK} bytes filled one after the
     * other, so that many tiny DATA frames cost what their bytes cost, not an array each.
     */
    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    static final int CHUNK = 64 * 1024;
    private long buffered;
    private long receivedTotal;
    private long granted = PeerWire.INITIAL_WINDOW;
    private long consumedSinceGrant;
    private boolean peerFin;
    private boolean inputClosed;

    // send
    private long credit = PeerWire.INITIAL_WINDOW;
    private boolean finSent;

    // the end
    private String reset;
    private boolean resetByPeer;
    private boolean sessionEnded;
    private IOException sessionWhy;
    private boolean done;
    private final boolean holdsPlace;
    private boolean serving;
    private boolean released;

    private final InputStream in = new In();

    /** The stream was reset: by the peer (its reason in the message), or here. */
    public static final class ResetException extends IOException {
        private static final long serialVersionUID = 1L;
        private final boolean byPeer;

        ResetException(String message, boolean byPeer) {
            super(message);
            this.byPeer = byPeer;
        }

        public boolean byPeer() {
            return byPeer;
        }
    }
    private final OutputStream out = new Out();

    private static final class Chunk {
        final byte[] bytes = new byte[CHUNK];
        int start;
        int end;
    }

    /** How the stream counts against the session's {@link Mux#MAX_STREAMS}. */
    enum Place {
        /** Refused at once: it never held a place. */
        NONE,
        /** Opened here: its place is free once it is done. */
        OPENED,
        /** Opened by the peer and handed to an acceptor: free once it is done and the acceptor returned. */
        SERVED
    }

    Stream(Mux mux, int id, byte service, int port, Place place) {
        this.mux = mux;
        this.id = id;
        this.service = service;
        this.port = port;
        this.holdsPlace = place != Place.NONE;
        this.serving = place == Place.SERVED;
    }

    public int id() {
        return id;
    }

    /** Bytes not read yet: for tests. */
    long bufferedBytes() {
        lock.lock();
        try {
            return buffered;
        } finally {
            lock.unlock();
        }
    }

    /** Buffers holding what is not read yet: for tests. */
    int chunks() {
        lock.lock();
        try {
            return chunks.size();
        } finally {
            lock.unlock();
        }
    }

    /** The peer at the other end, by name. */
    public String peer() {
        return mux.peer();
    }

    /** What the stream was opened for: {@link PeerWire#SERVICE_PIPE} or {@link PeerWire#SERVICE_PORT}. */
    public byte service() {
        return service;
    }

    /** The port asked for (service port), else 0. */
    public int port() {
        return port;
    }

    public InputStream input() {
        return in;
    }

    public OutputStream output() {
        return out;
    }

    /** Ends the stream at once, both ways, telling the peer why. */
    public void reset(String reason) {
        String r = reason.length() > 256 ? reason.substring(0, 256) : reason;
        lock.lock();
        try {
            if (reset != null || done || sessionEnded) {
                return;
            }
            reset = "reset here: " + r;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            mux.enqueue(PeerWire.encode(new PeerWire.Reset(id, r)), false);
        } catch (IOException ignored) {
            // the session is over: so is the stream
        }
        finish();
    }

    /** Sends FIN (once) and stops reading: what still comes is dropped, and granted again so the peer is never stuck. */
    @Override
    public void close() {
        closeOutput();
        try {
            in.close();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private void closeOutput() {
        lock.lock();
        try {
            if (finSent || reset != null || sessionEnded) {
                return;
            }
            finSent = true;
        } finally {
            lock.unlock();
        }
        try {
            mux.enqueue(PeerWire.encode(new PeerWire.Fin(id)), false);
        } catch (IOException ignored) {
            // the session ended: the stream too
        }
        finish();
    }

    private void grant(long n) {
        while (n > 0) {
            int inc = (int) Math.min(n, PeerWire.MAX_INCREMENT);
            try {
                mux.enqueue(PeerWire.encode(new PeerWire.Window(id, inc)), false);
            } catch (IOException e) {
                return; // the session ended
            }
            n -= inc;
        }
    }

    /** Done both ways, or reset: the mux forgets it (what is buffered can still be read). */
    private void finish() {
        lock.lock();
        try {
            if (done || !((finSent && peerFin) || reset != null)) {
                return;
            }
            done = true;
        } finally {
            lock.unlock();
        }
        mux.done(this);
        releaseIfFree();
    }

    /** Its acceptor returned. */
    void served() {
        lock.lock();
        try {
            serving = false;
        } finally {
            lock.unlock();
        }
        releaseIfFree();
    }

    /** Frees its place in the session once it is done and nothing serves it, once. */
    private void releaseIfFree() {
        lock.lock();
        try {
            if (!holdsPlace || released || !done || serving) {
                return;
            }
            released = true;
        } finally {
            lock.unlock();
        }
        mux.release();
    }

    // ---------------------------------------------------------------- from the mux's reader

    void delivered(ByteBuffer bytes) throws WireException {
        int n = bytes.remaining();
        long give = 0;
        lock.lock();
        try {
            if (peerFin) {
                throw new WireException("DATA on stream " + id + " after its FIN");
            }
            receivedTotal += n;
            if (receivedTotal > granted) {
                throw new WireException("stream " + id + " sent " + (receivedTotal - granted) + " bytes beyond its window");
            }
            if (inputClosed || reset != null) {
                give = n; // nobody reads it: drop it and grant it again
                granted += give;
            } else {
                while (bytes.hasRemaining()) {
                    Chunk last = chunks.peekLast();
                    if (last == null || last.end == CHUNK) {
                        last = new Chunk();
                        chunks.add(last);
                    }
                    int k = Math.min(bytes.remaining(), CHUNK - last.end);
                    bytes.get(last.bytes, last.end, k);
                    last.end += k;
                }
                buffered += n;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        grant(give);
    }

    void granted(int increment) throws WireException {
        lock.lock();
        try {
            credit += increment;
            if (credit > (1L << 32)) {
                throw new WireException("stream " + id + " was granted a window of " + credit + " bytes");
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void peerFinished() {
        lock.lock();
        try {
            peerFin = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        finish();
    }

    void peerReset(String reason) {
        lock.lock();
        try {
            if (reset == null) {
                reset = mux.peer() + ": " + reason;
                resetByPeer = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        finish();
    }

    void sessionEnded(IOException why) {
        lock.lock();
        try {
            sessionEnded = true;
            sessionWhy = why;
            done = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private IOException ended() {
        if (reset != null) {
            return new ResetException(reset, resetByPeer);
        }
        return new IOException(sessionWhy == null ? "the session with " + mux.peer() + " ended"
                : "the session with " + mux.peer() + " ended: " + sessionWhy.getMessage(), sessionWhy);
    }

    // ---------------------------------------------------------------- the application's side

    private int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        long give = 0;
        int n;
        lock.lock();
        try {
            while (buffered == 0 && !peerFin && reset == null && !sessionEnded && !inputClosed) {
                changed.await();
            }
            if (inputClosed) {
                return -1;
            }
            if (buffered == 0) {
                if (reset == null && peerFin) {
                    return -1;
                }
                throw ended();
            }
            Chunk c = chunks.peekFirst();
            n = Math.min(len, c.end - c.start);
            System.arraycopy(c.bytes, c.start, b, off, n);
            c.start += n;
            if (c.start == c.end && (c.end == CHUNK || chunks.size() > 1)) {
                chunks.removeFirst();
            } else if (c.start == c.end) {
                c.start = 0; // the last chunk, read to its end: filled again from the start
                c.end = 0;
            }
            buffered -= n;
            consumedSinceGrant += n;
            if (consumedSinceGrant >= PeerWire.INITIAL_WINDOW / 2 && !peerFin && !sessionEnded && reset == null) {
                give = consumedSinceGrant;
                granted += give;
                consumedSinceGrant = 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted reading stream " + id);
        } finally {
            lock.unlock();
        }
        grant(give);
        return n;
    }

    private void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n;
            lock.lock();
            try {
                while (credit == 0 && reset == null && !sessionEnded && !finSent) {
                    changed.await();
                }
                if (reset != null || sessionEnded) {
                    throw ended();
                }
                if (finSent) {
                    throw new IOException("stream " + id + " is closed for writing");
                }
                n = (int) Math.min(Math.min(len, credit), PeerWire.MAX_DATA);
                credit -= n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted writing stream " + id);
            } finally {
                lock.unlock();
            }
            mux.enqueue(PeerWire.data(id, b, off, n), true);
            off += n;
            len -= n;
        }
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = Stream.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            return Stream.this.read(b, off, len);
        }

        @Override
        public int available() {
            lock.lock();
            try {
                return (int) Math.min(Integer.MAX_VALUE, buffered);
            } finally {
                lock.unlock();
            }
        }

        /** Stops reading (the peer's further data is dropped); the stream's output stays open. */
        @Override
        public void close() {
            long give;
            lock.lock();
            try {
                if (inputClosed) {
                    return;
                }
                inputClosed = true;
                give = peerFin || reset != null ? 0 : consumedSinceGrant + buffered;
                chunks.clear();
                buffered = 0;
                consumedSinceGrant = 0;
                granted += give;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            grant(give);
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            Stream.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            Stream.this.write(b, off, len);
        }

        /** Sends FIN: the peer's input ends after what was written. */
        @Override
        public void close() {
            closeOutput();
        }
    }

    @Override
    public String toString() {
        return "Stream[" + id + (service == PeerWire.SERVICE_PORT ? " port " + port : " pipe") + "]";
    }
}
