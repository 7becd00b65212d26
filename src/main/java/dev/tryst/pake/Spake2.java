package dev.tryst.pake;

import cafe.cryptography.curve25519.CompressedEdwardsY;
import cafe.cryptography.curve25519.Constants;
import cafe.cryptography.curve25519.EdwardsBasepointTable;
import cafe.cryptography.curve25519.EdwardsPoint;
import cafe.cryptography.curve25519.InvalidEncodingException;
import cafe.cryptography.curve25519.Scalar;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;

/**
 * SPAKE2 over the Ed25519 group, byte-compatible with python-spake2 0.8
 * ({@code SPAKE2_Symmetric}, {@code SPAKE2_A}, {@code SPAKE2_B} with the default
 * {@code ParamsEd25519}) and RustCrypto's {@code spake2} crate, i.e. the PAKE used by
 * magic-wormhole.
 *
 * <h2>Wire format</h2>
 * Each side sends exactly one message of {@value #MESSAGE_LENGTH} bytes:
 * <pre>
 *   byte 0      side byte: 0x53 'S' (symmetric), 0x41 'A' or 0x42 'B'
 *   bytes 1..32 the element X* = x·G + pw·P, as a standard 32-byte compressed
 *               Edwards point (little-endian y, sign of x in the top bit of byte 32)
 * </pre>
 * where G is the Ed25519 base point, x a fresh random scalar, pw the password scalar
 * and P the blinding point: S for symmetric mode, M for side A, N for side B.
 * The side byte is not part of the transcript hash; it only stops two peers on the
 * same side (A/A or B/B) or a symmetric peer and an A/B peer from talking.
 *
 * <h2>Algorithm (as python-spake2 0.8 does it)</h2>
 * <ul>
 * <li>pw = HKDF-SHA256(ikm = password, salt = none (zeros), info = "SPAKE2 pw", L = 48)
 *     read as a <b>big-endian</b> integer, reduced mod ℓ.</li>
 * <li>x = 64 random bytes read as a <b>big-endian</b> integer, reduced mod ℓ.</li>
 * <li>On receipt of Y*: K = x·(Y* − pw·Q) with Q the peer's blinding point
 *     (S for symmetric, N when we are A, M when we are B).</li>
 * <li>Symmetric key = SHA256(SHA256(password) ‖ SHA256(idS) ‖ min(X*,Y*) ‖ max(X*,Y*) ‖ K),
 *     with X*, Y* the 32-byte points (no side byte), ordered as unsigned byte strings.</li>
 * <li>A/B key = SHA256(SHA256(password) ‖ SHA256(idA) ‖ SHA256(idB) ‖ X*_A ‖ Y*_B ‖ K).</li>
 * <li>"password" in the hashes is the raw password bytes (not the scalar); K and all points
 *     are 32-byte compressed encodings.</li>
 * </ul>
 * The inbound point must decode canonically, be in the prime-order subgroup
 * (python-spake2 checks ℓ·P = 0 too) and not be the identity, and must not equal our
 * own outbound point (reflection).
 *
 * <h2>Constants</h2>
 * Derived by python-spake2's {@code arbitrary_element(seed)} (HKDF-SHA256 of the seed,
 * info "SPAKE2 arbitrary element", 48 bytes big-endian mod p; first y that is on the
 * curve with even x, times the cofactor 8):
 * <pre>
 *   S (seed "symmetric") = 6f00dae87c1be1a73b5922ef431cd8f57879569c222d22b1cd71e8546ab8e6f1
 *   M (seed "M")         = 15cfd18e385952982b6a8f8c7854963b58e34388c8e6dae891db756481a02312
 *   N (seed "N")         = f04f2e7eb734b2a8f8b472eaf9c3c632576ac64aea650b496a8a20ff00e583c3
 * </pre>
 *
 * <h2>References</h2>
 * Abdalla &amp; Pointcheval, "Simple Password-Based Encrypted Key Exchange Protocols"
 * (CT-RSA 2005); python-spake2 0.8 ({@code spake2/spake2.py}, {@code ed25519_basic.py},
 * {@code groups.py}); RustCrypto {@code spake2} crate ({@code src/ed25519.rs}).
 *
 * <p>An instance is single use: {@link #finish} may be called once. Instances are
 * thread-safe but there is no reason to share one.
 */
