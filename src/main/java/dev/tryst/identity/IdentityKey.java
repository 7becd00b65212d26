package dev.tryst.identity;

import cafe.cryptography.curve25519.CompressedEdwardsY;
import cafe.cryptography.curve25519.EdwardsPoint;
import cafe.cryptography.curve25519.InvalidEncodingException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A long-term identity's public key: the raw 32-byte Ed25519 public key (RFC 8032 encoding).
 * Immutable; equal when the bytes are equal.
 *
 * <p>Only keys that decode to a point of the curve outside the small-order subgroup are accepted,
 * so every {@code IdentityKey} can verify signatures and be sealed to.
 *
 * <p><b>Fingerprint</b> ({@link #fingerprint()}): the first 20 bytes of SHA-256(key), in base32
 * (RFC 4648 alphabet, lowercase, no padding: 32 characters), in eight blocks of four joined by
 * {@code '-'}, e.g. {@code "abcd-efgh-ijkl-mnop-qrst-uvwx-yz23-4567"}. 160 bits: what people
 * compare out of band.
 */
public final class IdentityKey {
    public static final int LENGTH = 32;
    static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private final byte[] bytes;

    private IdentityKey(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * The key from its 32 raw bytes.
     *
     * @throws IllegalArgumentException if not 32 bytes, not a curve point, or a small-order point
     */
    public static IdentityKey of(byte[] raw) {
        if (raw == null || raw.length != LENGTH) {
            throw new IllegalArgumentException("an identity key is " + LENGTH + " bytes");
        }
        byte[] copy = raw.clone();
        EdwardsPoint point;
        try {
            point = new CompressedEdwardsY(copy).decompress();
        } catch (InvalidEncodingException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: not a point of the curve");
        }
        if (point.isSmallOrder() || !Arrays.equals(point.compress().toByteArray(), copy)) {
            throw new IllegalArgumentException("not an Ed25519 public key: small order or non-canonical");
        }
        return new IdentityKey(copy);
    }

    /** The key from 64 hex digits. */
    public static IdentityKey fromHex(String hex) {
        return of(HexFormat.of().parseHex(hex));
    }

    /** A copy of the 32 raw bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public String toHex() {
        return HexFormat.of().formatHex(bytes);
    }

    /** See the class comment for the format. */
    public String fingerprint() {
        byte[] digest = sha256(bytes);
        var sb = new StringBuilder(39);
        int chars = 0;
        // 20 bytes = 160 bits = exactly 32 base32 digits, so no padding case arises.
        long buffer = 0;
        int bits = 0;
        for (int i = 0; i < 20; i++) {
            buffer = (buffer << 8) | (digest[i] & 0xff);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                if (chars > 0 && chars % 4 == 0) sb.append('-');
                sb.append(BASE32[(int) (buffer >>> bits) & 31]);
                chars++;
            }
        }
        return sb.toString();
    }

    /** The X25519 public key (u-coordinate, 32 bytes little-endian) of the same point: u = (1 + y) / (1 - y). */
    byte[] toX25519() {
        byte[] le = bytes.clone();
        le[31] &= 0x7f; // drop the sign bit of x; y remains
        BigInteger y = new BigInteger(1, reverse(le));
        // y == 1 is the identity point, refused in of(); so 1 - y is invertible.
        BigInteger u = BigInteger.ONE.add(y).multiply(BigInteger.ONE.subtract(y).mod(P).modInverse(P)).mod(P);
        return littleEndian32(u);
    }

    /** The JDK's form of this key, for {@link java.security.Signature}. */
    PublicKey toJdk() {
        byte[] le = bytes.clone();
        boolean xOdd = (le[31] & 0x80) != 0;
        le[31] &= 0x7f;
        var point = new EdECPoint(xOdd, new BigInteger(1, reverse(le)));
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, point));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK 25", e);
        }
    }

    static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) r[i] = b[b.length - 1 - i];
        return r;
    }

    static byte[] littleEndian32(BigInteger v) {
        byte[] be = v.toByteArray(); // may carry a leading sign byte, or be short
        byte[] le = new byte[32];
        for (int i = 0; i < 32 && i < be.length; i++) le[i] = be[be.length - 1 - i];
        return le;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdentityKey k && MessageDigest.isEqual(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The fingerprint: what a person can compare. */
    @Override
    public String toString() {
        return fingerprint();
    }
}
