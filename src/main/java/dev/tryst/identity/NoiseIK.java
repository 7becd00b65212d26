package dev.tryst.identity;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Noise IK handshake, {@code Noise_IK_25519_AESGCM_SHA256} (The Noise Protocol Framework,
 * revision 34), as a pure state machine: it computes messages and reads them, and never touches a
 * socket. {@link PeerKeys} runs it on each candidate path.
 *
 * <pre>
 *  IK:
 *    &lt;- s                         the initiator knows the responder's static key beforehand
 *    ...
 *    -&gt; e, es, s, ss              message 1: 32 + (32 + 16) + (payload + 16) bytes
 *    &lt;- e, ee, se                 message 2: 32 + (payload + 16) bytes
 * </pre>
 *
 * Message 1 proves the initiator's static key to the responder (ss) and hides it from everyone
 * else (encrypted under es); message 2 proves the responder's, and both ephemeral keys make the
 * result fresh (forward secrecy once the ephemerals are gone). The states are named by what is
 * known; a method called out of turn is our own bug ({@link IllegalStateException}); a message
 * that does not decrypt is a {@link NoiseException} and ends the handshake.
 */
final class NoiseIK {
    static final byte[] PROTOCOL_NAME = "Noise_IK_25519_AESGCM_SHA256".getBytes(StandardCharsets.US_ASCII);
    static final int DH_LENGTH = X25519.KEY_LENGTH;
    static final int TAG_LENGTH = 16;
    static final int HASH_LENGTH = 32;

    /** A handshake message that did not decrypt, or a key of small order. */
    static final class NoiseException extends Exception {
        private static final long serialVersionUID = 1L;

        NoiseException(String message) {
            super(message);
        }
    }

    private enum State { SEND_1, RECEIVE_1, SEND_2, RECEIVE_2, DONE, FAILED }

    private final boolean initiator;
    private final byte[] s;       // our static private scalar
    private final byte[] sPub;    // our static public
    private byte[] e;             // our ephemeral private scalar, once made
    private final byte[] ePub;
    private byte[] rs;            // their static public: given (initiator) or read (responder)
    private byte[] re;            // their ephemeral public
    private State state;

    // the symmetric state
    private byte[] ck;
    private byte[] h;
    private byte[] k;             // null: no key yet
    private long n;

    private NoiseIK(boolean initiator, byte[] prologue, byte[] s, byte[] rs, byte[][] ephemeral) {
        this.initiator = initiator;
        this.s = s.clone();
        this.sPub = X25519.publicKey(s);
        this.e = ephemeral[0].clone();
        this.ePub = ephemeral[1].clone();
        this.rs = rs == null ? null : rs.clone();
        // InitializeSymmetric: the name fits in HASHLEN, so h is it, zero-padded
        h = Arrays.copyOf(PROTOCOL_NAME, HASH_LENGTH);
        ck = h.clone();
        mixHash(prologue);
        // the pre-message: the responder's static key
        mixHash(initiator ? this.rs : sPub);
        state = initiator ? State.SEND_1 : State.RECEIVE_1;
    }

    /** The initiator, who knows the responder's static key {@code rs}. {@code ephemeral} is {private, public}. */
    static NoiseIK initiator(byte[] prologue, byte[] s, byte[] rs, byte[][] ephemeral) {
        return new NoiseIK(true, prologue, s, rs, ephemeral);
    }

    /** The responder, who learns the initiator's static key from message 1. */
    static NoiseIK responder(byte[] prologue, byte[] s, byte[][] ephemeral) {
        return new NoiseIK(false, prologue, s, null, ephemeral);
    }

    static int message1Length(int payload) {
        return DH_LENGTH + DH_LENGTH + TAG_LENGTH + payload + TAG_LENGTH;
    }

    static int message2Length(int payload) {
        return DH_LENGTH + payload + TAG_LENGTH;
    }

    /** Initiator: {@code -> e, es, s, ss, payload}. */
    byte[] writeMessage1(byte[] payload) throws NoiseException {
        expect(State.SEND_1);
        ByteBuffer out = ByteBuffer.allocate(message1Length(payload.length));
        out.put(ePub);
        mixHash(ePub);
        mixKey(dh(e, rs));                       // es
        out.put(encryptAndHash(sPub));           // s
        mixKey(dh(s, rs));                       // ss
        out.put(encryptAndHash(payload));
        state = State.RECEIVE_2;
        return out.array();
    }

    /** Responder: reads message 1 and returns its payload; {@link #remoteStatic()} is then the initiator's key. */
    byte[] readMessage1(byte[] message) throws NoiseException {
        expect(State.RECEIVE_1);
        if (message.length < message1Length(0)) {
            throw fail("a first handshake message of " + message.length + " bytes is too short");
        }
        re = Arrays.copyOfRange(message, 0, DH_LENGTH);
        mixHash(re);
        mixKey(dh(s, re));                                                        // es
        rs = decryptAndHash(Arrays.copyOfRange(message, DH_LENGTH, 2 * DH_LENGTH + TAG_LENGTH)); // s
        mixKey(dh(s, rs));                                                        // ss
        byte[] payload = decryptAndHash(Arrays.copyOfRange(message, 2 * DH_LENGTH + TAG_LENGTH, message.length));
        state = State.SEND_2;
        return payload;
    }

