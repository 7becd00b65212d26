package dev.tryst.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class NoiseIKTest {
    private static final HexFormat HEX = HexFormat.of();

    /*
     * The cacophony test vector for Noise_IK_25519_AESGCM_SHA256 (the Noise test-vector suite, as
     * carried by several independent implementations): fixed keys, prologue "John Galt", two
     * handshake messages with payloads, then four transport messages under Split()'s keys.
     */
    private static final byte[] PROLOGUE = "John Galt".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INIT_STATIC = HEX.parseHex("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1");
    private static final byte[] INIT_EPHEMERAL = HEX.parseHex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a");
    private static final byte[] RESP_STATIC = HEX.parseHex("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893");
    private static final byte[] RESP_EPHEMERAL = HEX.parseHex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b");
    private static final String HASH = "669c8640d9e42a3cda2f232f78597ceefb01daa6e3df81181ccce6fc6b5026bf";
    private static final String[][] MESSAGES = {
        {"4c756477696720766f6e204d69736573",
         "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
         + "4e417bc55c7a8166c993356c1be41ef67818a292426f301556c7f26b21d25ddb"
         + "097153891a9a956cff47b83e63ad8d70" + "1c1342c209cff1ca5ecd43402762ac24" + "9e3bd3a4c0a145fe07cb5dae28ea13a3"},
        {"4d757272617920526f746862617264",
         "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
         + "af2ccf9972e22afc67aeafcd25162f" + "7f98c363b7762e3e4cb7d272e39f27a5"},
        {"462e20412e20486179656b", "66acfc92e3197de166809e6d4d5d003dcc819a84bc3522ca53c9d9"},
        {"4361726c204d656e676572", "71f89aa6533a6de70b0826864dd75f60806ee40170c16290189eb3"},
        {"4a65616e2d426170746973746520536179", "4795a3423550c8bf00386bd496a3e2c76c10669d2a75ab8f79b5094c5412a25705"},
        {"457567656e2042f6686d20766f6e2042617765726b", "aa0bb39097555c918e40be82abc2b909eb79d9eb87adb07e268fc37323a6cf904fd01fb391"},
    };

    private static byte[][] pair(byte[] scalar) {
        return new byte[][] {scalar, X25519.publicKey(scalar)};
    }

    @Test
    void cacophonyVector() throws Exception {
        NoiseIK i = NoiseIK.initiator(PROLOGUE, INIT_STATIC, X25519.publicKey(RESP_STATIC), pair(INIT_EPHEMERAL));
        NoiseIK r = NoiseIK.responder(PROLOGUE, RESP_STATIC, pair(RESP_EPHEMERAL));

        byte[] m1 = i.writeMessage1(HEX.parseHex(MESSAGES[0][0]));
        assertEquals(MESSAGES[0][1], HEX.formatHex(m1));
        assertEquals(MESSAGES[0][0], HEX.formatHex(r.readMessage1(m1)));
        assertArrayEquals(X25519.publicKey(INIT_STATIC), r.remoteStatic());

        byte[] m2 = r.writeMessage2(HEX.parseHex(MESSAGES[1][0]));
        assertEquals(MESSAGES[1][1], HEX.formatHex(m2));
        assertEquals(MESSAGES[1][0], HEX.formatHex(i.readMessage2(m2)));

        assertEquals(HASH, HEX.formatHex(i.handshakeHash()));
        assertEquals(HASH, HEX.formatHex(r.handshakeHash()));
        assertArrayEquals(i.chainingKey(), r.chainingKey());

        byte[][] keys = i.split();
        long[] nonces = {0, 0};
        for (int m = 2; m < MESSAGES.length; m++) {
            int direction = m % 2; // 0: initiator to responder
            byte[] c = transport(keys[direction], nonces[direction]++, HEX.parseHex(MESSAGES[m][0]));
            assertEquals(MESSAGES[m][1], HEX.formatHex(c), "transport message " + m);
        }
    }

    private static byte[] transport(byte[] key, long n, byte[] plaintext) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(128, ByteBuffer.allocate(12).putInt(0).putLong(n).array()));
        return c.doFinal(plaintext);
    }

    @Test
    void aResponderWithAnotherStaticKeyCannotReadMessageOne() throws Exception {
        SecureRandom random = new SecureRandom();
        byte[] impostor = X25519.generate(random)[0];
        NoiseIK i = NoiseIK.initiator(PROLOGUE, INIT_STATIC, X25519.publicKey(RESP_STATIC), X25519.generate(random));
        NoiseIK r = NoiseIK.responder(PROLOGUE, impostor, X25519.generate(random));
        byte[] m1 = i.writeMessage1(new byte[0]);
        assertThrows(NoiseIK.NoiseException.class, () -> r.readMessage1(m1));
    }

    @Test
    void anotherPrologueFailsAndEveryFlippedBitFails() throws Exception {
        SecureRandom random = new SecureRandom();
        byte[] m1 = NoiseIK.initiator(PROLOGUE, INIT_STATIC, X25519.publicKey(RESP_STATIC), X25519.generate(random))
                .writeMessage1(new byte[] {1});
        assertThrows(NoiseIK.NoiseException.class,
                () -> NoiseIK.responder("other".getBytes(StandardCharsets.US_ASCII), RESP_STATIC, X25519.generate(random)).readMessage1(m1));
        for (int bit = 0; bit < m1.length * 8; bit += 7) {
            byte[] bad = m1.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThrows(NoiseIK.NoiseException.class,
                    () -> NoiseIK.responder(PROLOGUE, RESP_STATIC, X25519.generate(random)).readMessage1(bad), "bit " + bit);
        }
    }

    @Test
    void anAllZeroReplyIsRefused() throws Exception {
        SecureRandom random = new SecureRandom();
        NoiseIK i = NoiseIK.initiator(PROLOGUE, INIT_STATIC, X25519.publicKey(RESP_STATIC), X25519.generate(random));
        i.writeMessage1(new byte[0]);
        assertThrows(NoiseIK.NoiseException.class, () -> i.readMessage2(new byte[NoiseIK.message2Length(1)]));
    }

    @Test
    void outOfTurnIsOurBug() {
        NoiseIK r = NoiseIK.responder(PROLOGUE, RESP_STATIC, X25519.generate(new SecureRandom()));
        assertThrows(IllegalStateException.class, () -> r.writeMessage2(new byte[0]));
        assertThrows(IllegalStateException.class, r::handshakeHash);
    }
}
