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

    @Option(names = "--no-direct", description = "Do not try direct connections; always use the relay.")
    boolean noDirect;

    @Option(names = "--relay-delay", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
            description = "Head start of direct connections before the relay is tried too. Default: ${DEFAULT-VALUE}.")
    Duration relayDelay;

    /** The client options these flags give, waiting {@code wait} for the peer. */
    TrystOptions options(Duration wait) {
        return server.apply(TrystOptions.defaults()).withRelay(relay.explicit()).withDirect(!noDirect)
                .withRelayDelay(relayDelay).withWaitForPeer(wait);
    }
}
