package dev.tryst.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HostPortTest {
    private static String shown(String literal, int port) throws Exception {
        return HostPort.format(new InetSocketAddress(InetAddress.getByName(literal), port));
    }

    @Test
    void ipv6IsWrittenTheShortWay() throws Exception {
        assertEquals("[::1]:2311", shown("::1", 2311));
        assertEquals("[2001:db8::1]:1", shown("2001:db8:0:0:0:0:0:1", 1));
        assertEquals("[2001:0:0:1::1]:1", shown("2001:0:0:1:0:0:0:1", 1)); // the longer run of zeros
        assertEquals("[2001:db8:0:1:1:1:1:1]:1", shown("2001:db8:0:1:1:1:1:1", 1)); // one zero group stays
        assertEquals("[::]:9", shown("::", 9));
        assertEquals("[fe80::]:9", shown("fe80::", 9));
        assertEquals("127.0.0.1:80", shown("127.0.0.1", 80));
        assertEquals("[::1]:7", HostPort.format(HostPort.parse("[::1]:7", 1)), "an unresolved literal as typed");
        assertEquals("example.org:7", HostPort.format(HostPort.parse("example.org:7", 1)));
    }

    @Test
    void parsesWhatFormatWrites() {
        InetSocketAddress a = HostPort.parse("[2001:db8::1]:443", 1);
        assertEquals("2001:db8::1", a.getHostString());
        assertEquals(443, a.getPort());
        assertEquals(2311, HostPort.parse("host", 2311).getPort());
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:0", 1));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[::1", 1));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(":80", 1));
    }
}
