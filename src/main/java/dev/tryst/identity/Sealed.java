package dev.tryst.identity;

import dev.tryst.channel.Hkdf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A short message sealed to one identity: only the holder of the recipient's private key can open
 * it (a server relaying it cannot), and opening it yields the sender's identity key, the time the
 * sender sealed it and a random message id, all authenticated by the sender's signature.
 *
 * <pre>
 *  0         1                          33
 *  +---------+--------------------------+-------------------------------------+-----------+
 *  | version |  ephemeral X25519 public |  ciphertext (120 + body length)     |  tag (16) |
 *  +---------+--------------------------+-------------------------------------+-----------+
 *  \__ header: 33 bytes, the AEAD's associated data __/
 *
 *  version    0x02 (0x01, without time and id, is refused: see {@link #open})
 *  plaintext  sender identity key (32) ‖ signature (64) ‖ sent at (8) ‖ message id (16) ‖ body (0 .. 65536)
 *  sent at    i64 big-endian, milliseconds since 1970-01-01T00:00Z by the sender's clock
 *  message id 16 random bytes
 *  signature  Ed25519 by the sender over
 *             "tryst/v2 sealed sender" (22 bytes ASCII) ‖ ephemeral public (32) ‖ recipient identity key (32)
 *             ‖ sent at (8) ‖ message id (16) ‖ body
 *  key        HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral public (32) ‖ recipient identity key (32),
 *             info = "tryst/v1 sealed", 32 bytes)
 *  cipher     AES-256-GCM, nonce 12 zero bytes (every key seals exactly one message), 16-byte tag
 * </pre>
 *
 * The recipient's X25519 key is its Ed25519 key moved to the Montgomery curve (u = (1+y)/(1-y));
 * its private scalar is the Ed25519 expanded scalar, clamped (see {@link Identity}). The signature
 * covers the ephemeral key and the recipient, so a sealed message cannot be re-sealed to someone
 * else under the original sender's name, and the time and id, so whoever holds a sealed message
 * (the server) can deliver it again but can neither re-date it nor make it look like another
 * message: the recipient shows the signed time and refuses an id it has shown before. Its label
 * differs from the login proof's and from format 1's, so no signature can stand in for another.
 */
public final class Sealed {
    private Sealed() {}

    public static final byte VERSION = 0x02;
    /** The first format: no signed time or id. Recognised only to be refused with a reason. */
    static final byte VERSION_UNDATED = 0x01;
    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    public static final int HEADER_LENGTH = 1 + KEY_LENGTH;
    /** Signed sender: identity key and signature, ahead of the stamp inside the ciphertext. */
    public static final int SENDER_LENGTH = IdentityKey.LENGTH + Identity.SIGNATURE_LENGTH;
    public static final int ID_LENGTH = 16;
    /** The signed stamp: sent-at time (8) and message id (16), between the sender and the body. */
    public static final int STAMP_LENGTH = Long.BYTES + ID_LENGTH;
    public static final int OVERHEAD = HEADER_LENGTH + SENDER_LENGTH + STAMP_LENGTH + TAG_LENGTH;
    /** Largest body: 64 KiB. */
    public static final int MAX_BODY = 64 * 1024;
    /** Largest sealed message; anything longer is refused before any work. */
    public static final int MAX_SEALED = OVERHEAD + MAX_BODY;

    static final String KEY_LABEL = "tryst/v1 sealed";
    static final byte[] SENDER_LABEL = "tryst/v2 sealed sender".getBytes(StandardCharsets.US_ASCII);

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * An opened message: who sealed it, when by their clock and under which id (all three
     * authenticated by the sender's signature), and what they said.
     */
    public record Opened(IdentityKey sender, Instant sent, byte[] id, byte[] body) {
        public Opened {
            id = id.clone();
            body = body.clone();
        }

        @Override
        public byte[] id() {
            return id.clone();
        }

        /** The message id as 32 lowercase hex digits. */
        public String idHex() {
            return HexFormat.of().formatHex(id);
        }

        @Override
        public byte[] body() {
            return body.clone();
        }
    }

    /** The signed stamp of a message: when it was sealed (ms since 1970) and its id. */
    record Stamp(long sentMillis, byte[] id) {
        Stamp {
            if (id.length != ID_LENGTH) {
                throw new IllegalArgumentException("a message id is " + ID_LENGTH + " bytes");
            }
            id = id.clone();
        }

        static Stamp fresh(InstantSource clock) {
            byte[] id = new byte[ID_LENGTH];
            RANDOM.nextBytes(id);
            return new Stamp(clock.millis(), id);
        }
    }

    /**
     * Seals {@code body} (at most {@value #MAX_BODY} bytes) from {@code sender} to {@code recipient},
     * stamped with {@code clock}'s time and a fresh random id.
     */
    public static byte[] seal(Identity sender, IdentityKey recipient, byte[] body, InstantSource clock) {
        Stamp stamp = Stamp.fresh(clock);
        return seal(sender, sender.publicKey(), recipient, stamp, stamp, body);
    }

    /**
     * As {@link #seal(Identity, IdentityKey, byte[], InstantSource)}, but naming {@code claimed} as
     * sender and signing {@code signed} while carrying {@code carried}: for tests of forgery only.
     */
    static byte[] seal(Identity signer, IdentityKey claimed, IdentityKey recipient, Stamp signed, Stamp carried, byte[] body) {
        if (body.length > MAX_BODY) {
            throw new IllegalArgumentException("a sealed body is at most " + MAX_BODY + " bytes, not " + body.length);
        }
        try {
            byte[][] ephemeral = X25519.generate(RANDOM);
            byte[] ephemeralPublic = ephemeral[1];
            byte[] recipientBytes = recipient.bytes();

            byte[] shared = X25519.dh(ephemeral[0], recipient.toX25519());
            Arrays.fill(ephemeral[0], (byte) 0);
            byte[] key = deriveKey(shared, ephemeralPublic, recipientBytes);

            byte[] signature = signer.sign(signedSender(ephemeralPublic, recipientBytes, signed, body));
            byte[] plaintext = ByteBuffer.allocate(SENDER_LENGTH + STAMP_LENGTH + body.length)
                    .put(claimed.bytes()).put(signature).putLong(carried.sentMillis()).put(carried.id()).put(body).array();

            byte[] out = new byte[HEADER_LENGTH + plaintext.length + TAG_LENGTH];
            out[0] = VERSION;
            System.arraycopy(ephemeralPublic, 0, out, 1, KEY_LENGTH);
            Cipher gcm = gcm(Cipher.ENCRYPT_MODE, key);
            gcm.updateAAD(out, 0, HEADER_LENGTH);
            gcm.doFinal(plaintext, 0, plaintext.length, out, HEADER_LENGTH);
            Arrays.fill(key, (byte) 0);
            Arrays.fill(plaintext, (byte) 0);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 and AES-GCM are part of every JDK 25", e);
        }
    }

    /**
     * Opens a message sealed to {@code recipient}.
     *
     * <p>Format 1 (before the signed time and id) is refused, not opened as "time unknown":
     * anyone holding such a message could deliver it again and again, at any time, and the
     * recipient could tell neither; messages of that format are at most 7 days old at any server
     * that keeps them, so refusing them costs a resend and closes the hole for good.
     *
     * @throws SealedException if it is too short or long, of another version, not sealed to this
     *     identity, altered in any bit, or its sender's signature (over the sender, the time, the
     *     id and the body) does not hold
     */
    public static Opened open(Identity recipient, byte[] sealed) throws SealedException {
        if (sealed == null || sealed.length == 0) throw new SealedException("sealed message too short");
        if (sealed[0] == VERSION_UNDATED) {
            throw new SealedException("sealed by an older tryst (format 1, without a signed time and message id, so a"
                    + " copy could be delivered again unnoticed); ask the sender to update tryst and send it again");
        }
        if (sealed[0] != VERSION) throw new SealedException("unknown sealed message version " + (sealed[0] & 0xff));
        if (sealed.length < OVERHEAD) throw new SealedException("sealed message too short");
        if (sealed.length > MAX_SEALED) {
            throw new SealedException("sealed message of " + sealed.length + " bytes exceeds " + MAX_SEALED);
        }
        byte[] ephemeralPublic = Arrays.copyOfRange(sealed, 1, HEADER_LENGTH);
        byte[] recipientBytes = recipient.publicKey().bytes();

        byte[] plaintext;
        byte[] privateScalar = recipient.x25519Private();
        try {
            byte[] shared = X25519.dh(privateScalar, ephemeralPublic);
            byte[] key = deriveKey(shared, ephemeralPublic, recipientBytes);
            Cipher gcm = gcm(Cipher.DECRYPT_MODE, key);
            Arrays.fill(key, (byte) 0);
            gcm.updateAAD(sealed, 0, HEADER_LENGTH);
            plaintext = gcm.doFinal(sealed, HEADER_LENGTH, sealed.length - HEADER_LENGTH);
        } catch (AEADBadTagException e) {
            throw new SealedException("cannot open sealed message: not for this identity, or altered");
        } catch (GeneralSecurityException e) {
            // e.g. an ephemeral key of small order: the JDK refuses an all-zero shared secret
            throw new SealedException("cannot open sealed message: bad ephemeral key");
        } finally {
            Arrays.fill(privateScalar, (byte) 0);
        }

        IdentityKey sender;
        try {
            sender = IdentityKey.of(Arrays.copyOf(plaintext, IdentityKey.LENGTH));
        } catch (IllegalArgumentException e) {
            throw new SealedException("sealed message names an invalid sender key");
        }
        byte[] signature = Arrays.copyOfRange(plaintext, IdentityKey.LENGTH, SENDER_LENGTH);
        ByteBuffer stampBytes = ByteBuffer.wrap(plaintext, SENDER_LENGTH, STAMP_LENGTH);
        long sentMillis = stampBytes.getLong();
        byte[] id = new byte[ID_LENGTH];
        stampBytes.get(id);
        Stamp stamp = new Stamp(sentMillis, id);
        byte[] body = Arrays.copyOfRange(plaintext, SENDER_LENGTH + STAMP_LENGTH, plaintext.length);
        Arrays.fill(plaintext, (byte) 0);
        if (!Identity.verify(sender, signedSender(ephemeralPublic, recipientBytes, stamp, body), signature)) {
            throw new SealedException("sealed message's sender signature does not verify for " + sender);
        }
        return new Opened(sender, Instant.ofEpochMilli(sentMillis), id, body);
    }

    static byte[] signedSender(byte[] ephemeralPublic, byte[] recipient, Stamp stamp, byte[] body) {
        return ByteBuffer.allocate(SENDER_LABEL.length + KEY_LENGTH + IdentityKey.LENGTH + STAMP_LENGTH + body.length)
                .put(SENDER_LABEL).put(ephemeralPublic).put(recipient).putLong(stamp.sentMillis()).put(stamp.id()).put(body).array();
    }

    private static byte[] deriveKey(byte[] shared, byte[] ephemeralPublic, byte[] recipient) {
        byte[] salt = ByteBuffer.allocate(KEY_LENGTH + IdentityKey.LENGTH).put(ephemeralPublic).put(recipient).array();
        byte[] prk = Hkdf.extract(salt, shared);
        Arrays.fill(shared, (byte) 0);
        byte[] key = Hkdf.expand(prk, KEY_LABEL, 32);
        Arrays.fill(prk, (byte) 0);
        return key;
    }

    private static Cipher gcm(int mode, byte[] key) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_LENGTH * 8, new byte[12]));
        return c;
    }
}
