package dev.tryst.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What two identities say over their session (a {@link PeerPathWire}-proven path, in channel
 * records, {@link RecordWire}): first what the session is for, then — for streams — the stream
 * multiplexing frames. Each message travels alone in one record; a message is its type byte then
 * its fields, big-endian.
 *
 * <pre>
 *  opening (first path only; the initiator asks, the responder answers):
 *  0x50 SESSION_OPEN      version u8 (1) | purpose u8 (1 streams, 2 files)
 *  0x51 SESSION_ACCEPTED  (empty)
 *  0x52 SESSION_REFUSED   reason, UTF-8, rest of the record (0 .. 1 024 bytes)
 *
 *  purpose files: the transfer messages follow ({@link TransferWire}, initiator = sender)
 *
 *  purpose streams: on every path, RESUME first from both sides, then any of
 *  0x01 OPEN     stream u32 | service u8 (1 pipe, 2 port) | port u16 (0 for the pipe)
 *  0x02 DATA     stream u32 | bytes, rest of the record (1 .. 65 531)
 *  0x03 WINDOW   stream u32 | increment u32 (1 .. 2^31 − 1)
 *  0x04 FIN      stream u32: no more DATA from this side on this stream
 *  0x05 RESET    stream u32 | reason, UTF-8, rest of the record (0 .. 1 024 bytes)
 *  0x06 ACK      received u64: how many numbered frames this side has taken in, in all
 *  0x07 RESUME   received u64: the same, as the first frame on a path
 * </pre>
 *
 * Numbered frames are OPEN, DATA, WINDOW, FIN and RESET: each side counts those it sends and
 * those it receives, over the whole session, whichever path carried them. A sender keeps each
 * numbered frame until an ACK (or RESUME) covers it; when the session moves to another path, each
 * side says in RESUME how many it received, and the other sends again from there: nothing is lost,
 * duplicated or reordered across the move. ACK and RESUME are not numbered.
 *
 * Streams: the initiator opens odd ids, the responder even ones, each larger than the last it
 * opened. Each direction of each stream may carry {@link #INITIAL_WINDOW} bytes of DATA beyond
 * what the receiver has granted with WINDOW; more is a protocol error that ends the session. A
 * stream ends when both sides sent FIN, or at a RESET from either.
 */
public final class PeerWire {
    private PeerWire() {}

    public static final byte SESSION_OPEN = 0x50;
    public static final byte SESSION_ACCEPTED = 0x51;
    public static final byte SESSION_REFUSED = 0x52;

    public static final byte OPEN = 0x01;
    public static final byte DATA = 0x02;
    public static final byte WINDOW = 0x03;
    public static final byte FIN = 0x04;
    public static final byte RESET = 0x05;
    public static final byte ACK = 0x06;
    public static final byte RESUME = 0x07;

    public static final byte VERSION = 1;
    public static final byte PURPOSE_STREAMS = 1;
    public static final byte PURPOSE_FILES = 2;
    public static final byte SERVICE_PIPE = 1;
    public static final byte SERVICE_PORT = 2;

    /** The most a record carries (a channel DATA record's payload). */
    public static final int MAX_MESSAGE = RecordWire.MAX_PLAINTEXT;
    public static final int DATA_HEADER = 1 + 4;
    /** The most stream bytes in one DATA frame. */
    public static final int MAX_DATA = MAX_MESSAGE - DATA_HEADER;
    public static final int MAX_REASON = 1024;
    /** What each direction of a stream may send before the receiver grants more. */
    public static final int INITIAL_WINDOW = 1 << 20;
    public static final int MAX_INCREMENT = Integer.MAX_VALUE;

    /** Something said over a peer session. */
    public sealed interface Message permits SessionOpen, SessionAccepted, SessionRefused, Numbered, Ack, Resume {}

    /** The stream frames that are counted and sent again after a move. */
    public sealed interface Numbered extends Message permits Open, Data, Window, Fin, Reset {
        int stream();
    }

    public record SessionOpen(int version, byte purpose) implements Message {}

    public record SessionAccepted() implements Message {}

    public record SessionRefused(String reason) implements Message {
        public SessionRefused {
            checkReason(reason);
        }
    }

    public record Open(int stream, byte service, int port) implements Numbered {
        public Open {
            if (service != SERVICE_PIPE && service != SERVICE_PORT) {
                throw new IllegalArgumentException("unknown service " + service);
            }
            if (port < 0 || port > 0xffff || (service == SERVICE_PORT) == (port == 0)) {
                throw new IllegalArgumentException("a port (1 .. 65535) for the port service, 0 for the pipe, not " + port);
            }
        }
    }

    /** {@code bytes} is a read-only view of the record, valid until the next record is read. */
    public record Data(int stream, ByteBuffer bytes) implements Numbered {}

    public record Window(int stream, int increment) implements Numbered {
        public Window {
            if (increment < 1) {
                throw new IllegalArgumentException("a window increment is 1 .. 2^31 - 1, not " + increment);
            }
        }
    }

    public record Fin(int stream) implements Numbered {}

    public record Reset(int stream, String reason) implements Numbered {
        public Reset {
            checkReason(reason);
        }
    }

    public record Ack(long received) implements Message {}

    public record Resume(long received) implements Message {}

    private static void checkReason(String reason) {
        if (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON) {
            throw new IllegalArgumentException("a reason is at most " + MAX_REASON + " bytes of UTF-8");
        }
    }

    /** The record of {@code m}. */
    public static byte[] encode(Message m) {
        return switch (m) {
            case SessionOpen o -> new byte[] {SESSION_OPEN, (byte) o.version(), o.purpose()};
            case SessionAccepted a -> new byte[] {SESSION_ACCEPTED};
            case SessionRefused r -> withText(ByteBuffer.allocate(1 + MAX_REASON).put(SESSION_REFUSED), r.reason());
            case Open o -> ByteBuffer.allocate(8).put(OPEN).putInt(o.stream()).put(o.service()).putShort((short) o.port()).array();
            case Data d -> {
                ByteBuffer b = d.bytes().duplicate();
                yield data(d.stream(), b.array(), b.arrayOffset() + b.position(), b.remaining());
            }
            case Window w -> ByteBuffer.allocate(9).put(WINDOW).putInt(w.stream()).putInt(w.increment()).array();
            case Fin f -> ByteBuffer.allocate(5).put(FIN).putInt(f.stream()).array();
            case Reset r -> withText(ByteBuffer.allocate(5 + MAX_REASON).put(RESET).putInt(r.stream()), r.reason());
            case Ack a -> ByteBuffer.allocate(9).put(ACK).putLong(a.received()).array();
            case Resume r -> ByteBuffer.allocate(9).put(RESUME).putLong(r.received()).array();
        };
    }

    /** A DATA frame straight from a buffer: the hot path, one copy. */
    public static byte[] data(int stream, byte[] src, int offset, int length) {
        if (length < 1 || length > MAX_DATA) {
            throw new IllegalArgumentException("a DATA frame carries 1 .. " + MAX_DATA + " bytes, not " + length);
        }
        byte[] frame = new byte[DATA_HEADER + length];
        frame[0] = DATA;
        frame[1] = (byte) (stream >>> 24);
        frame[2] = (byte) (stream >>> 16);
        frame[3] = (byte) (stream >>> 8);
        frame[4] = (byte) stream;
        System.arraycopy(src, offset, frame, DATA_HEADER, length);
        return frame;
    }

    private static byte[] withText(ByteBuffer b, String text) {
        b.put(text.getBytes(StandardCharsets.UTF_8));
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** Whether the frame in {@code record} (as {@link #encode} wrote it) is a numbered one, without decoding it. */
    public static boolean numbered(byte[] record) {
        return record[0] >= OPEN && record[0] <= RESET;
    }

    /**
     * Reads one message from a whole record.
     *
     * @throws WireException a malformed message: an unknown type, a wrong length, a bad field
     */
    public static Message decode(ByteBuffer record) throws WireException {
        ByteBuffer b = record.slice();
        if (!b.hasRemaining()) {
            throw new WireException("an empty peer message");
        }
        byte type = b.get();
        try {
            Message m = switch (type) {
                case SESSION_OPEN -> new SessionOpen(b.get() & 0xff, b.get());
                case SESSION_ACCEPTED -> new SessionAccepted();
                case SESSION_REFUSED -> new SessionRefused(text(b));
                case OPEN -> {
                    int stream = b.getInt();
                    byte service = b.get();
                    yield new Open(stream, service, b.getShort() & 0xffff);
                }
                case DATA -> {
                    int stream = b.getInt();
                    if (!b.hasRemaining()) {
                        throw new WireException("a DATA frame with no bytes");
                    }
                    ByteBuffer bytes = b.slice().asReadOnlyBuffer();
                    b.position(b.limit());
                    yield new Data(stream, bytes);
                }
                case WINDOW -> new Window(b.getInt(), b.getInt());
                case FIN -> new Fin(b.getInt());
                case RESET -> new Reset(b.getInt(), text(b));
                case ACK -> new Ack(nonNegative(b.getLong(), "ACK"));
                case RESUME -> new Resume(nonNegative(b.getLong(), "RESUME"));
                default -> throw new WireException("unknown peer message type 0x" + Integer.toHexString(type & 0xff));
            };
            if (b.hasRemaining()) {
                throw new WireException("a peer message of type 0x" + Integer.toHexString(type & 0xff) + " with "
                        + b.remaining() + " bytes too many");
            }
            return m;
        } catch (java.nio.BufferUnderflowException e) {
            throw new WireException("a peer message of type 0x" + Integer.toHexString(type & 0xff) + " is too short");
        } catch (IllegalArgumentException e) {
            throw new WireException("a bad peer message: " + e.getMessage());
        }
    }

    private static long nonNegative(long v, String what) throws WireException {
        if (v < 0) {
            throw new WireException(what + " counts " + v + " frames");
        }
        return v;
    }

    private static String text(ByteBuffer b) throws WireException {
        if (b.remaining() > MAX_REASON) {
            throw new WireException("a reason of " + b.remaining() + " bytes (at most " + MAX_REASON + ")");
        }
        try {
            // a reason is shown to a person on the other side: never with its control characters
            return Printable.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b).toString());
        } catch (CharacterCodingException e) {
            throw new WireException("a reason that is not UTF-8");
        }
    }
}
