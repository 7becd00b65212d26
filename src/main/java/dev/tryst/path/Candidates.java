package dev.tryst.path;

import dev.tryst.wire.ControlWire.Address;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** This host's own endpoints for direct connections (gday's "private addresses"). */
public final class Candidates {
    private Candidates() {}

    /**
     * The addresses of the interfaces that are up, with {@code port}: IPv4 first, then global
     * IPv6; no loopback, no link-local (which needs a scope the peer cannot know), at most {@code max}.
     */
    public static List<Address> local(int port, int max) {
        List<Address> v4 = new ArrayList<>();
        List<Address> v6 = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()) {
                        continue;
                    }
                    Address e = Address.of(new InetSocketAddress(a, port));
                    if (a instanceof Inet4Address) {
                        v4.add(e);
                    } else if (a instanceof Inet6Address) {
                        v6.add(e);
                    }
                }
            }
        } catch (SocketException e) {
            return List.of(); // no interfaces to tell: the public endpoint and the relay remain
        }
        List<Address> all = new ArrayList<>(v4);
        all.addAll(v6);
        return all.size() > max ? List.copyOf(all.subList(0, max)) : List.copyOf(all);
    }
}
