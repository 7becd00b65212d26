package dev.tryst.net;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses "host:port", "[v6]:port" or a bare host (with a default port), without resolving. */
public final class HostPort {
    private HostPort() {}

    public static InetSocketAddress parse(String text, int defaultPort) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        String host;
        int port = defaultPort;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("'" + text + "': missing ']' after the IPv6 address");
            }
            host = s.substring(1, end);
            String rest = s.substring(end + 1);
            if (rest.startsWith(":")) {
                port = port(rest.substring(1), text);
            } else if (!rest.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "': expected ':port' after ']'");
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') == colon) {
                host = s.substring(0, colon);
                port = port(s.substring(colon + 1), text);
            } else {
                host = s;
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "': no host");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static int port(String p, String text) {
        try {
            int port = Integer.parseInt(p);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port must be 1 to 65535, not '" + p + "'");
        }
    }

    /**
     * {@code a} with its host name looked up (as it is, if already resolved).
     *
     * @throws UnknownHostException "cannot find the host 'NAME' (name not resolved)"
     */
    public static InetSocketAddress resolve(InetSocketAddress a) throws UnknownHostException {
        InetSocketAddress r = a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
        if (r.isUnresolved()) {
            throw new UnknownHostException("cannot find the host '" + a.getHostString() + "' (name not resolved)");
        }
        return r;
    }

    public static String format(InetSocketAddress a) {
        String h = a.getHostString();
        if (!a.isUnresolved() && a.getAddress() instanceof java.net.Inet6Address v6 && h.equals(v6.getHostAddress())) {
            h = compact(h); // Java writes 2001:db8:0:0:0:0:0:1; people and their tools, 2001:db8::1 (RFC 5952)
        }
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** An IPv6 literal as Java writes it (8 groups, no leading zeros), with its longest run of two or more zero groups as {@code ::}. */
    static String compact(String v6) {
        int pct = v6.indexOf('%');
        String scope = pct < 0 ? "" : v6.substring(pct);
        String[] g = (pct < 0 ? v6 : v6.substring(0, pct)).split(":", -1);
        if (g.length != 8) {
            return v6;
        }
        int best = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (!g[i].equals("0")) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (best < 0) {
            return v6;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, best));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, 8));
        return head + "::" + tail + scope;
    }
}
