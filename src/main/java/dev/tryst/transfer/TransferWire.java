package dev.tryst.transfer;

import dev.tryst.channel.ChannelException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The transfer protocol's messages. Each travels alone in one channel record, so the channel
 * provides length, order and authenticity; a message is its type byte then its fields, big-endian.
 *
 * <pre>
 *  0x01 OFFER    kind u8 (1 text, 2 stream) | size i64 (-1: not known in advance)
 *  0x02 ACCEPT   (empty)
 *  0x03 DECLINE  reason, UTF-8, rest of the record (at most 1024 bytes)
 *  0x10 DATA     payload, rest of the record (1 .. 65535 bytes)
 *  0x11 END      total u64 | SHA-256 of all DATA payloads (32 bytes)
 *  0x20 DONE     (empty): the receiver has everything and the hash matched
 *  0x7F ABORT    reason, UTF-8, rest of the record (at most 1024 bytes)
 * </pre>
 *
 * Flow: sender OFFER → receiver ACCEPT or DECLINE → sender DATA* END → receiver DONE (or ABORT)
 * → both send the channel's end record. Numbers are never reused; file transfer adds new ones.
 */
public final class TransferWire {
    private TransferWire() {}

    public static final byte OFFER = 0x01;
    public static final byte ACCEPT = 0x02;
    public static final byte DECLINE = 0x03;
    public static final byte DATA = 0x10;
    public static final byte END = 0x11;
    public static final byte DONE = 0x20;
    public static final byte ABORT = 0x7F;

    public static final byte KIND_TEXT = 1;
    public static final byte KIND_STREAM = 2;

    public static final int MAX_REASON = 1024;
    public static final int HASH_LENGTH = 32;
    /** Text given with --text is bounded; longer input belongs on stdin. */
    public static final int MAX_TEXT = 1 << 20;

    public sealed interface Message permits Offer, Accept, Decline, Data, End, Done, Abort {}

    public record Offer(byte kind, long size) implements Message {}

    public record Accept() implements Message {}

    public record Decline(String reason) implements Message {}

    /** A read-only view of the payload, valid until the channel's next receive. */
    public record Data(ByteBuffer payload) implements Message {}

    public record End(long total, String sha256Hex) implements Message {}

    public record Done() implements Message {}

    public record Abort(String reason) implements Message {}

    public static byte[] encode(Message m) {
        return switch (m) {
            case Offer o -> ByteBuffer.allocate(10).put(OFFER).put(o.kind()).putLong(o.size()).array();
            case Accept a -> new byte[] {ACCEPT};
            case Decline d -> withReason(DECLINE, d.reason());
            case Data d -> ByteBuffer.allocate(1 + d.payload().remaining()).put(DATA).put(d.payload().duplicate()).array();
            case End e -> ByteBuffer.allocate(1 + 8 + HASH_LENGTH).put(END).putLong(e.total())
                    .put(HexFormat.of().parseHex(e.sha256Hex())).array();
            case Done d -> new byte[] {DONE};
            case Abort a -> withReason(ABORT, a.reason());
        };
    }

    private static byte[] withReason(byte type, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_REASON);
        return ByteBuffer.allocate(1 + n).put(type).put(r, 0, n).array();
    }

    /** Decodes one record's plaintext; anything malformed is the peer's fault. */
    public static Message decode(ByteBuffer record) throws ChannelException {
        ByteBuffer b = record.duplicate();
        if (!b.hasRemaining()) {
            throw new ChannelException("empty transfer message");
        }
        byte type = b.get();
        return switch (type) {
            case OFFER -> {
                exact(b, 9, "OFFER");
                byte kind = b.get();
                long size = b.getLong();
                if (kind != KIND_TEXT && kind != KIND_STREAM) {
                    throw new ChannelException("OFFER of unknown kind " + kind);
                }
                if (size < -1 || (kind == KIND_TEXT && size > MAX_TEXT)) {
                    throw new ChannelException("OFFER of impossible size " + size);
                }
                yield new Offer(kind, size);
            }
            case ACCEPT -> {
                exact(b, 0, "ACCEPT");
                yield new Accept();
            }
            case DECLINE -> new Decline(reason(b, "DECLINE"));
            case DATA -> {
                if (!b.hasRemaining()) {
                    throw new ChannelException("empty DATA message");
                }
                yield new Data(b.slice().asReadOnlyBuffer());
            }
            case END -> {
                exact(b, 8 + HASH_LENGTH, "END");
                long total = b.getLong();
                if (total < 0) {
                    throw new ChannelException("END with negative total " + total);
                }
                byte[] h = new byte[HASH_LENGTH];
                b.get(h);
                yield new End(total, HexFormat.of().formatHex(h));
            }
            case DONE -> {
                exact(b, 0, "DONE");
                yield new Done();
            }
            case ABORT -> new Abort(reason(b, "ABORT"));
            default -> throw new ChannelException("unknown transfer message type " + (type & 0xff));
        };
    }

    private static void exact(ByteBuffer b, int n, String what) throws ChannelException {
        if (b.remaining() != n) {
            throw new ChannelException(what + " must carry " + n + " bytes, not " + b.remaining());
        }
    }

    private static String reason(ByteBuffer b, String what) throws ChannelException {
        if (b.remaining() > MAX_REASON) {
            throw new ChannelException(what + " reason of " + b.remaining() + " bytes exceeds " + MAX_REASON);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b).toString();
        } catch (CharacterCodingException e) {
            throw new ChannelException(what + " reason is not UTF-8");
        }
    }
}
