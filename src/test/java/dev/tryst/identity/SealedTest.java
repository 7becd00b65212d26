package dev.tryst.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SealedTest {
    private static final Identity ALICE = Identity.generate();
    private static final Identity BOB = Identity.generate();
    private static final Identity MALLORY = Identity.generate();
    private static final byte[] HELLO = "meet at the usual place".getBytes(StandardCharsets.UTF_8);
    private static final Instant SENT = Instant.parse("2026-03-01T12:00:00.123Z");
    private static final InstantSource CLOCK = InstantSource.fixed(SENT);
    private static final Sealed.Stamp STAMP = new Sealed.Stamp(SENT.toEpochMilli(), HexFormat.of().parseHex("00112233445566778899aabbccddeeff"));

    @Test
    void roundTrip() throws SealedException {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK);
        assertEquals(Sealed.OVERHEAD + HELLO.length, sealed.length);
        assertEquals(Sealed.VERSION, sealed[0]);
        Sealed.Opened opened = Sealed.open(BOB, sealed);
        assertEquals(ALICE.publicKey(), opened.sender());
        assertEquals(SENT, opened.sent(), "the sender's clock, to the millisecond");
        assertEquals(Sealed.ID_LENGTH, opened.id().length);
        assertEquals(HexFormat.of().formatHex(opened.id()), opened.idHex());
        assertArrayEquals(HELLO, opened.body());
        opened.body()[0] = 0;
        assertArrayEquals(HELLO, opened.body(), "body is immutable");
        opened.id()[0] ^= 1;
        assertEquals(HexFormat.of().formatHex(opened.id()), opened.idHex(), "id is immutable");
        assertNotEquals(opened.idHex(), Sealed.open(BOB, Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK)).idHex(),
                "every message gets its own id, even at the same time");

        assertArrayEquals(new byte[0], Sealed.open(BOB, Sealed.seal(ALICE, BOB.publicKey(), new byte[0], CLOCK)).body());
        byte[] max = new byte[Sealed.MAX_BODY];
        max[max.length - 1] = 9;
        assertArrayEquals(max, Sealed.open(BOB, Sealed.seal(ALICE, BOB.publicKey(), max, CLOCK)).body());
        // to oneself works too; two seals of one body differ (fresh ephemeral key)
        assertArrayEquals(HELLO, Sealed.open(ALICE, Sealed.seal(ALICE, ALICE.publicKey(), HELLO, CLOCK)).body());
        assertEquals(false, Arrays.equals(sealed, Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK)));
    }

    @Test
    void onlyTheRecipientOpens() {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK);
        assertThrows(SealedException.class, () -> Sealed.open(MALLORY, sealed));
        assertThrows(SealedException.class, () -> Sealed.open(ALICE, sealed));
    }

    @Test
    void everyFlippedBitFails() {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), "hi".getBytes(StandardCharsets.UTF_8), CLOCK);
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
        byte[] forged = Sealed.seal(MALLORY, ALICE.publicKey(), BOB.publicKey(), STAMP, STAMP, HELLO);
        SealedException e = assertThrows(SealedException.class, () -> Sealed.open(BOB, forged));
        assertEquals(true, e.getMessage().contains("signature"), e.getMessage());
    }

    @Test
    void finding4_aTamperedTimestampFailsToOpen() {
        // what a holder of the message would need: the sender's signature over the old time, carried with a new one
        Sealed.Stamp redated = new Sealed.Stamp(SENT.plus(Duration.ofDays(3)).toEpochMilli(), STAMP.id());
        byte[] sealed = Sealed.seal(ALICE, ALICE.publicKey(), BOB.publicKey(), STAMP, redated, HELLO);
        SealedException e = assertThrows(SealedException.class, () -> Sealed.open(BOB, sealed));
        assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
        // the same construction with the stamp left alone opens: the signature is what refused it
        assertEquals(SENT, assertDoesNotThrow(() -> Sealed.open(BOB, Sealed.seal(ALICE, ALICE.publicKey(), BOB.publicKey(), STAMP, STAMP, HELLO))).sent());
    }

    @Test
    void finding4_aTamperedIdFailsToOpen() {
        byte[] otherId = STAMP.id().clone();
        otherId[15] ^= 1;
        byte[] sealed = Sealed.seal(ALICE, ALICE.publicKey(), BOB.publicKey(), STAMP, new Sealed.Stamp(STAMP.sentMillis(), otherId), HELLO);
        SealedException e = assertThrows(SealedException.class, () -> Sealed.open(BOB, sealed));
        assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
    }

    @Test
    void finding4_format1WithoutTimeAndIdIsRefusedWithWhatToDo() {
        byte[] v1 = Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK);
        v1[0] = 0x01;
        SealedException e = assertThrows(SealedException.class, () -> Sealed.open(BOB, v1));
        assertTrue(e.getMessage().contains("older tryst") && e.getMessage().contains("send it again"), e.getMessage());
        // format 1's smallest message (145 bytes, shorter than format 2's overhead) gets the same reason
        byte[] small = new byte[145];
        small[0] = 0x01;
        assertTrue(assertThrows(SealedException.class, () -> Sealed.open(BOB, small)).getMessage().contains("older tryst"));
        assertEquals(169, Sealed.OVERHEAD, "33 header + 32 sender + 64 signature + 8 time + 16 id + 16 tag");
    }

    @Test
    void sizesBounded() {
        assertThrows(IllegalArgumentException.class, () -> Sealed.seal(ALICE, BOB.publicKey(), new byte[Sealed.MAX_BODY + 1], CLOCK));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, new byte[Sealed.MAX_SEALED + 1]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, new byte[Sealed.OVERHEAD - 1]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, new byte[0]));
        assertThrows(SealedException.class, () -> Sealed.open(BOB, null));
        byte[] truncated = Arrays.copyOf(Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK), Sealed.OVERHEAD);
        assertThrows(SealedException.class, () -> Sealed.open(BOB, truncated));
    }

    @Test
    void smallOrderEphemeralRefused() {
        byte[] sealed = Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK);
        Arrays.fill(sealed, 1, 33, (byte) 0); // u = 0: a small-order point
        // refused by the small-order check itself, not later by the tag (a merely altered key fails there too)
        assertTrue(assertThrows(SealedException.class, () -> Sealed.open(BOB, sealed)).getMessage().contains("bad ephemeral key"));
        sealed[1] = 1; // u = 1: small order too
        assertTrue(assertThrows(SealedException.class, () -> Sealed.open(BOB, sealed)).getMessage().contains("bad ephemeral key"));
    }

    @Test
    void mutationsOnlyEverThrowSealedException() {
        Random random = new Random(0x7472797374L);
        byte[] original = Sealed.seal(ALICE, BOB.publicKey(), HELLO, CLOCK);
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
