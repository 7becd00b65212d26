package dev.tryst.wire;


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
 *  0x04 OFFER_FILES  entries u32 | total bytes u64            (files and directories follow)
 *  0x05 ENTRIES      entry*, packed, whole entries only; each:
 *                    kind u8 (1 file, 2 directory) | flags u8 (bit 0 executable) | size u64 |
 *                    mtime i64 (ns since the epoch) | path length u16 | path (UTF-8, '/'-separated)
 *  0x06 REQUEST      ask*, packed, one per offered file, in offer order; each:
 *                    index u32 | mode u8 (0 fresh, 1 resume, 2 have) | offset u64 | SHA-256 (32 bytes)
 *                    resume: offset = bytes held, SHA-256 of them; have: the whole existing file's
 *  0x07 FILE_START   index u32 | offset u64 (where the data starts: 0, or the resume offset when the
 *                    sender's prefix hashed the same)
 *  0x08 FILE_SKIP    index u32 (the receiver's existing file is identical)
 *  0x09 FILE_END     index u32 | SHA-256 of the whole file (32 bytes)
 *  0x0A FILES_DONE   (empty): every requested file was sent or skipped
 *  0x10 DATA         payload, rest of the record (1 .. 65535 bytes)
 *  0x11 END          total u64 | SHA-256 of all DATA payloads (32 bytes)
 *  0x12 DATA_ZSTD    one zstd frame that decompresses to 1 .. 65535 bytes of file data
 *  0x20 DONE         (empty): the receiver has everything and every hash matched
 *  0x30 PROGRESS     bytes u64: what the receiver holds of the whole offer, about once a second
 *  0x7F ABORT        reason, UTF-8, rest of the record (at most 1024 bytes)
 * </pre>
 *
 * Stream flow: OFFER → ACCEPT or DECLINE → DATA* END → DONE (or ABORT) → end records.
 * File flow: OFFER_FILES ENTRIES* → REQUEST* or DECLINE → per file (FILE_START (DATA|DATA_ZSTD)*
 * FILE_END | FILE_SKIP) → FILES_DONE → DONE (or ABORT); PROGRESS from the receiver throughout.
 * Numbers are never reused.
 */
public final class TransferWire {
    private TransferWire() {}

    public static final byte OFFER = 0x01;
    public static final byte ACCEPT = 0x02;
    public static final byte DECLINE = 0x03;
    public static final byte OFFER_FILES = 0x04;
    public static final byte ENTRIES = 0x05;
    public static final byte REQUEST = 0x06;
    public static final byte FILE_START = 0x07;
    public static final byte FILE_SKIP = 0x08;
    public static final byte FILE_END = 0x09;
    public static final byte FILES_DONE = 0x0A;
    public static final byte DATA = 0x10;
    public static final byte END = 0x11;
    public static final byte DATA_ZSTD = 0x12;
    public static final byte DONE = 0x20;
    public static final byte PROGRESS = 0x30;
    public static final byte ABORT = 0x7F;

    public static final byte KIND_FILE = 1;
    public static final byte KIND_DIRECTORY = 2;
    public static final byte FLAG_EXECUTABLE = 1;
    public static final byte ASK_FRESH = 0;
    public static final byte ASK_RESUME = 1;
    public static final byte ASK_HAVE = 2;

    /** Most entries one offer may hold: more is refused before anything is allocated for them. */
    public static final int MAX_ENTRIES = 250_000;
    /** Largest file data in one DATA record (the type byte takes the rest of 64 KiB). */
    public static final int MAX_CHUNK = 65535;
    public static final int ENTRY_FIXED = 1 + 1 + 8 + 8 + 2;
    public static final int ASK_LENGTH = 4 + 1 + 8 + 32;  // index, mode, offset, SHA-256
    public static final int MAX_PAYLOAD = 65536 - 1;

    public static final byte KIND_TEXT = 1;
    public static final byte KIND_STREAM = 2;

    public static final int MAX_REASON = 1024;
    public static final int HASH_LENGTH = 32;
    /** Text given with --text is bounded; longer input belongs on stdin. */
    /** Longest path of an entry, in bytes of UTF-8. */
    public static final int MAX_PATH_BYTES = 4096;
    public static final int MAX_TEXT = 1 << 20;

    public sealed interface Message permits Offer, Accept, Decline, Data, End, Done, Abort, OfferFiles, Entries,
            Request, FileStart, FileSkip, FileEnd, FilesDone, DataZstd, Progress {}

    public record Offer(byte kind, long size) implements Message {}

    public record Accept() implements Message {}

    public record Decline(String reason) implements Message {}

    /** A read-only view of the payload, valid until the channel's next receive. */
    public record Data(ByteBuffer payload) implements Message {}

    public record End(long total, String sha256Hex) implements Message {}

    public record Done() implements Message {}

    public record Abort(String reason) implements Message {}

    public record OfferFiles(int entries, long totalBytes) implements Message {}

    /** One offered file or directory; {@code path} as sent (checked by the receiver, not here). */
    public record Entry(String path, boolean directory, long size, long mtimeNanos, boolean executable) {}

    public record Entries(java.util.List<Entry> entries) implements Message {
        public Entries {
            entries = java.util.List.copyOf(entries);
        }
    }

    /** What the receiver asks for one file; {@code sha256Hex} is all zeros for a fresh ask. */
    public record Ask(int index, byte mode, long offset, String sha256Hex) {}

    public record Request(java.util.List<Ask> asks) implements Message {
        public Request {
            asks = java.util.List.copyOf(asks);
        }
    }

    public record FileStart(int index, long offset) implements Message {}

    public record FileSkip(int index) implements Message {}

    public record FileEnd(int index, String sha256Hex) implements Message {}

    public record FilesDone() implements Message {}

    /** A read-only view of one zstd frame, valid until the channel's next receive. */
    public record DataZstd(ByteBuffer frame) implements Message {}

    public record Progress(long bytes) implements Message {}

    /** The 64-hex-digit SHA-256 of nothing asked for: a fresh ask carries it. */
    public static final String NO_HASH = "0".repeat(2 * HASH_LENGTH);

    /** Packs entries into as few ENTRIES records as fit in 64 KiB each. */
    public static java.util.List<byte[]> encodeEntries(java.util.List<Entry> all) {
        java.util.List<byte[]> records = new java.util.ArrayList<>();
        ByteBuffer b = ByteBuffer.allocate(1 + MAX_PAYLOAD).put(ENTRIES);
        for (Entry e : all) {
            byte[] path = e.path().getBytes(StandardCharsets.UTF_8);
            if (path.length > 0xFFFF) {
                throw new IllegalArgumentException("path of " + path.length + " bytes cannot be sent: " + e.path());
            }
            if (b.remaining() < ENTRY_FIXED + path.length) {
                records.add(java.util.Arrays.copyOf(b.array(), b.position()));
                b.clear().put(ENTRIES);
            }
            b.put(e.directory() ? KIND_DIRECTORY : KIND_FILE).put(e.executable() ? FLAG_EXECUTABLE : 0)
                    .putLong(e.size()).putLong(e.mtimeNanos()).putShort((short) path.length).put(path);
        }
        if (b.position() > 1) {
            records.add(java.util.Arrays.copyOf(b.array(), b.position()));
        }
        return records;
    }

    /** Packs asks into REQUEST records. */
    public static java.util.List<byte[]> encodeAsks(java.util.List<Ask> asks) {
        java.util.List<byte[]> records = new java.util.ArrayList<>();
        int perRecord = MAX_PAYLOAD / ASK_LENGTH;
        for (int i = 0; i < asks.size(); i += perRecord) {
            var part = asks.subList(i, Math.min(asks.size(), i + perRecord));
            ByteBuffer b = ByteBuffer.allocate(1 + part.size() * ASK_LENGTH).put(REQUEST);
            for (Ask a : part) {
                b.putInt(a.index()).put(a.mode()).putLong(a.offset()).put(HexFormat.of().parseHex(a.sha256Hex()));
            }
            records.add(b.array());
        }
        return records;
    }

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
            case OfferFiles o -> ByteBuffer.allocate(13).put(OFFER_FILES).putInt(o.entries()).putLong(o.totalBytes()).array();
            case Entries e -> {
                var records = encodeEntries(e.entries());
                if (records.size() != 1) {
                    throw new IllegalArgumentException("entries do not fit one record; use encodeEntries");
                }
                yield records.getFirst();
            }
            case Request r -> {
                var records = encodeAsks(r.asks());
                if (records.size() != 1) {
                    throw new IllegalArgumentException("asks do not fit one record; use encodeAsks");
                }
                yield records.getFirst();
            }
            case FileStart f -> ByteBuffer.allocate(13).put(FILE_START).putInt(f.index()).putLong(f.offset()).array();
            case FileSkip f -> ByteBuffer.allocate(5).put(FILE_SKIP).putInt(f.index()).array();
            case FileEnd f -> ByteBuffer.allocate(5 + HASH_LENGTH).put(FILE_END).putInt(f.index())
                    .put(HexFormat.of().parseHex(f.sha256Hex())).array();
            case FilesDone f -> new byte[] {FILES_DONE};
            case DataZstd d -> ByteBuffer.allocate(1 + d.frame().remaining()).put(DATA_ZSTD).put(d.frame().duplicate()).array();
            case Progress p -> ByteBuffer.allocate(9).put(PROGRESS).putLong(p.bytes()).array();
        };
    }

    private static byte[] withReason(byte type, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_REASON);
        while (n < r.length && n > 0 && (r[n] & 0xC0) == 0x80) {
            n--; // never cut inside a UTF-8 sequence: the peer's decoder is strict
        }
        return ByteBuffer.allocate(1 + n).put(type).put(r, 0, n).array();
    }

    /** Decodes one record's plaintext; anything malformed is the peer's fault. */
    public static Message decode(ByteBuffer record) throws WireException {
        ByteBuffer b = record.duplicate();
        if (!b.hasRemaining()) {
            throw new WireException("empty transfer message");
        }
        byte type = b.get();
        return switch (type) {
            case OFFER -> {
                exact(b, 9, "OFFER");
                byte kind = b.get();
                long size = b.getLong();
                if (kind != KIND_TEXT && kind != KIND_STREAM) {
                    throw new WireException("OFFER of unknown kind " + kind);
                }
                if (size < -1 || (kind == KIND_TEXT && size > MAX_TEXT)) {
                    throw new WireException("OFFER of impossible size " + size);
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
                    throw new WireException("empty DATA message");
                }
                yield new Data(b.slice().asReadOnlyBuffer());
            }
            case END -> {
                exact(b, 8 + HASH_LENGTH, "END");
                long total = b.getLong();
                if (total < 0) {
                    throw new WireException("END with negative total " + total);
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
            case OFFER_FILES -> {
                exact(b, 12, "OFFER_FILES");
                int n = b.getInt();
                long total = b.getLong();
                if (n < 0 || n > MAX_ENTRIES) {
                    throw new WireException("an offer of " + Integer.toUnsignedString(n) + " entries exceeds the limit of "
                            + MAX_ENTRIES);
                }
                if (total < 0) {
                    throw new WireException("an offer of " + Long.toUnsignedString(total) + " bytes is impossible");
                }
                yield new OfferFiles(n, total);
            }
            case ENTRIES -> {
                java.util.List<Entry> list = new java.util.ArrayList<>();
                while (b.hasRemaining()) {
                    if (b.remaining() < ENTRY_FIXED) {
                        throw new WireException("ENTRIES ends inside an entry");
                    }
                    byte kind = b.get();
                    byte flags = b.get();
                    long size = b.getLong();
                    long mtime = b.getLong();
                    int len = Short.toUnsignedInt(b.getShort());
                    if (kind != KIND_FILE && kind != KIND_DIRECTORY) {
                        throw new WireException("entry of unknown kind " + kind);
                    }
                    if ((flags & ~FLAG_EXECUTABLE) != 0) {
                        throw new WireException("entry with unknown flags " + flags);
                    }
                    if (size < 0 || (kind == KIND_DIRECTORY && size != 0)) {
                        throw new WireException("entry with impossible size " + Long.toUnsignedString(size));
                    }
                    if (len > MAX_PATH_BYTES) {
                        throw new WireException("entry path of " + len + " bytes exceeds " + MAX_PATH_BYTES);
                    }
                    if (len > b.remaining()) {
                        throw new WireException("entry path of " + len + " bytes runs past the record");
                    }
                    byte[] path = new byte[len];
                    b.get(path);
                    list.add(new Entry(utf8(path, "entry path"), kind == KIND_DIRECTORY, size, mtime,
                            (flags & FLAG_EXECUTABLE) != 0));
                }
                if (list.isEmpty()) {
                    throw new WireException("empty ENTRIES message");
                }
                yield new Entries(list);
            }
            case REQUEST -> {
                if (b.remaining() == 0 || b.remaining() % ASK_LENGTH != 0) {
                    throw new WireException("REQUEST of " + b.remaining() + " bytes is not a whole number of asks");
                }
                java.util.List<Ask> asks = new java.util.ArrayList<>();
                while (b.hasRemaining()) {
                    int index = b.getInt();
                    byte mode = b.get();
                    long offset = b.getLong();
                    byte[] h = new byte[HASH_LENGTH];
                    b.get(h);
                    if (mode != ASK_FRESH && mode != ASK_RESUME && mode != ASK_HAVE) {
                        throw new WireException("ask of unknown mode " + mode);
                    }
                    if (index < 0 || offset < 0) {
                        throw new WireException("ask with impossible index or offset");
                    }
                    asks.add(new Ask(index, mode, offset, HexFormat.of().formatHex(h)));
                }
                yield new Request(asks);
            }
            case FILE_START -> {
                exact(b, 12, "FILE_START");
                yield new FileStart(b.getInt(), b.getLong());
            }
            case FILE_SKIP -> {
                exact(b, 4, "FILE_SKIP");
                yield new FileSkip(b.getInt());
            }
            case FILE_END -> {
                exact(b, 4 + HASH_LENGTH, "FILE_END");
                int index = b.getInt();
                byte[] h = new byte[HASH_LENGTH];
                b.get(h);
                yield new FileEnd(index, HexFormat.of().formatHex(h));
            }
            case FILES_DONE -> {
                exact(b, 0, "FILES_DONE");
                yield new FilesDone();
            }
            case DATA_ZSTD -> {
                if (!b.hasRemaining()) {
                    throw new WireException("empty DATA_ZSTD message");
                }
                yield new DataZstd(b.slice().asReadOnlyBuffer());
            }
            case PROGRESS -> {
                exact(b, 8, "PROGRESS");
                yield new Progress(b.getLong());
            }
            default -> throw new WireException("unknown transfer message type " + (type & 0xff));
        };
    }

    private static void exact(ByteBuffer b, int n, String what) throws WireException {
        if (b.remaining() != n) {
            throw new WireException(what + " must carry " + n + " bytes, not " + b.remaining());
        }
    }

    private static String reason(ByteBuffer b, String what) throws WireException {
        if (b.remaining() > MAX_REASON) {
            throw new WireException(what + " reason of " + b.remaining() + " bytes exceeds " + MAX_REASON);
        }
        byte[] r = new byte[b.remaining()];
        b.get(r);
        return utf8(r, what + " reason");
    }

    private static String utf8(byte[] bytes, String what) throws WireException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new WireException(what + " is not UTF-8");
        }
    }
}
