package dev.tryst.cli;

import dev.tryst.api.TrystOptions;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How send, receive and netcheck meet their peer: with a rendezvous (the default, and whenever
 * --server or TRYST_SERVER is given), or at --relay / TRYST_RELAY alone. When no server was named
 * and nothing listens on localhost's control port, the relay on localhost is tried alone.
 */
final class Meeting {
    @Mixin
    RelayOption relay = new RelayOption();

    @Mixin
    ServerOption server = new ServerOption();

    @Option(names = "--no-direct", description = "Do not try direct connections; always use the relay (also: direct = false in config.toml).")
    boolean noDirect;

    @Option(names = "--relay-delay", paramLabel = "DURATION", defaultValue = "0s", converter = Durations.OrZero.class,
            description = "Head start of direct connections before the relay is tried too. Default: ${DEFAULT-VALUE}: the"
                    + " relay at once, and a transfer that starts there moves to a direct path found later.")
    Duration relayDelay;

    /** The flags the other side needs to meet at the same place ("--server H " etc.), or "" for the defaults. */
    String forThePeer() {
        StringBuilder b = new StringBuilder();
        String named = server.explicit();
        if (named != null) {
            b.append("--server ").append(named).append(' ');
        }
        if (server.plain()) {
            b.append("--plain-control ");
        }
        if (relay.explicit() != null) {
            b.append("--relay ").append(relay.explicit()).append(' ');
        }
        return b.toString();
    }

    /**
     * What {@code send --qr} encodes: a {@code tryst:} URI of the code, with the server or relay when the
     * receiver must name one ({@code tryst:42-pelican-walnut-glider?server=HOST}), after magic-wormhole's
     * {@code wormhole-transfer:CODE}. A phone's scanner shows it as text with the code readable in it;
     * an app can register the scheme.
     */
    String uri(String code) {
        StringBuilder b = new StringBuilder("tryst:").append(code);
        String sep = "?";
        if (server.explicit() != null) {
            b.append(sep).append("server=").append(java.net.URLEncoder.encode(server.explicit(), java.nio.charset.StandardCharsets.UTF_8));
            sep = "&";
        }
        if (server.plain()) {
            b.append(sep).append("plain-control=1");
            sep = "&";
        }
        if (relay.explicit() != null) {
            b.append(sep).append("relay=").append(java.net.URLEncoder.encode(relay.explicit(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return b.toString();
    }

    /**
     * The code in {@code typed}: itself, or the code of a pasted {@link #uri} ({@code tryst:CODE?server=…}),
     * whose server, relay and plain-control then say where to meet unless a flag named a server or relay
     * (the URI's place replaces the environment's and the config file's: the sender was there).
     */
    String code(String typed) {
        String t = typed.strip();
        if (!t.regionMatches(true, 0, "tryst:", 0, 6)) {
            return typed;
        }
        t = t.substring(6);
        int q = t.indexOf('?');
        String code = q < 0 ? t : t.substring(0, q);
        String named = null;
        String relayed = null;
        boolean plain = false;
        if (q >= 0) {
            for (String pair : t.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value;
                try {
                    value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new Main.UsageException("the tryst: URI's " + key + " is not URL-encoded: " + pair);
                }
                switch (key) {
                    case "server" -> named = value;
                    case "relay" -> relayed = value;
                    case "plain-control" -> plain = value.equals("1");
                    default -> throw new Main.UsageException("the tryst: URI has an unknown part '" + key
                            + "' (it knows server, relay and plain-control)");
                }
            }
        }
        if (code.isBlank()) {
            throw new Main.UsageException("the tryst: URI holds no code");
        }
        if (!server.given() && relay.relay == null) {
            server.fix(named == null || named.isBlank() ? null : named, plain);
            relay.fix(relayed == null || relayed.isBlank() ? null : relayed);
        }
        return code;
    }

    /** The client options these flags give, waiting {@code wait} for the peer. */
    TrystOptions options(Duration wait) {
        return server.apply(TrystOptions.defaults()).withRelay(relay.explicit()).withDirect(!noDirect && ClientConfig.current().direct())
                .withRelayDelay(relayDelay).withWaitForPeer(wait);
    }
}
