package dev.tryst.channel;

import static dev.tryst.wire.RecordWire.*;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An encrypted, authenticated, ordered record stream over any byte stream: a relayed socket, a
 * direct TCP connection, or an in-memory pipe in tests. Made by {@link Handshake}.
 *
 * <p>One thread may send while another receives. Records keep their boundaries, so an application
 * protocol can put one message in each. {@link #receive()} returns {@code null} only after the
 * peer's authenticated CLOSE record; a stream that just stops is a {@link ChannelCutException}.
 *
 * <p>Liveness: only an authenticated record counts as a sign of life from the peer; the
 * {@link #onAuthenticatedRecord} hook tells an idle watchdog. {@link #keepAliveUnlessSentSince} sends an
 * empty KEEPALIVE record when we have sent nothing since a mark, so a peer that is busy with its
 * own disk or terminal is not taken for a dead one. The channel itself reads no clock.
 *
 * <p>Receive path: (1) fill the read buffer until a 4-byte header is there; (2) check the type and
 * bound the length before reading further; (3) wait for the whole body; (4) authenticate and
 * decrypt with the next counter of the receive direction; (5) hand out the plaintext.
 * After any failure the channel is dead in both directions.
 *
 * <p>Moving ({@link #moveTo}): the records may go on over another path to the same peer, with that
 * path's own keys. Each direction moves on its own: the writer sends a MOVE record as its last on
 * the old path and writes on the new one from then on; the reader, at the peer's MOVE record, goes
 * on reading the new path (waiting for it, if the peer was quicker to choose it). So the record
 * stream goes on between two records, nothing lost, doubled or reordered. The old path is closed
 * once both directions have left it. A direction that has ended (CLOSE) does not move.
 */
public final class SecureChannel implements Closeable {
    private static final int READ_BUFFER = 4 * MAX_RECORD;

    /** One path under the channel: its stream, the keys of each direction on it, and what was read from it. */
    private static final class Leg {
        final ByteChannel io;
        final RecordCipher sealer;
        final RecordCipher opener;
        final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER).flip();
        /** Guarded by the channel's moveLock: which directions have left this path. */
        boolean writeLeft;
        boolean readLeft;

        Leg(ByteChannel io, RecordCipher sealer, RecordCipher opener) {
            this.io = io;
            this.sealer = sealer;
            this.opener = opener;
        }
    }

    /** The path we write on (changed under writeLock) and the one we read from (under readLock). */
    private volatile Leg writer;
    private volatile Leg reader;
    private final Object moveLock = new Object();
    /** The path a move goes to, once chosen on our side; null when no move is under way. */
    private Leg moving;
    private boolean closed;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final byte[] sealed = new byte[MAX_RECORD];
    private final ByteBuffer out = ByteBuffer.allocateDirect(MAX_RECORD);
    private boolean outputClosed;

    private final ReentrantLock readLock = new ReentrantLock();
    private final byte[] header = new byte[HEADER_LENGTH];
    private final byte[] body = new byte[MAX_BODY];
    private final byte[] plain = new byte[MAX_PLAINTEXT];
    private boolean inputClosed;
    private volatile ChannelException failure;

    private long bytesSent;
    private long bytesReceived;
    private volatile long recordsSent;
    private volatile Runnable onAuthenticatedRecord = () -> {};

    /** A value both ends of this channel share and nobody else knows (RFC 5705's idea), or null. */
    private final byte[] exporter;

    SecureChannel(ByteChannel io, RecordCipher sealer, RecordCipher opener) {
        this(io, sealer, opener, null);
    }

    SecureChannel(ByteChannel io, RecordCipher sealer, RecordCipher opener, byte[] exporter) {
        this.writer = this.reader = new Leg(io, sealer, opener);
        this.exporter = exporter;
    }

    /**
     * Moves this channel onto {@code next}'s path (a fresh channel to the same peer, nothing sent or
     * received on it yet), which this channel takes over: our MOVE record goes out as the last on the
     * current path, every later record on the new one, and the reader follows the peer's MOVE. One
     * move at a time; {@code next} is not to be used after this.
     *
     * @throws IllegalStateException a move is already under way
     */
    public void moveTo(SecureChannel next) throws IOException {
        Leg to = next.writer;
        if (next.reader != to || next.recordsSent != 0 || to.opener.counter() != 0) {
            throw new IllegalArgumentException("only a fresh channel can be moved onto");
        }
        synchronized (moveLock) {
            if (moving != null) {
                throw new IllegalStateException("a move is already under way");
            }
            if (closed) {
                closeQuietly(to.io);
                throw new ChannelCutException("the channel is closed");
            }
            moving = to;
            moveLock.notifyAll(); // a reader that met the peer's MOVE first waits for this
        }
        writeLock.lock();
        try {
            Leg from = writer;
            if (!outputClosed) {
                writeRecordLocked(TYPE_MOVE, plain, 0, 0);
            }
            writer = to;
            left(from, true);
        } finally {
            writeLock.unlock();
        }
    }

    /** Whether a move is under way: chosen on our side, and not yet left by both directions. */
    public boolean moving() {
        synchronized (moveLock) {
            return moving != null;
        }
    }

    /** One direction has left {@code from}; once both have, it is closed and the move is over. */
    private void left(Leg from, boolean write) {
        boolean done;
        synchronized (moveLock) {
            if (write) {
                from.writeLeft = true;
            } else {
                from.readLeft = true;
            }
            done = from.writeLeft && (from.readLeft || inputClosed);
            if (done && moving != null && writer == moving) {
                moving = null;
            }
        }
        if (done) {
            closeQuietly(from.io);
        }
    }

    /** The reader met the peer's MOVE: waits for our side's choice of the new path and reads there from now on. */
    private void followMove() throws ChannelException {
        Leg from = reader;
        Leg to;
        synchronized (moveLock) {
            while ((to = moving) == null || to == from) {
                if (closed) {
                    throw new ChannelCutException("the channel was closed while the peer moved to another path");
                }
                try {
                    moveLock.wait(); // the idle watchdog closes the channel if our side never chooses it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ChannelCutException("interrupted while the peer moved to another path");
                }
            }
        }
        reader = to;
        left(from, false);
        if (from.in.hasRemaining()) { // the peer wrote after its MOVE on the old path: not a tryst peer
            throw new ChannelException("the peer sent " + from.in.remaining() + " bytes after its MOVE record");
        }
    }

    /**
     * 32 bytes that both ends of this very channel derived from its keys and nobody else has: what
     * a signature made over it is bound to (so it cannot be relayed into another channel).
     */
    public byte[] exporter() {
        if (exporter == null) {
            throw new IllegalStateException("this channel was made without an exporter");
        }
        return exporter.clone();
    }

    /** Sends {@code len} bytes (1 to {@value RecordWire#MAX_PLAINTEXT}) as one record. */
    public void send(byte[] data, int off, int len) throws IOException {
        if (len < 1 || len > MAX_PLAINTEXT) {
            throw new IllegalArgumentException("a record carries 1 to " + MAX_PLAINTEXT + " bytes, not " + len);
        }
        writeRecord(TYPE_DATA, data, off, len);
    }

    public void send(byte[] data) throws IOException {
        send(data, 0, data.length);
    }

    /** Sends the clean end of our direction; the peer's {@link #receive()} then returns null. */
    public void shutdownOutput() throws IOException {
        writeLock.lock();
        try {
            writeRecordLocked(TYPE_CLOSE, plain, 0, 0);
            if (writer.io instanceof SocketChannel sc && sc.isOpen()) {
                sc.shutdownOutput();
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Records sent so far, of every type: a mark for {@link #keepAliveUnlessSentSince}. */
    public long recordsSent() {
        return recordsSent;
    }

    /**
     * Sends a KEEPALIVE record if no record was sent since {@code mark} (an earlier
     * {@link #recordsSent()}); does nothing if another thread is writing right now (that write is a
     * sign of life too) or our output is closed. Never blocks on the write lock, so a timer thread may call it.
     */
    public void keepAliveUnlessSentSince(long mark) throws IOException {
        if (recordsSent != mark || !writeLock.tryLock()) {
            return;
        }
        try {
            if (!outputClosed && failure == null && writer.io.isOpen()) {
                writeRecordLocked(TYPE_KEEPALIVE, plain, 0, 0);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Called, on the receiving thread, after every record that passed authentication. */
    public void onAuthenticatedRecord(Runnable hook) {
        this.onAuthenticatedRecord = hook;
    }

    private void writeRecord(byte type, byte[] data, int off, int len) throws IOException {
        writeLock.lock();
        try {
            writeRecordLocked(type, data, off, len);
        } finally {
            writeLock.unlock();
        }
    }

    private void writeRecordLocked(byte type, byte[] data, int off, int len) throws IOException {
        checkUsable();
        if (outputClosed) {
            throw new IllegalStateException("output already closed");
        }
        Leg leg = writer;
        int n = leg.sealer.seal(type, data, off, len, sealed, 0);
        out.clear();
        out.put(sealed, 0, n).flip();
        try {
            while (out.hasRemaining()) {
                leg.io.write(out);
            }
        } catch (IOException e) {
            // Half a record may be on the wire: nothing may follow it.
            ChannelCutException cut = new ChannelCutException("connection broken while sending"
                    + (e.getMessage() == null ? " (" + e.getClass().getSimpleName() + ")" : ": " + e.getMessage()), e);
            failure = cut;
            throw cut;
        }
        recordsSent++;
        bytesSent += len;
        if (type == TYPE_CLOSE) {
            outputClosed = true;
        }
    }

    /**
     * The next record's plaintext, as a read-only buffer valid until the next call; {@code null}
     * once the peer has closed its direction cleanly.
     *
     * @throws ChannelCutException if the stream ended or broke before the peer's CLOSE record
     * @throws ChannelException if a record is malformed or fails authentication
     */
    public ByteBuffer receive() throws IOException {
        readLock.lock();
        try {
            checkUsable();
            if (inputClosed) {
                return null;
            }
            try {
                return readRecord();
            } catch (ChannelException e) {
                failure = e;
                throw e;
            }
        } finally {
            readLock.unlock();
        }
    }

    private ByteBuffer readRecord() throws ChannelException {
        ByteBuffer r;
        do {
            r = readOneRecord();
        } while (r == KEEPALIVE);
        return r;
    }

    private static final ByteBuffer KEEPALIVE = ByteBuffer.allocate(0);

    private ByteBuffer readOneRecord() throws ChannelException {
        Leg leg = reader;
        ByteBuffer in = leg.in;
        long record = leg.opener.counter();
        if (!fill(HEADER_LENGTH)) {
            throw new ChannelCutException(in.hasRemaining()
                    ? "connection cut inside the header of record " + record
                    : "the connection was cut (the peer's end record never came)");
        }
        in.get(header);
        byte type = header[0];
        int len = ((header[1] & 0xff) << 16) | ((header[2] & 0xff) << 8) | (header[3] & 0xff);
        if (type != TYPE_DATA && type != TYPE_CLOSE && type != TYPE_KEEPALIVE && type != TYPE_MOVE) {
            throw new ChannelException("record " + record + " has unknown type " + (type & 0xff));
        }
        int min = type == TYPE_DATA ? TAG_LENGTH + 1 : TAG_LENGTH;
        int max = type == TYPE_DATA ? MAX_BODY : TAG_LENGTH;
        if (len < min || len > max) {
            throw new ChannelException("record " + record + " claims " + len + " bytes; type " + type
                    + " allows " + min + " to " + max);
        }
        if (!fill(len)) {
            throw new ChannelCutException("connection cut inside record " + record + " (" + in.remaining()
                    + " of " + len + " bytes)");
        }
        in.get(body, 0, len);
        int n = leg.opener.open(header, 0, body, 0, len, plain);
        onAuthenticatedRecord.run();
        if (type == TYPE_KEEPALIVE) {
            return KEEPALIVE;
        }
        if (type == TYPE_MOVE) {
            followMove();
            return KEEPALIVE; // read on, on the new path
        }
        if (type == TYPE_CLOSE) {
            inputClosed = true;
            return null;
        }
        bytesReceived += n;
        return ByteBuffer.wrap(plain, 0, n).asReadOnlyBuffer();
    }

    /** Reads until at least {@code need} bytes are buffered; false if the stream ended first. */
    private boolean fill(int need) throws ChannelException {
        ByteBuffer in = reader.in;
        ByteChannel io = reader.io;
        if (in.remaining() >= need) {
            return true;
        }
        in.compact();
        try {
            while (in.position() < need) {
                if (io.read(in) < 0) {
                    in.flip();
                    return false;
                }
            }
        } catch (ClosedChannelException e) {
            in.flip();
            throw new ChannelCutException("connection closed locally while reading", e);
        } catch (IOException e) {
            in.flip();
            throw new ChannelCutException("connection broken: " + e.getMessage(), e);
        }
        in.flip();
        return true;
    }

    private void checkUsable() throws ChannelException {
        ChannelException f = failure;
        if (f instanceof ChannelCutException) {
            throw new ChannelCutException(f.getMessage(), f);
        }
        if (f != null) {
            throw new ChannelException("channel already failed: " + f.getMessage(), f);
        }
    }

    /** Plaintext bytes sent in DATA records so far. */
    public long bytesSent() {
        return bytesSent;
    }

    /** Plaintext bytes received in DATA records so far. */
    public long bytesReceived() {
        return bytesReceived;
    }

    /** The stream we write on now, for callers that need its address. */
    public ByteChannel transport() {
        return writer.io;
    }

    /** Closes every path under the channel (and one a move was going to). */
    @Override
    public void close() throws IOException {
        Leg to;
        synchronized (moveLock) {
            closed = true;
            to = moving;
            moveLock.notifyAll();
        }
        if (to != null) {
            closeQuietly(to.io);
        }
        closeQuietly(reader.io);
        writer.io.close();
    }

    private static void closeQuietly(ByteChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "SecureChannel[sent " + writer.sealer.counter() + " records, received " + reader.opener.counter() + "]";
    }
}
