package dev.tryst.wire;

import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.wire.WireException;
import dev.tryst.wire.TransferWire.*;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Golden bytes and round trips of the file messages, sizes and offsets past 4 GiB included. */
class TransferWireTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void goldenEntriesRecord() {
        // python3: hex(5 << 32) = 0x500000000, hex(1700000000123456789) = 0x17979cfe3d85cd15; "a/é" = 61 2f c3 a9
        var e = new Entry("a/é", false, 5L << 32, 1_700_000_000_123_456_789L, true);
        byte[] r = TransferWire.encodeEntries(List.of(e)).getFirst();
        assertEquals("05" + "01" + "01" + "0000000500000000" + "17979cfe3d85cd15" + "0004" + "612fc3a9", HEX.formatHex(r));
    }

    @Test
    void bigSizesAndOffsetsRoundTrip() throws Exception {
        long big = (1L << 40) + 12345;
        List<Message> all = List.of(new OfferFiles(3, big), new FileStart(2, big - 1), new FileSkip(7),
                new FileEnd(1, "ab".repeat(32)), new FilesDone(), new TransferWire.Progress(big),
                new Request(List.of(new Ask(0, TransferWire.ASK_RESUME, (1L << 33) + 1, "cd".repeat(32)))),
                new Entries(List.of(new Entry("x", false, big, -5, false), new Entry("d", true, 0, 0, false))));
        for (Message m : all) {
            assertEquals(m, TransferWire.decode(ByteBuffer.wrap(TransferWire.encode(m))), m.toString());
        }
        assertEquals("07" + "00000002" + "000001000000303800".substring(0, 16),
                HEX.formatHex(TransferWire.encode(new FileStart(2, big - 1))).substring(0, 26));
    }

    @Test
    void manyEntriesSplitAcrossRecordsAndComeBackTheSame() throws Exception {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            entries.add(new Entry("dir/file-" + i + "-" + "n".repeat(i % 200), false, i, i, i % 3 == 0));
        }
        List<byte[]> records = TransferWire.encodeEntries(entries);
        assertTrue(records.size() > 1);
        List<Entry> back = new ArrayList<>();
        for (byte[] r : records) {
            assertTrue(r.length <= 65536);
            back.addAll(((Entries) TransferWire.decode(ByteBuffer.wrap(r))).entries());
        }
        assertEquals(entries, back);
        List<Ask> asks = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            asks.add(new Ask(i, TransferWire.ASK_FRESH, 0, TransferWire.NO_HASH));
        }
        List<Ask> asksBack = new ArrayList<>();
        for (byte[] r : TransferWire.encodeAsks(asks)) {
            assertTrue(r.length <= 65536);
            asksBack.addAll(((Request) TransferWire.decode(ByteBuffer.wrap(r))).asks());
        }
        assertEquals(asks, asksBack);
    }

    @Test
    void malformedFileMessagesAreRefused() {
        String[] bad = {"04", "04" + "ffffffff" + "0000000000000001", "04" + "00000001" + "ffffffffffffffff",
                "05", "05" + "03" + "00" + "0000000000000000" + "0000000000000000" + "0000",
                "05" + "02" + "00" + "0000000000000005" + "0000000000000000" + "0001" + "61",
                "05" + "01" + "02" + "0000000000000000" + "0000000000000000" + "0001" + "61",
                "05" + "01" + "00" + "8000000000000000" + "0000000000000000" + "0001" + "61",
                "05" + "01" + "00" + "0000000000000000" + "0000000000000000" + "0005" + "61",
                "05" + "01" + "00" + "0000000000000000" + "0000000000000000" + "0002" + "c328",
                "06", "06" + "00", "07" + "00000001", "08", "09" + "00000001", "0a00", "12", "30" + "00"};
        for (String b : bad) {
            assertThrows(WireException.class, () -> TransferWire.decode(ByteBuffer.wrap(HEX.parseHex(b))), b);
        }
    }

    /** Seeded mutations of valid messages: only the channel's own exception ever escapes the decoder. */
    @Test
    void mutationLoopOnlyThrowsChannelExceptions() throws Exception {
        List<byte[]> seeds = new ArrayList<>(TransferWire.encodeEntries(List.of(new Entry("a/b", false, 9, 9, true),
                new Entry("c", true, 0, 1, false))));
        seeds.add(TransferWire.encodeAsks(List.of(new Ask(1, TransferWire.ASK_HAVE, 9, "00".repeat(32)))).getFirst());
        seeds.add(TransferWire.encode(new OfferFiles(2, 9)));
        seeds.add(TransferWire.encode(new FileEnd(1, "11".repeat(32))));
        Random r = new Random(77);
        for (int i = 0; i < 50_000; i++) {
            byte[] b = seeds.get(r.nextInt(seeds.size())).clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            if (r.nextInt(4) == 0) {
                b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
            }
            try {
                TransferWire.decode(ByteBuffer.wrap(b));
            } catch (WireException expected) {
                // fine
            } catch (RuntimeException e) {
                fail("iteration " + i + " threw " + e + " for " + HEX.formatHex(b), e);
            }
        }
    }
}
