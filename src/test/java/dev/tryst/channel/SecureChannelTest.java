package dev.tryst.channel;

import dev.tryst.wire.RecordWire;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SecureChannelTest {
    private static final HexFormat HEX = HexFormat.of();

    /** Computed independently with Python's cryptography AESGCM (see the comment in the test). */
    private static final String GOLDEN_HELLO = "010000158e7d10412a650cbed9ab909168d8e1fa46d91245db";
    private static final String GOLDEN_WORLD = "0100001522f1b10bb44cddbc829fc40a817e86a5ca3c8321c0";
    private static final String GOLDEN_CLOSE = "0200001073cf1150b8a3f24379f7696d41709f44";

    private static byte[] sealed(String... messages) throws IOException {
        var m = new Streams.Memory();
        SecureChannel w = Streams.writer(m);
        for (String s : messages) {
            w.send(s.getBytes(StandardCharsets.UTF_8));
        }
        w.shutdownOutput();
        return m.written.toByteArray();
    }

    private static List<String> readAll(byte[] stream) throws IOException {
        SecureChannel r = Streams.reader(stream);
        List<String> got = new ArrayList<>();
        for (ByteBuffer b; (b = r.receive()) != null; ) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            got.add(new String(a, StandardCharsets.UTF_8));
        }
        return got;
    }

    @Test
    void goldenBytes() throws IOException {
        // key = 00 01 .. 1f, iv = a0 a1 .. ab; python3: AESGCM(key).encrypt(iv ^ counter, pt, header)
        assertEquals(GOLDEN_HELLO + GOLDEN_WORLD + GOLDEN_CLOSE, HEX.formatHex(sealed("hello", "world")));
        assertEquals(List.of("hello", "world"), readAll(HEX.parseHex(GOLDEN_HELLO + GOLDEN_WORLD + GOLDEN_CLOSE)));
    }

    @Test
    void largestRecordAndManyRecordsRoundTrip() throws IOException {
        var m = new Streams.Memory();
        SecureChannel w = Streams.writer(m);
        byte[] big = new byte[RecordWire.MAX_PLAINTEXT];
        new Random(1).nextBytes(big);
        w.send(big);
        for (int i = 1; i <= 100; i++) {
            w.send(Arrays.copyOf(big, i));
        }
        w.shutdownOutput();
        assertEquals(RecordWire.MAX_RECORD, RecordWire.HEADER_LENGTH + RecordWire.MAX_PLAINTEXT + RecordWire.TAG_LENGTH);
        SecureChannel r = Streams.reader(m.written.toByteArray());
        ByteBuffer first = r.receive();
        assertEquals(ByteBuffer.wrap(big), first);
        for (int i = 1; i <= 100; i++) {
            assertEquals(ByteBuffer.wrap(big, 0, i), r.receive());
        }
        assertNull(r.receive());
        assertNull(r.receive(), "after the end record, receive keeps saying end");
        assertThrows(IllegalArgumentException.class, () -> w.send(new byte[0]));
    }

    @Test
    void everyFlippedBitIsDetected() throws IOException {
        byte[] good = HEX.parseHex(GOLDEN_HELLO + GOLDEN_CLOSE);
        int hello = GOLDEN_HELLO.length() / 2;
        for (int bit = 0; bit < hello * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            ChannelException e = assertThrows(ChannelException.class, () -> readAll(bad), "bit " + bit);
            if (bit >= 8 * 4) {
                assertFalse(e instanceof ChannelCutException, "a flipped body bit is an authentication failure, bit " + bit);
            }
        }
    }

    @Test
    void replayedRecordIsDetected() {
        byte[] stream = HEX.parseHex(GOLDEN_HELLO + GOLDEN_HELLO + GOLDEN_CLOSE);
        var e = assertThrows(ChannelException.class, () -> readAll(stream));
        assertTrue(e.getMessage().contains("record 1 failed authentication"), e.getMessage());
    }

    @Test
    void reorderedRecordsAreDetected() {
        byte[] stream = HEX.parseHex(GOLDEN_WORLD + GOLDEN_HELLO + GOLDEN_CLOSE);
        var e = assertThrows(ChannelException.class, () -> readAll(stream));
        assertTrue(e.getMessage().contains("record 0 failed authentication"), e.getMessage());
    }

    @Test
    void droppedRecordIsDetected() {
        assertThrows(ChannelException.class, () -> readAll(HEX.parseHex(GOLDEN_WORLD + GOLDEN_CLOSE)));
    }

    @Test
    void reflectedRecordIsDetected() throws IOException {
        // What the writer sent, fed back into the writer's own receive direction.
        var m = new Streams.Memory();
        SecureChannel w = Streams.writer(m);
        w.send("hello".getBytes(StandardCharsets.UTF_8));
        byte[] own = m.written.toByteArray();
        SecureChannel self = new SecureChannel(new Streams.Memory(own),
                RecordCipher.sealer(Streams.key(0), Streams.iv(0xa0)), RecordCipher.opener(Streams.key(0x40), Streams.iv(0xc0)));
        assertThrows(ChannelException.class, self::receive);
    }

    @Test
    void truncatedStreamIsACutNotAnEnd() {
        // No end record at all.
        var noEnd = assertThrows(ChannelCutException.class, () -> readAll(HEX.parseHex(GOLDEN_HELLO + GOLDEN_WORLD)));
        assertTrue(noEnd.getMessage().contains("end record never came"), noEnd.getMessage());
        // Cut inside a header, inside a body, inside the end record.
        String all = GOLDEN_HELLO + GOLDEN_WORLD + GOLDEN_CLOSE;
        for (int cut = 1; cut < all.length() / 2; cut++) {
            if (cut == GOLDEN_HELLO.length() / 2 || cut == (GOLDEN_HELLO.length() + GOLDEN_WORLD.length()) / 2) {
                continue; // on a record boundary: covered above
            }
            byte[] part = Arrays.copyOf(HEX.parseHex(all), cut);
            assertThrows(ChannelCutException.class, () -> readAll(part), "cut at " + cut);
        }
    }

    @Test
    void lengthIsBoundedBeforeReadingTheBody() {
        // A header claiming 16 MiB, with no body behind it: refused for its length, not reported as a cut.
        byte[] huge = {RecordWire.TYPE_DATA, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        var e = assertThrows(ChannelException.class, () -> readAll(huge));
        assertFalse(e instanceof ChannelCutException);
        assertTrue(e.getMessage().contains("16777215"), e.getMessage());
        byte[] unknownType = {0x17, 0, 0, 0x20};
        assertThrows(ChannelException.class, () -> readAll(unknownType));
        byte[] closeWithBody = {RecordWire.TYPE_CLOSE, 0, 0, 0x11};
        assertThrows(ChannelException.class, () -> readAll(closeWithBody));
        byte[] emptyData = {RecordWire.TYPE_DATA, 0, 0, 0x10};
        assertThrows(ChannelException.class, () -> readAll(emptyData));
    }

    @Test
    void afterAFailureTheChannelStaysFailed() throws IOException {
        SecureChannel r = Streams.reader(HEX.parseHex(GOLDEN_WORLD + GOLDEN_HELLO));
        assertThrows(ChannelException.class, r::receive);
        assertThrows(ChannelException.class, r::receive);
    }

    @Test
    void rekeyEveryIntervalOnBothSides() throws Exception {
        var m = new Streams.Memory();
        var sealer = RecordCipher.withRekeyInterval(true, Streams.key(0), Streams.iv(0xa0), 3);
        SecureChannel w = new SecureChannel(m, sealer, RecordCipher.opener(Streams.key(9), Streams.iv(9)));
        for (int i = 0; i < 10; i++) {
            w.send(new byte[] {(byte) i});
        }
        w.shutdownOutput();
        byte[] stream = m.written.toByteArray();
        var opener = RecordCipher.withRekeyInterval(false, Streams.key(0), Streams.iv(0xa0), 3);
        SecureChannel r = new SecureChannel(new Streams.Memory(stream), RecordCipher.sealer(Streams.key(9), Streams.iv(9)), opener);
        for (int i = 0; i < 10; i++) {
            assertEquals(ByteBuffer.wrap(new byte[] {(byte) i}), r.receive());
        }
        assertNull(r.receive());
        // A reader that never rekeys reads records 0..2 and fails on record 3: the key really changed.
        SecureChannel stale = Streams.reader(stream);
        for (int i = 0; i < 3; i++) {
            assertNotNull(stale.receive());
        }
        assertThrows(ChannelException.class, stale::receive);
    }

    @Test
    void keepalivesAreConsumedByTheChannelAndCountAsLife() throws IOException {
        var m = new Streams.Memory();
        SecureChannel w = Streams.writer(m);
        w.keepAliveUnlessSentSince(w.recordsSent());
        long beforeA = w.recordsSent();
        w.send("a".getBytes(StandardCharsets.UTF_8));
        w.keepAliveUnlessSentSince(w.recordsSent());
        w.keepAliveUnlessSentSince(beforeA); // something was sent since: nothing sent
        w.send("b".getBytes(StandardCharsets.UTF_8));
        w.shutdownOutput();
        w.keepAliveUnlessSentSince(w.recordsSent()); // after the end: nothing
        SecureChannel r = Streams.reader(m.written.toByteArray());
        int[] authenticated = {0};
        r.onAuthenticatedRecord(() -> authenticated[0]++);
        assertEquals(ByteBuffer.wrap("a".getBytes(StandardCharsets.UTF_8)), r.receive());
        assertEquals(ByteBuffer.wrap("b".getBytes(StandardCharsets.UTF_8)), r.receive());
        assertNull(r.receive());
        assertEquals(5, authenticated[0], "2 keepalives, 2 data records, 1 end record");
        byte[] keepaliveWithBody = {RecordWire.TYPE_KEEPALIVE, 0, 0, 0x11};
        assertThrows(ChannelException.class, () -> readAll(keepaliveWithBody));
    }

    /** Seeded mutations of a valid stream: the decoder only ever throws its own exception, or reads the original. */
    @Test
    void mutationLoopOnlyThrowsChannelExceptions() throws IOException {
        List<String> original = List.of("alpha", "", "x".repeat(300), "omega");
        List<String> nonEmpty = original.stream().filter(s -> !s.isEmpty()).toList();
        byte[] good = sealed(nonEmpty.toArray(String[]::new));
        Random random = new Random(0x7A157);
        int failures = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = mutate(good, random);
            try {
                List<String> got = readAll(bad);
                assertEquals(nonEmpty, got, "iteration " + i + " decoded something else without an error");
            } catch (ChannelException expected) {
                failures++;
            } catch (RuntimeException | IOException e) {
                fail("iteration " + i + " threw " + e, e);
            }
        }
        assertTrue(failures > 19_000, "almost every mutation must be caught, caught " + failures);
    }

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        switch (r.nextInt(6)) {
            case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 2 -> {
                int at = r.nextInt(b.length);
                byte[] extra = new byte[1 + r.nextInt(40)];
                r.nextBytes(extra);
                byte[] c = new byte[b.length + extra.length];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(extra, 0, c, at, extra.length);
                System.arraycopy(b, at, c, at + extra.length, b.length - at);
                b = c;
            }
            case 3 -> {
                int at = r.nextInt(b.length);
                int n = Math.min(b.length - at, 1 + r.nextInt(40));
                byte[] c = new byte[b.length - n];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + n, c, at, b.length - at - n);
                b = c;
            }
            case 4 -> b[r.nextInt(4)] = (byte) r.nextInt(256); // a header byte of the first record
            default -> {
                for (int k = 0; k < 1 + r.nextInt(8); k++) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
        }
        return b;
    }
}
