package dev.tryst.channel;

import static dev.tryst.wire.RecordWire.*;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of the channel: AES-256-GCM with a key, a base iv and a record counter.
 * Not thread-safe: the channel gives each direction to one thread at a time.
 */
final class RecordCipher {
    private final Cipher cipher;
    private final int mode;
    private final byte[] iv;
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private byte[] key;
    private SecretKeySpec keySpec;
    private final long rekeyInterval;
    private long counter;

    private RecordCipher(int mode, byte[] key, byte[] iv, long rekeyInterval) {
        if (key.length != KEY_LENGTH || iv.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("key must be 32 bytes and iv 12, got " + key.length + " and " + iv.length);
        }
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
        this.mode = mode;
        this.rekeyInterval = rekeyInterval;
        this.key = key.clone();
        this.iv = iv.clone();
        this.keySpec = new SecretKeySpec(this.key, "AES");
    }

    static RecordCipher sealer(byte[] key, byte[] iv) {
        return new RecordCipher(Cipher.ENCRYPT_MODE, key, iv, REKEY_INTERVAL);
    }

    static RecordCipher opener(byte[] key, byte[] iv) {
        return new RecordCipher(Cipher.DECRYPT_MODE, key, iv, REKEY_INTERVAL);
    }

    /** With a short rekey interval, so tests can cross key boundaries. */
    static RecordCipher withRekeyInterval(boolean seal, byte[] key, byte[] iv, long interval) {
        return new RecordCipher(seal ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key, iv, interval);
    }

    long counter() {
        return counter;
    }

    /** Writes header, ciphertext and tag for one record into {@code out}; returns the record's length. */
    int seal(byte type, byte[] in, int off, int len, byte[] out, int outOff) throws ChannelException {
        int body = len + TAG_LENGTH;
        out[outOff] = type;
        out[outOff + 1] = (byte) (body >>> 16);
        out[outOff + 2] = (byte) (body >>> 8);
        out[outOff + 3] = (byte) body;
        try {
            nextNonce();
            cipher.updateAAD(out, outOff, HEADER_LENGTH);
            int n = cipher.doFinal(in, off, len, out, outOff + HEADER_LENGTH);
            return HEADER_LENGTH + n;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing a record failed", e);
        }
    }

    /**
     * Authenticates and decrypts one record body ({@code body[0..bodyLen)}, ciphertext then tag)
     * under the header bytes {@code header[hOff..hOff+4)}; returns the plaintext length.
     */
    int open(byte[] header, int hOff, byte[] body, int bOff, int bodyLen, byte[] out) throws ChannelException {
        long record = counter;
        try {
            nextNonce();
            cipher.updateAAD(header, hOff, HEADER_LENGTH);
            return cipher.doFinal(body, bOff, bodyLen, out, 0);
        } catch (AEADBadTagException e) {
            throw new ChannelException("record " + record + " failed authentication: modified, replayed, reordered,"
                    + " reflected or from another session");
        } catch (GeneralSecurityException e) {
            throw new ChannelException("record " + record + " could not be decrypted: " + e.getMessage(), e);
        }
    }

    private void nextNonce() throws GeneralSecurityException, ChannelException {
        if (counter >= MAX_RECORDS) {
            throw new ChannelException("channel used for " + counter + " records; start a new session");
        }
        if (counter > 0 && counter % rekeyInterval == 0) {
            byte[] next = Hkdf.expand(key, REKEY_LABEL, KEY_LENGTH);
            Arrays.fill(key, (byte) 0);
            key = next;
            keySpec = new SecretKeySpec(key, "AES");
        }
        System.arraycopy(iv, 0, nonce, 0, NONCE_LENGTH);
        long c = counter++;
        for (int i = 0; i < 8; i++) {
            nonce[NONCE_LENGTH - 1 - i] ^= (byte) (c >>> (8 * i));
        }
        cipher.init(mode, keySpec, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
    }

    @Override
    public String toString() {
        return "RecordCipher[" + (mode == Cipher.ENCRYPT_MODE ? "seal" : "open") + ", record " + counter + "]";
    }
}