    /** Responder: {@code <- e, ee, se, payload}. */
    byte[] writeMessage2(byte[] payload) throws NoiseException {
        expect(State.SEND_2);
        ByteBuffer out = ByteBuffer.allocate(message2Length(payload.length));
        out.put(ePub);
        mixHash(ePub);
        mixKey(dh(e, re));                       // ee
        mixKey(dh(e, rs));                       // se: the initiator's static, our ephemeral
        out.put(encryptAndHash(payload));
        forgetEphemeral();
        state = State.DONE;
        return out.array();
    }

    /** Initiator: reads message 2 and returns its payload. */
    byte[] readMessage2(byte[] message) throws NoiseException {
        expect(State.RECEIVE_2);
        if (message.length < message2Length(0)) {
            throw fail("a second handshake message of " + message.length + " bytes is too short");
        }
        re = Arrays.copyOfRange(message, 0, DH_LENGTH);
        mixHash(re);
        mixKey(dh(e, re));                       // ee
        mixKey(dh(s, re));                       // se: our static, their ephemeral
        byte[] payload = decryptAndHash(Arrays.copyOfRange(message, DH_LENGTH, message.length));
        forgetEphemeral();
        state = State.DONE;
        return payload;
    }

    /** The other side's static public key: given to the initiator, read by the responder from message 1. */
    byte[] remoteStatic() {
        if (rs == null) {
            throw new IllegalStateException("the initiator's static key is known only after message 1");
        }
        return rs.clone();
    }

    /** The handshake hash h, which binds everything said: only once the handshake is done. */
    byte[] handshakeHash() {
        expect(State.DONE);
        return h.clone();
    }

    /** The chaining key after the last DH: the handshake's secret, only once it is done. */
    byte[] chainingKey() {
        expect(State.DONE);
        return ck.clone();
    }

    /** Noise's Split(): the two transport keys {initiator to responder, responder to initiator}. */
    byte[][] split() {
        expect(State.DONE);
        return hkdf(ck, new byte[0]);
    }

    /** Forgets every secret; the state can no longer be used. */
    void destroy() {
        Arrays.fill(s, (byte) 0);
        forgetEphemeral();
        if (k != null) Arrays.fill(k, (byte) 0);
        Arrays.fill(ck, (byte) 0);
        state = State.FAILED;
    }

    // ---- the symmetric state (Noise §5.2) ------------------------------------------------------

    private void mixHash(byte[] data) {
        h = sha256(h, data);
    }

    private void mixKey(byte[] ikm) {
        byte[][] out = hkdf(ck, ikm);
        Arrays.fill(ikm, (byte) 0);
        Arrays.fill(ck, (byte) 0);
        ck = out[0];
        k = out[1];
        n = 0;
    }

    private byte[] encryptAndHash(byte[] plaintext) throws NoiseException {
        byte[] c = k == null ? plaintext.clone() : aead(Cipher.ENCRYPT_MODE, plaintext);
        mixHash(c);
        return c;
    }

    private byte[] decryptAndHash(byte[] ciphertext) throws NoiseException {
        byte[] p = k == null ? ciphertext.clone() : aead(Cipher.DECRYPT_MODE, ciphertext);
        mixHash(ciphertext);
        return p;
    }

    /** AESGCM with nonce 0x00000000 ‖ n (64-bit big-endian) and the hash as associated data. */
    private byte[] aead(int mode, byte[] input) throws NoiseException {
        byte[] nonce = ByteBuffer.allocate(12).putInt(0).putLong(n).array();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(k, "AES"), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            c.updateAAD(h);
            byte[] out = c.doFinal(input);
            n++;
            return out;
        } catch (AEADBadTagException e) {
            throw fail("a handshake message did not decrypt");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK 25", e);
        }
    }

    private byte[] dh(byte[] scalar, byte[] publicKey) throws NoiseException {
        try {
            return X25519.dh(scalar, publicKey);
        } catch (GeneralSecurityException e) {
            throw fail("the other side sent a key of small order");
        }
    }

    /** Noise's HKDF with two outputs: HMAC-SHA256(HMAC-SHA256(ck, ikm), 0x01) and the next block. */
    static byte[][] hkdf(byte[] chainingKey, byte[] ikm) {
        byte[] temp = hmac(chainingKey, ikm);
        byte[] out1 = hmac(temp, new byte[] {1});
        byte[] in2 = Arrays.copyOf(out1, out1.length + 1);
        in2[out1.length] = 2;
        byte[] out2 = hmac(temp, in2);
        Arrays.fill(temp, (byte) 0);
        return new byte[][] {out1, out2};
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
        }
    }

    private static byte[] sha256(byte[] a, byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(a);
            d.update(b);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private void forgetEphemeral() {
        if (e != null) {
            Arrays.fill(e, (byte) 0);
            e = null;
        }
    }

    private void expect(State wanted) {
        if (state != wanted) {
            throw new IllegalStateException("Noise IK " + (initiator ? "initiator" : "responder") + " is at " + state
                    + ", not " + wanted);
        }
    }

    private NoiseException fail(String message) {
        destroy();
        return new NoiseException(message);
    }
}
