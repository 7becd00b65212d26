package dev.tryst.cli;

import dev.tryst.api.ServerConfig;
import dev.tryst.api.TrystServer;
import dev.tryst.net.HostPort;
import dev.tryst.wire.RelayWire;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the tryst server: the rendezvous (TLS on TCP 2311) where peers meet in rooms and"
            + " identities log in and leave each other sealed messages; the relay (TCP 8080) that staples two"
            + " clients presenting the same pairing key and pipes their encrypted bytes, blind; and a STUN"
            + " responder (UDP 3478) that tells clients the address and port their packets come from."})
final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String bind;

    @Option(names = {"-p", "--relay-port"}, paramLabel = "PORT", defaultValue = "" + RelayWire.DEFAULT_PORT,
            description = "Relay TCP port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--control-port", paramLabel = "PORT",
            description = "Rendezvous control port, TLS 1.3 (default 2311; 0 picks a free one; -1 turns it off).")
    Integer controlPort;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where the server keeps its state: the self-signed certificate (server.p12 and its password"
                    + " file) and events.db, the SQLite database of what waits for identities (sealed messages) and"
                    + " their request sequence numbers. Default: $XDG_STATE_HOME/tryst or ~/.local/state/tryst.")
    Path stateDir;

    @Option(names = "--cert", paramLabel = "PEM", description = "Serve this certificate (chain) instead of a self-signed one.")
    Path certPem;

    @Option(names = "--key", paramLabel = "PEM", description = "The private key (PKCS#8 PEM) for --cert.")
    Path keyPem;

    @Option(names = "--plain-control", description = "Serve the control port without TLS (tests, local use only).")
    boolean plainControl;

    @Option(names = "--stun-port", paramLabel = "PORT",
            description = "STUN UDP port (default 3478; 0 picks a free one; -1 turns STUN off).")
    Integer stunPort;

    @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "How long a client may wait alone for its peer, in a room or at the relay (default 10m; a"
                    + " sender's shorter --wait is kept, a longer one is cut to this, saying so).")
    Duration waitTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "A stapled pair with no traffic this long is closed (default 5m).")
    Duration idleTimeout;

    @Option(names = "--max-per-address", paramLabel = "N", description = "Concurrent connections per source address (default 256).")
    Integer maxPerAddress;

    @Option(names = "--buffer-size", paramLabel = "BYTES",
            description = "Relay copy buffer per direction of a stapled pair (default 262144; smaller saves memory, costs speed).")
    Integer bufferSize;

    @Option(names = "--stats-interval", paramLabel = "DURATION", defaultValue = "5m", converter = Durations.class,
            description = "Log the relay's counters this often when they changed. Default: ${DEFAULT-VALUE}.")
    Duration statsInterval;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        ServerConfig config;
        try {
            config = new ServerConfig(bind, port, controlPort, stunPort, stateDir != null ? stateDir : ServerConfig.defaultStateDir(),
                    certPem, keyPem, plainControl, waitTimeout, idleTimeout, maxPerAddress, bufferSize);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        TrystServer server = TrystServer.start(config, notice -> {
            err.println("tryst: " + notice);
            err.flush();
        });
        err.println("tryst relay listening on tcp " + HostPort.format(server.relayAddress()));
        if (server.stunAddress() != null) {
            err.println("tryst stun listening on udp " + HostPort.format(server.stunAddress()));
        }
        if (server.controlAddress() != null) {
            err.println(server.fingerprint() == null
                    ? "tryst control listening on tcp " + HostPort.format(server.controlAddress()) + " (plain: no TLS, local use only)"
                    : "tryst control listening on tls " + HostPort.format(server.controlAddress()) + ", certificate fingerprint "
                            + server.fingerprint());
        }
        err.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "tryst-shutdown"));
        var log = System.getLogger("dev.tryst.relay.stats");
        String last = null;
        while (!stopped.await(statsInterval.toMillis(), TimeUnit.MILLISECONDS)) {
            String now = server.relayStats();
            if (!now.equals(last)) {
                log.log(System.Logger.Level.INFO, now);
                last = now;
            }
        }
        return ExitCode.OK.code;
    }
}