public final class Spake2 {

    /** Side byte plus a 32-byte compressed Edwards point. */
    public static final int MESSAGE_LENGTH = 33;
    /** Length of the derived shared key. */
    public static final int KEY_LENGTH = 32;

    static final byte SIDE_SYMMETRIC = 'S';
    static final byte SIDE_A = 'A';
    static final byte SIDE_B = 'B';

    static final String S_HEX = "6f00dae87c1be1a73b5922ef431cd8f57879569c222d22b1cd71e8546ab8e6f1";
    static final String M_HEX = "15cfd18e385952982b6a8f8c7854963b58e34388c8e6dae891db756481a02312";
    static final String N_HEX = "f04f2e7eb734b2a8f8b472eaf9c3c632576ac64aea650b496a8a20ff00e583c3";

    // Precomputed (constant-time) multiplication tables: pw·S, pw·M, pw·N are computed for every
    // session, and a fixed-base table is several times faster than multiply(). Each is built on
    // first use only (holder classes): a command-line run needs S alone, and building all three at
    // class load cost ~30 ms of a cold start.
    private static final class SymmetricTable {
        static final EdwardsBasepointTable S = new EdwardsBasepointTable(constantPoint(S_HEX));
    }

    private static final class MTable {
        static final EdwardsBasepointTable M = new EdwardsBasepointTable(constantPoint(M_HEX));
    }

    private static final class NTable {
        static final EdwardsBasepointTable N = new EdwardsBasepointTable(constantPoint(N_HEX));
    }

    private static final byte[] PW_INFO = "SPAKE2 pw".getBytes(StandardCharsets.US_ASCII);
    private static final int PW_OKM_LENGTH = 32 + 16;
    private static final int ENTROPY_LENGTH = 64;

    private final byte side;
    /** pw times the peer's blinding point, computed up front (the same point as ours in symmetric mode). */
    private EdwardsPoint peerBlindingTimesPw;
    /** SHA256(password), SHA256(idA or idS), SHA256(idB) or null in symmetric mode. */
    private byte[] pwHash;
    private final byte[] idAHash;
    private final byte[] idBHash;
    private Scalar pwScalar;
    private Scalar xyScalar;
    /** Our 32-byte point X* (without side byte). */
    private final byte[] outboundPoint;
    private volatile boolean finished;

    private Spake2(byte side, byte[] password, byte[] idA, byte[] idB, byte[] entropy) {
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(idA, side == SIDE_SYMMETRIC ? "idSymmetric" : "idA");
        if (entropy.length != ENTROPY_LENGTH) {
            throw new IllegalArgumentException("entropy must be " + ENTROPY_LENGTH + " bytes, got " + entropy.length);
        }
        this.side = side;
        this.pwHash = sha256(password);
        this.idAHash = sha256(idA);
        this.idBHash = idB == null ? null : sha256(Objects.requireNonNull(idB));
        this.pwScalar = passwordToScalar(password);
        this.xyScalar = scalarFromBigEndianEntropy(entropy);
        Arrays.fill(entropy, (byte) 0);
        EdwardsPoint myBlindingTimesPw = switch (side) {
            case SIDE_SYMMETRIC -> SymmetricTable.S.multiply(pwScalar);
            case SIDE_A -> MTable.M.multiply(pwScalar);
            case SIDE_B -> NTable.N.multiply(pwScalar);
            default -> throw new IllegalArgumentException("bad side");
        };
        this.peerBlindingTimesPw = switch (side) {
            case SIDE_SYMMETRIC -> myBlindingTimesPw;
            case SIDE_A -> NTable.N.multiply(pwScalar);
            default -> MTable.M.multiply(pwScalar);
        };
        EdwardsPoint x = Constants.ED25519_BASEPOINT_TABLE.multiply(xyScalar).add(myBlindingTimesPw);
        this.outboundPoint = x.compress().toByteArray();
    }

