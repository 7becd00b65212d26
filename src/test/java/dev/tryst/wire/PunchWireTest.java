package dev.tryst.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class PunchWireTest {
    private static Mac mac(int fill) throws Exception {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) fill);
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(key, "HmacSHA256"));
        return m;
    }

    @Test
    void goldenBytesAndRoundTrip() throws Exception {
        var p = new PunchWire.Packet(PunchWire.PROBE, PunchWire.ROLE_RESPONDER, 0x0102030405060708L);
        byte[] d = PunchWire.encode(mac(7), p);
        assertEquals(PunchWire.LENGTH, d.length);
        assertEquals("54525955" + "01" + "02" + "0102030405060708", HexFormat.of().formatHex(d, 0, 14));
        assertEquals(p, PunchWire.decode(mac(7), d, d.length));
    }

    @Test
    void everyFlippedByteAndAnotherKeyAreRefused() throws Exception {
        byte[] d = PunchWire.encode(mac(7), new PunchWire.Packet(PunchWire.ACK, PunchWire.ROLE_INITIATOR, 42));
        assertNull(PunchWire.decode(mac(8), d, d.length), "another key");
        assertNull(PunchWire.decode(mac(7), d, d.length - 1), "cut short");
        for (int i = 0; i < d.length; i++) {
            byte[] f = d.clone();
            f[i] ^= 0x01;
            assertNull(PunchWire.decode(mac(7), f, f.length), "byte " + i + " flipped");
        }
    }
}
