package dev.tryst.wire;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An immutable byte string, so records of the control wire compare, hash and print by value
 * (a {@code byte[]} field would compare by identity and print as an address).
 * {@link #toString()} shows the length and a short fingerprint only: these are keys, nonces and
 * signatures, and logs need to tell them apart, not to reproduce them.
 */
public final class Bytes {
    private static final HexFormat HEX = HexFormat.of();
    private static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] bytes;

    private Bytes(byte[] owned) {
        this.bytes = owned;
    }

    /** A copy of {@code bytes}: later changes to the array do not show. */
    public static Bytes of(byte... bytes) {
        return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
    }

    /** A copy of {@code length} bytes of {@code bytes} from {@code offset}. */
    public static Bytes of(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        return new Bytes(Arrays.copyOfRange(bytes, offset, offset + length));
    }

    /** Parses hex digits (either case, no separators). */
    public static Bytes fromHex(String hex) {
        return new Bytes(HEX.parseHex(hex));
    }

    public int length() {
        return bytes.length;
    }

    public byte get(int index) {
        return bytes[index];
    }

    /** A fresh copy of the bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Lower-case hex of all the bytes. */
    public String hex() {
        return HEX.formatHex(bytes);
    }

    /** Copies the bytes into {@code dst} at {@code offset}. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, bytes.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** {@code Bytes[32:1a2b3c4d…]}: the length and at most the first four bytes. */
    @Override
    public String toString() {
        int shown = Math.min(4, bytes.length);
        return "Bytes[" + bytes.length + ":" + HEX.formatHex(bytes, 0, shown) + (shown < bytes.length ? "…" : "") + "]";
    }
}
