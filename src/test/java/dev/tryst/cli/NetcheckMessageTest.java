package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetcheckMessageTest {
    @Test
    void endpointsGoThroughTheRoomAndBadMessagesGiveNothing() {
        var list = List.of(new InetSocketAddress("198.18.0.11", 40000), new InetSocketAddress("198.19.1.2", 51000),
                new InetSocketAddress("2001:db8::7", 443));
        assertEquals(list, NetcheckCommand.decode(NetcheckCommand.encode(list)));
        assertEquals(List.of(), NetcheckCommand.decode(NetcheckCommand.encode(List.of())));
        byte[] m = NetcheckCommand.encode(list);
        assertEquals(List.of(), NetcheckCommand.decode(java.util.Arrays.copyOf(m, m.length - 1)), "cut short");
        assertEquals(List.of(), NetcheckCommand.decode(java.util.Arrays.copyOf(m, m.length + 1)), "bytes left over");
        m[2] = 5;
        assertEquals(List.of(), NetcheckCommand.decode(m), "an address of 5 bytes");
        assertEquals(List.of(), NetcheckCommand.decode(null));
        assertEquals(List.of(), NetcheckCommand.decode(new byte[] {'U', (byte) 200}), "too many");
    }
}
