package dev.tryst.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SealedTest {
    private static final Identity ALICE = Identity.generate();
    private static final Identity BOB = Identity.generate();
    private static final Identity MALLORY = Identity.generate();
    private static final byte[] HELLO = "meet at the usual place".getBytes(StandardCharsets.UTF_8);

    @Test
    void roundTrip() throws SealedException {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), HELLO);
        assertEquals(Sealed.OVERHEAD + HELLO.length, sealed.length);
        assertEquals(Sealed.VERSION, sealed[0]);
        Sealed.Opened opened = Sealed.open(BOB, sealed);
        assertEquals(ALICE.publicKey(), opened.sender());
        assertArrayEquals(HELLO, opened.body());
        opened.body()[0] = 0;
        assertArrayEquals(HELLO, opened.body(), "body is immutable");

        assertArrayEquals(new byte[0], Sealed.open(BOB, Sealed.seal(ALICE, BOB.publicKey(), new byte[0])).body());
        byte[] max = new byte[Sealed.MAX_BODY];
        max[max.length - 1] = 9;
        assertArrayEquals(max, Sealed.open(BOB, Sealed.seal(ALICE, BOB.publicKey(), max)).body());
        // to oneself works too; two seals of one body differ (fresh ephemeral key)
        assertArrayEquals(HELLO, Sealed.open(ALICE, Sealed.seal(ALICE, ALICE.publicKey(), HELLO)).body());
        assertEquals(false, Arrays.equals(sealed, Sealed.seal(ALICE, BOB.publicKey(), HELLO)));
    }

    @Test
    void onlyTheRecipientOpens() {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), HELLO);
        assertThrows(SealedException.class, () -> Sealed.open(MALLORY, sealed));
        assertThrows(SealedException.class, () -> Sealed.open(ALICE, sealed));
    }

    @Test
    void everyFlippedBitFails() {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), "hi".getBytes(StandardCharsets.UTF_8));
        for (int bit = 0; bit < sealed.length * 8; bit++) {
            byte[] bad = sealed.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            try {
                Sealed.open(BOB, bad);
                fail("bit " + bit + " flipped and still opened");
            } catch (SealedException expected) {
                // good
            }
        }
    }

    @Test
    void claimingAnotherSenderFails() {
        // Mallory signs with her key but names Alice as sender: the signature does not hold for Alice
        byte[] forged = Sealed.seal(MALLORY, ALICE.publicKey(), BOB.publicKey(), HELLO);
        SealedException e = assertThrows(SealedException.class, () -> Sealed.open(BOB, forged));
        assertEquals(true, e.getMessage().contains("signature"), e.getMessage());
    }

    @Test
    void sizesBounded() {
        assertThrows(IllegalArgumentException.class, () -> Sealed.seal(ALICE, BOB.publicKey(), new byte[Sealed.MAX_BODY + 1]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, new byte[Sealed.MAX_SEALED + 1]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, new byte[Sealed.OVERHEAD - 1]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, new byte[0]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, null));
        byte[] truncated = Arrays.copyOf(Sealed.seal(ALICE, BOB.publicKey(), HELLO), Sealed.OVERHEAD);
        assertThrows(SealedException.class, () -> Sealed.open(BOB, truncated));
    }

    @Test
    void smallOrderEphemeralRefused() {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), HELLO);
        Arrays.fill(sealed, 1, 33, (byte) 0); // u = 0: a small-order point
        // refused by the small-order check itself, not later by the tag (a merely altered key fails there too)
        assertTrue(assertThrows(SealedException.class, () -> Sealed.open(BOB, sealed)).getMessage().contains("bad ephemeral key"));
        sealed[1] = 1; // u = 1: small order too
        assertTrue(assertThrows(SealedException.class, () -> Sealed.open(BOB, sealed)).getMessage().contains("bad ephemeral key"));
    }

    @Test
    void mutationsOnlyEverThrowSealedException() {
        Random random = new Random(0x7472797374L);
        byte[] original = Sealed.seal(ALICE, BOB.publicKey(), HELLO);
        for (int i = 0; i < 5_000; i++) {
            byte[] m = mutate(original, random);
            try {
                Sealed.open(BOB, m);
                if (!Arrays.equals(m, original)) fail("mutation " + i + " opened");
            } catch (SealedException expected) {
                // the only acceptable failure
            }
        }
    }

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        switch (r.nextInt(6)) {
            case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 2 -> {
                b = Arrays.copyOf(b, b.length + 1 + r.nextInt(64));
                for (int i = in.length; i < b.length; i++) b[i] = (byte) r.nextInt();
            }
            case 3 -> {
                int n = 1 + r.nextInt(8);
                for (int i = 0; i < n; i++) b[r.nextInt(b.length)] = (byte) r.nextInt();
            }
            case 4 -> r.nextBytes(b);
            default -> {
                int at = r.nextInt(b.length);
                int len = Math.min(b.length - at, 1 + r.nextInt(32));
                Arrays.fill(b, at, at + len, (byte) (r.nextBoolean() ? 0 : 0xff));
            }
        }
        return b;
    }
}
