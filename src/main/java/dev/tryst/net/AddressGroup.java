package dev.tryst.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * What a per-source limit counts as one source: an IPv4 address itself (also when it arrives
 * IPv4-mapped in IPv6), an IPv6 address by its /64 — one host commonly holds a whole /64 and could
 * otherwise open connections or send requests without limit. {@link #wide} is the coarser tier:
 * an IPv6 /48, what one site is commonly given, so that one site cannot act as 65 536 sources.
 * Used by the relay, the rendezvous server and the STUN responder alike.
 */
public final class AddressGroup {
    private AddressGroup() {}

    public static InetAddress of(InetAddress ip) {
        return prefix(ip, 8);
    }

    /** The coarser tier: an IPv6 address by its /48; an IPv4 address (or IPv4-mapped) by itself. */
    public static InetAddress wide(InetAddress ip) {
        return prefix(ip, 6);
    }

    /** IPv4 (also mapped) as itself, IPv6 by its first {@code keepBytes} bytes. */
    private static InetAddress prefix(InetAddress ip, int keepBytes) {
        if (!(ip instanceof Inet6Address)) {
            return ip;
        }
        byte[] b = ip.getAddress();
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= b[i] == 0;
        }
        mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        try {
            if (mapped) {
                return Inet4Address.getByAddress(Arrays.copyOfRange(b, 12, 16));
            }
            Arrays.fill(b, keepBytes, 16, (byte) 0);
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }
}
