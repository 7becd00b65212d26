package dev.tryst.net;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AddressGroupTest {
    @Test
    void ipv6IsCountedByItsSlash64AndIpv4ByItself() throws Exception {
        var a = InetAddress.getByName("2001:db8:1:2:aaaa::1");
        var b = InetAddress.getByName("2001:db8:1:2:bbbb::9");
        var c = InetAddress.getByName("2001:db8:1:3::1");
        assertEquals(AddressGroup.of(a), AddressGroup.of(b));
        assertNotEquals(AddressGroup.of(a), AddressGroup.of(c));
        assertEquals(InetAddress.getByName("2001:db8:1:2::"), AddressGroup.of(a));
        var v4 = InetAddress.getByName("198.18.0.1");
        assertEquals(v4, AddressGroup.of(v4));
        assertNotEquals(v4, AddressGroup.of(InetAddress.getByName("198.18.0.2")));
    }

    @Test
    void theWideTierCountsIpv6ByItsSlash48() throws Exception {
        var a = InetAddress.getByName("2001:db8:1:2::1");
        var b = InetAddress.getByName("2001:db8:1:ffff::1");
        assertEquals(AddressGroup.wide(a), AddressGroup.wide(b), "one /48");
        assertNotEquals(AddressGroup.of(a), AddressGroup.of(b), "two /64s");
        assertNotEquals(AddressGroup.wide(a), AddressGroup.wide(InetAddress.getByName("2001:db8:2::1")));
        assertEquals(InetAddress.getByName("2001:db8:1::"), AddressGroup.wide(a));
        var v4 = InetAddress.getByName("198.18.0.1");
        assertEquals(v4, AddressGroup.wide(v4));
    }

    @Test
    void ipv4MappedInIpv6CountsAsTheIpv4Address() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 198;
        mapped[13] = 18;
        mapped[15] = 7;
        // Built as an Inet6Address on purpose: getByAddress would already convert it.
        var v6 = java.net.Inet6Address.getByAddress(null, mapped, -1);
        assertEquals(InetAddress.getByName("198.18.0.7"), AddressGroup.of(v6));
    }
}
