package dev.tryst.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointsWireTest {
    @Test
    void endpointsGoThroughTheRoomAndBadMessagesGiveNothing() {
        var list = List.of(new InetSocketAddress("198.18.0.11", 40000), new InetSocketAddress("198.19.1.2", 51000),
                new InetSocketAddress("2001:db8::7", 443));
        assertEquals(list, EndpointsWire.decode(EndpointsWire.encode(list)));
        assertEquals(List.of(), EndpointsWire.decode(EndpointsWire.encode(List.of())));
        byte[] m = EndpointsWire.encode(list);
        assertEquals(List.of(), EndpointsWire.decode(java.util.Arrays.copyOf(m, m.length - 1)), "cut short");
        assertEquals(List.of(), EndpointsWire.decode(java.util.Arrays.copyOf(m, m.length + 1)), "bytes left over");
        m[2] = 5;
        assertEquals(List.of(), EndpointsWire.decode(m), "an address of 5 bytes");
        assertEquals(List.of(), EndpointsWire.decode(null));
        assertEquals(List.of(), EndpointsWire.decode(new byte[] {'U', (byte) 200}), "too many");
    }

    @Test
    void goldenBytes() {
        byte[] m = EndpointsWire.encode(List.of(new InetSocketAddress("198.18.0.11", 40000)));
        assertEquals("5501" + "04" + "c612000b" + "9c40", java.util.HexFormat.of().formatHex(m));
    }
}
