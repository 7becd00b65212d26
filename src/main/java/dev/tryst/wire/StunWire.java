package dev.tryst.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * The STUN wire format (RFC 8489), as much of it as a Binding responder needs.
 *
 * <p>Every message is a 20-byte header followed by zero or more attributes:
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0|     STUN Message Type     |         Message Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Magic Cookie (0x2112A442)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * |                Transaction ID (96 bits)                       |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Type                  |            Length             |  attribute (TLV),
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  value padded with
 * |                         Value (variable)                ....  |  0-3 bytes to a
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  multiple of 4
 * </pre>
 *
 * <p>The message type packs a 12-bit method and a 2-bit class (bits C1 = 0x0100, C0 = 0x0010):
 * request 00, indication 01, success response 10, error response 11. Message Length counts the
 * bytes after the header (so it is a multiple of 4); an attribute's Length counts its value
 * without padding. A classic RFC 3489 client sends a random value where the magic cookie goes;
 * together with the transaction id that is its 128-bit transaction id, and it is echoed verbatim.
 *
 * <p>Address attributes (MAPPED-ADDRESS and friends) carry {@code 0x00, family (1 = IPv4,
 * 2 = IPv6), port (u16), address (4 or 16 bytes)}. XOR-MAPPED-ADDRESS XORs the port with the top
 * 16 bits of the cookie and the address with the cookie (IPv4) or with cookie || transaction id
 * (IPv6). FINGERPRINT, when present, is the last attribute: CRC-32 of the message up to (not
 * including) the FINGERPRINT attribute, with the header length already counting it, XOR
 * {@value #FINGERPRINT_XOR}.
 *
 * <p>{@link #decode} bounds every length before it reads and refuses anything malformed with a
 * {@link StunFormatException}, never another exception.
 */
public final class StunWire {
    /** Default UDP port of a STUN server. */
    public static final int DEFAULT_PORT = 3478;
    public static final int HEADER_LENGTH = 20;
    public static final int MAGIC_COOKIE = 0x2112A442;
    public static final int TRANSACTION_ID_LENGTH = 12;
    public static final int FINGERPRINT_XOR = 0x5354554e;

    // Message types.
    public static final int BINDING_REQUEST = 0x0001;
    public static final int BINDING_SUCCESS = 0x0101;
    public static final int BINDING_ERROR = 0x0111;
    public static final int BINDING_INDICATION = 0x0011;

    // Attribute types. Below 0x8000: comprehension-required; from 0x8000: comprehension-optional.
    public static final int MAPPED_ADDRESS = 0x0001;
    public static final int CHANGE_REQUEST = 0x0003;
    /** RFC 3489 SOURCE-ADDRESS; RFC 5780's RESPONSE-ORIGIN for classic clients. */
    public static final int SOURCE_ADDRESS = 0x0004;
    /** RFC 3489 CHANGED-ADDRESS; RFC 5780's OTHER-ADDRESS for classic clients. */
    public static final int CHANGED_ADDRESS = 0x0005;
    public static final int ERROR_CODE = 0x0009;
    public static final int UNKNOWN_ATTRIBUTES = 0x000A;
    public static final int XOR_MAPPED_ADDRESS = 0x0020;
    public static final int SOFTWARE = 0x8022;
    public static final int FINGERPRINT = 0x8028;
    public static final int RESPONSE_ORIGIN = 0x802b;
    public static final int OTHER_ADDRESS = 0x802c;

    /** CHANGE-REQUEST flag bits (RFC 5780 section 7.2). */
    public static final int CHANGE_IP = 0x04, CHANGE_PORT = 0x02;

    public static final int FAMILY_IPV4 = 0x01, FAMILY_IPV6 = 0x02;

    /** SOFTWARE must be fewer than 128 characters (and so at most 763 bytes of UTF-8). */
    public static final int MAX_SOFTWARE_CHARS = 127;

    private StunWire() {}

    /** One attribute; {@code value} is unpadded. The array is shared, not copied. */
    public record Attribute(int type, byte[] value) {
        public Attribute {
            if (type < 0 || type > 0xFFFF) {
                throw new IllegalArgumentException("attribute type out of range: " + type);
            }
            Objects.requireNonNull(value, "value");
            if (value.length > 0xFFFF - 4) {
                throw new IllegalArgumentException("attribute value too long: " + value.length);
            }
        }

        /** Comprehension-required attributes are the ones below 0x8000. */
        public boolean comprehensionRequired() {
            return type < 0x8000;
        }

        @Override
        public String toString() {
            return String.format("Attribute[0x%04x, %s]", type, HexFormat.of().formatHex(value));
        }
    }

    /**
     * A decoded or to-be-encoded message. {@code cookie} is the 32 bits after the length
     * ({@link #MAGIC_COOKIE} for RFC 5389+ clients); {@code transactionId} is 12 bytes (shared).
     */
    public record Message(int type, int cookie, byte[] transactionId, List<Attribute> attributes) {
        public Message {
            if (type < 0 || type > 0x3FFF) {
                throw new IllegalArgumentException("message type out of range: " + type);
            }
            Objects.requireNonNull(transactionId, "transactionId");
            if (transactionId.length != TRANSACTION_ID_LENGTH) {
                throw new IllegalArgumentException("transaction id must be 12 bytes, got " + transactionId.length);
            }
            attributes = List.copyOf(attributes);
        }

        public boolean hasMagicCookie() {
            return cookie == MAGIC_COOKIE;
        }

        /** The first attribute of this type, or null. */
        public Attribute first(int attributeType) {
            for (Attribute a : attributes) {
                if (a.type() == attributeType) {
                    return a;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return String.format("Message[0x%04x, cookie %08x, txid %s, %s]", type, cookie,
                    HexFormat.of().formatHex(transactionId), attributes);
        }
    }

    /** Class bits of a message type: 0 request, 1 indication, 2 success, 3 error. */
    public static int messageClass(int type) {
        return ((type >> 7) & 0b10) | ((type >> 4) & 0b01);
    }

    /** The 12-bit method of a message type (1 = Binding). */
    public static int method(int type) {
        return (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
    }

    // ---------------------------------------------------------------- decoding

    /** Decodes a whole datagram. */
    public static Message decode(byte[] datagram) throws StunFormatException {
        return decode(datagram, 0, datagram.length);
    }

    /**
     * Decodes {@code buf[off, off + len)}, which must be exactly one message: the header's length
     * must match the datagram, be a multiple of 4, and every attribute (with padding) must fit. A
     * FINGERPRINT attribute must be last, 4 bytes long and correct.
     */
    public static Message decode(byte[] buf, int off, int len) throws StunFormatException {
        if (buf == null || off < 0 || len < 0 || off > buf.length - len) {
            throw new StunFormatException("no such byte range");
        }
        if (len < HEADER_LENGTH) {
            throw new StunFormatException("shorter than a STUN header: " + len + " bytes");
        }
        int type = u16(buf, off);
        if ((type & 0xC000) != 0) {
            throw new StunFormatException("top two bits of the type are not zero");
        }
        int length = u16(buf, off + 2);
        if ((length & 3) != 0) {
            throw new StunFormatException("message length not a multiple of 4: " + length);
        }
        if (length != len - HEADER_LENGTH) {
            throw new StunFormatException("message length " + length + " does not match the "
                    + (len - HEADER_LENGTH) + " bytes after the header");
        }
        int cookie = i32(buf, off + 4);
        byte[] txid = Arrays.copyOfRange(buf, off + 8, off + HEADER_LENGTH);
        List<Attribute> attrs = new ArrayList<>();
        int end = off + len;
        int p = off + HEADER_LENGTH;
        while (p < end) {
            if (end - p < 4) {
                throw new StunFormatException("truncated attribute header at offset " + (p - off));
            }
            int at = u16(buf, p);
            int alen = u16(buf, p + 2);
            int padded = (alen + 3) & ~3;
            if (padded > end - p - 4) {
                throw new StunFormatException(String.format("attribute 0x%04x of %d bytes runs past the end", at, alen));
            }
            if (at == FINGERPRINT) {
                if (alen != 4) {
                    throw new StunFormatException("FINGERPRINT must be 4 bytes, got " + alen);
                }
                if (p + 8 != end) {
                    throw new StunFormatException("FINGERPRINT is not the last attribute");
                }
                int want = fingerprint(buf, off, p - off);
                if (i32(buf, p + 4) != want) {
                    throw new StunFormatException("wrong FINGERPRINT");
                }
            }
            attrs.add(new Attribute(at, Arrays.copyOfRange(buf, p + 4, p + 4 + alen)));
            p += 4 + padded;
        }
        return new Message(type, cookie, txid, attrs);
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes the message, appending a FINGERPRINT attribute if asked. Padding bytes are zero. */
    public static byte[] encode(Message m, boolean fingerprint) {
        int size = HEADER_LENGTH;
        for (Attribute a : m.attributes()) {
            size += 4 + ((a.value().length + 3) & ~3);
        }
        if (fingerprint) {
            size += 8;
        }
        if (size - HEADER_LENGTH > 0xFFFF) {
            throw new IllegalArgumentException("message too long: " + size + " bytes");
        }
        byte[] out = new byte[size];
        put16(out, 0, m.type());
        put16(out, 2, size - HEADER_LENGTH);
        put32(out, 4, m.cookie());
        System.arraycopy(m.transactionId(), 0, out, 8, TRANSACTION_ID_LENGTH);
        int p = HEADER_LENGTH;
        for (Attribute a : m.attributes()) {
            put16(out, p, a.type());
            put16(out, p + 2, a.value().length);
            System.arraycopy(a.value(), 0, out, p + 4, a.value().length);
            p += 4 + ((a.value().length + 3) & ~3);
        }
        if (fingerprint) {
            put16(out, p, FINGERPRINT);
            put16(out, p + 2, 4);
            put32(out, p + 4, fingerprint(out, 0, p));
        }
        return out;
    }

    /**
     * The FINGERPRINT value for a message whose first {@code upTo} bytes (header included, its
     * length already counting the FINGERPRINT attribute) precede the FINGERPRINT attribute.
     */
    public static int fingerprint(byte[] buf, int off, int upTo) {
        CRC32 crc = new CRC32();
        crc.update(buf, off, upTo);
        return (int) crc.getValue() ^ FINGERPRINT_XOR;
    }

    // ---------------------------------------------------------------- attribute values

    /** MAPPED-ADDRESS-style value (also SOURCE-ADDRESS, CHANGED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS). */
    public static byte[] addressValue(InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        byte[] v = new byte[4 + ip.length];
        v[1] = (byte) (ip.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6);
        put16(v, 2, a.getPort());
        System.arraycopy(ip, 0, v, 4, ip.length);
        return v;
    }

    /** XOR-MAPPED-ADDRESS value for {@code a} in a message with this cookie and transaction id. */
    public static byte[] xorAddressValue(InetSocketAddress a, int cookie, byte[] transactionId) {
        byte[] v = addressValue(a);
        xorInPlace(v, cookie, transactionId);
        return v;
    }

    /** Decodes a MAPPED-ADDRESS-style value. */
    public static InetSocketAddress decodeAddress(byte[] v) throws StunFormatException {
        checkAddress(v);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(v, 4, v.length)), u16(v, 2));
        } catch (UnknownHostException e) {
            throw new StunFormatException("bad address: " + e.getMessage());
        }
    }

    /** Decodes an XOR-MAPPED-ADDRESS value from a message with this cookie and transaction id. */
    public static InetSocketAddress decodeXorAddress(byte[] v, int cookie, byte[] transactionId)
            throws StunFormatException {
        checkAddress(v);
        byte[] copy = v.clone();
        xorInPlace(copy, cookie, transactionId);
        return decodeAddress(copy);
    }

    private static void checkAddress(byte[] v) throws StunFormatException {
        if (v.length == 8 && v[1] == FAMILY_IPV4 || v.length == 20 && v[1] == FAMILY_IPV6) {
            return;
        }
        throw new StunFormatException("bad address attribute: " + v.length + " bytes, family " + (v.length > 1 ? v[1] : -1));
    }

    private static void xorInPlace(byte[] v, int cookie, byte[] txid) {
        v[2] ^= (byte) (cookie >>> 24);
        v[3] ^= (byte) (cookie >>> 16);
        byte[] key = new byte[16];
        put32(key, 0, cookie);
        System.arraycopy(txid, 0, key, 4, TRANSACTION_ID_LENGTH);
        for (int i = 4; i < v.length; i++) {
            v[i] ^= key[i - 4];
        }
    }

    /** ERROR-CODE value: two zero bytes, class (hundreds), number (0-99), UTF-8 reason. */
    public static byte[] errorCodeValue(int code, String reason) {
        if (code < 300 || code > 699) {
            throw new IllegalArgumentException("error code must be in [300, 699], got " + code);
        }
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[4 + r.length];
        v[2] = (byte) (code / 100);
        v[3] = (byte) (code % 100);
        System.arraycopy(r, 0, v, 4, r.length);
        return v;
    }

    /** The error code (e.g. 420) in an ERROR-CODE value. */
    public static int decodeErrorCode(byte[] v) throws StunFormatException {
        if (v.length < 4) {
            throw new StunFormatException("ERROR-CODE shorter than 4 bytes");
        }
        return (v[2] & 7) * 100 + (v[3] & 0xFF);
    }

    /** UNKNOWN-ATTRIBUTES value: the types, 16 bits each. */
    public static byte[] unknownAttributesValue(int[] types) {
        byte[] v = new byte[2 * types.length];
        for (int i = 0; i < types.length; i++) {
            put16(v, 2 * i, types[i]);
        }
        return v;
    }

    /** The types listed in an UNKNOWN-ATTRIBUTES value. */
    public static int[] decodeUnknownAttributes(byte[] v) throws StunFormatException {
        if ((v.length & 1) != 0) {
            throw new StunFormatException("UNKNOWN-ATTRIBUTES of odd length");
        }
        int[] t = new int[v.length / 2];
        for (int i = 0; i < t.length; i++) {
            t[i] = u16(v, 2 * i);
        }
        return t;
    }

    /** CHANGE-REQUEST value with these flag bits ({@link #CHANGE_IP}, {@link #CHANGE_PORT}). */
    public static byte[] changeRequestValue(int flags) {
        byte[] v = new byte[4];
        put32(v, 0, flags);
        return v;
    }

    // ---------------------------------------------------------------- bytes

    public static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    public static int i32(byte[] b, int i) {
        return (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
    }

    public static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    public static void put32(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