    /** Symmetric mode (python {@code SPAKE2_Symmetric}); both peers call this. */
    public static Spake2 startSymmetric(byte[] password, byte[] idSymmetric, SecureRandom random) {
        return new Spake2(SIDE_SYMMETRIC, password, idSymmetric, null, entropy(random));
    }

    /** Side A of asymmetric mode (python {@code SPAKE2_A}); the peer must use {@link #startB}. */
    public static Spake2 startA(byte[] password, byte[] idA, byte[] idB, SecureRandom random) {
        return new Spake2(SIDE_A, password, idA, Objects.requireNonNull(idB, "idB"), entropy(random));
    }

    /** Side B of asymmetric mode (python {@code SPAKE2_B}); the peer must use {@link #startA}. */
    public static Spake2 startB(byte[] password, byte[] idA, byte[] idB, SecureRandom random) {
        return new Spake2(SIDE_B, password, idA, Objects.requireNonNull(idB, "idB"), entropy(random));
    }

    /**
     * Test hook: start with fixed 64-byte entropy, consumed exactly like python-spake2's
     * {@code entropy_f(64)} (big-endian integer mod ℓ). {@code idB} is ignored for symmetric.
     */
    static Spake2 startWithEntropy(byte side, byte[] password, byte[] idA, byte[] idB, byte[] entropy) {
        return new Spake2(side, password, idA, side == SIDE_SYMMETRIC ? null : idB, entropy.clone());
    }

    /** A copy of our outbound {@value #MESSAGE_LENGTH}-byte message. */
    public byte[] message() {
        byte[] msg = new byte[MESSAGE_LENGTH];
        msg[0] = side;
        System.arraycopy(outboundPoint, 0, msg, 1, 32);
        return msg;
    }

    /**
     * Processes the peer's message and returns the {@value #KEY_LENGTH}-byte shared key.
     * May be called once; the instance is spent even if this throws.
     *
     * @throws PakeException if the peer's message is malformed or malicious
     * @throws IllegalStateException if called a second time
     */
    public synchronized byte[] finish(byte[] peerMessage) throws PakeException {
        if (finished) {
            throw new IllegalStateException("Spake2.finish() may only be called once");
        }
        finished = true;
        try {
            return doFinish(peerMessage);
        } finally {
            Arrays.fill(pwHash, (byte) 0);
            pwHash = null;
            pwScalar = null;
            xyScalar = null;
            peerBlindingTimesPw = null;
        }
    }

    private byte[] doFinish(byte[] peerMessage) throws PakeException {
        if (peerMessage == null) {
            throw new PakeException("peer message is null");
        }
        if (peerMessage.length != MESSAGE_LENGTH) {
            throw new PakeException("peer message must be " + MESSAGE_LENGTH + " bytes, got " + peerMessage.length);
        }
        byte peerSide = peerMessage[0];
        byte expected = switch (side) {
            case SIDE_A -> SIDE_B;
            case SIDE_B -> SIDE_A;
            default -> SIDE_SYMMETRIC;
        };
        if (peerSide != expected) {
            throw new PakeException(String.format(
                    "peer message has side byte 0x%02x, expected 0x%02x ('%c'); we are side '%c'%s",
                    peerSide & 0xff, expected, (char) expected, (char) side,
                    peerSide == side && side != SIDE_SYMMETRIC ? " too (both peers on the same side)" : ""));
        }
        byte[] inboundPoint = Arrays.copyOfRange(peerMessage, 1, MESSAGE_LENGTH);
        EdwardsPoint y = decodeSubgroupPoint(inboundPoint);
        if (MessageDigest.isEqual(inboundPoint, outboundPoint)) {
            throw new PakeException("peer message reflects our own message");
        }
        EdwardsPoint k = y.subtract(peerBlindingTimesPw).multiply(xyScalar);
        byte[] kBytes = k.compress().toByteArray();
        MessageDigest sha = sha256Digest();
        sha.update(pwHash);
        sha.update(idAHash);
        if (side == SIDE_SYMMETRIC) {
            boolean oursFirst = Arrays.compareUnsigned(outboundPoint, inboundPoint) <= 0;
            sha.update(oursFirst ? outboundPoint : inboundPoint);
            sha.update(oursFirst ? inboundPoint : outboundPoint);
        } else {
            sha.update(idBHash);
            sha.update(side == SIDE_A ? outboundPoint : inboundPoint);
            sha.update(side == SIDE_A ? inboundPoint : outboundPoint);
        }
        sha.update(kBytes);
        Arrays.fill(kBytes, (byte) 0);
        return sha.digest();
    }

    /** Decodes a point strictly: canonical encoding, prime-order subgroup, not the identity. */
    static EdwardsPoint decodeSubgroupPoint(byte[] encoded) throws PakeException {
        EdwardsPoint p;
        try {
            p = new CompressedEdwardsY(encoded).decompress();
        } catch (InvalidEncodingException e) {
            throw new PakeException("peer point does not decode to a curve point (" + encoded.length + " bytes)", e);
        }
        if (!Arrays.equals(p.compress().toByteArray(), encoded)) {
            throw new PakeException("peer point has a non-canonical encoding");
        }
        if (p.isIdentity()) {
            throw new PakeException("peer point is the identity element");
        }
        if (p.isSmallOrder()) {
            throw new PakeException("peer point has small order (order divides 8)");
        }
        if (!p.isTorsionFree()) {
            throw new PakeException("peer point is not in the prime-order subgroup");
        }
        return p;
    }

    /** python-spake2: HKDF-SHA256(pw, info="SPAKE2 pw", 48 bytes), big-endian, mod ℓ. */
    static Scalar passwordToScalar(byte[] password) {
        byte[] okm;
        try {
            KDF hkdf = KDF.getInstance("HKDF-SHA256");
            okm = hkdf.deriveData(HKDFParameterSpec.ofExtract()
                    .addIKM(password)
                    .thenExpand(PW_INFO, PW_OKM_LENGTH));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 unavailable", e);
        }
        try {
            return bigEndianModOrder(okm);
        } finally {
            Arrays.fill(okm, (byte) 0);
        }
    }

    /** python-spake2 ed25519 random_scalar: 64 bytes as a big-endian integer mod ℓ. */
    static Scalar scalarFromBigEndianEntropy(byte[] entropy) {
        return bigEndianModOrder(entropy);
    }

    /** Package-private for tests: 32-byte little-endian encoding of the password scalar. */
    static byte[] passwordScalarBytes(byte[] password) {
        return passwordToScalar(password).toByteArray();
    }

    /** Package-private for tests: our secret scalar x (little-endian), or null after finish. */
    synchronized byte[] secretScalarBytes() {
        return xyScalar == null ? null : xyScalar.toByteArray();
    }

    private static Scalar bigEndianModOrder(byte[] bigEndian) {
        if (bigEndian.length > 64) {
            throw new IllegalArgumentException("at most 64 bytes");
        }
        byte[] wide = new byte[64];
        for (int i = 0; i < bigEndian.length; i++) {
            wide[i] = bigEndian[bigEndian.length - 1 - i];
        }
        try {
            return Scalar.fromBytesModOrderWide(wide);
        } finally {
            Arrays.fill(wide, (byte) 0);
        }
    }

    private static byte[] entropy(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        byte[] e = new byte[ENTROPY_LENGTH];
        random.nextBytes(e);
        return e;
    }

    private static EdwardsPoint constantPoint(String hex) {
        try {
            EdwardsPoint p = new CompressedEdwardsY(HexFormat.of().parseHex(hex)).decompress();
            if (p.isIdentity() || !p.isTorsionFree()) {
                throw new ExceptionInInitializerError("bad SPAKE2 constant " + hex);
            }
            return p;
        } catch (InvalidEncodingException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        return sha256Digest().digest(data);
    }

    /** Never reveals secrets. */
    @Override
    public String toString() {
        return "Spake2[side=" + (char) side + ", finished=" + finished + "]";
    }
}
