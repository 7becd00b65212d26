package dev.tryst.cli;

import dev.tryst.net.HostPort;
import dev.tryst.relay.RelayConfig;
import dev.tryst.relay.RelayServer;
import dev.tryst.relay.RelayStats;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.events.EventStore;
import dev.tryst.events.EventLimits;
import java.nio.file.Files;
import java.time.InstantSource;
import dev.tryst.stun.StunConfig;
import dev.tryst.tls.ServerIdentity;
import dev.tryst.tls.Tls;
import java.nio.file.Path;
import dev.tryst.stun.StunServer;
import dev.tryst.relay.RelayWire;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
            description = "Where the server keeps its state: the self-signed certificate (default $XDG_STATE_HOME/tryst"
                    + " or ~/.local/state/tryst).")
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
            description = "How long a client may wait alone for its peer (default 10m).")
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

    private RelayConfig configure() {
        RelayConfig config = RelayConfig.defaults().withBind(new InetSocketAddress(bind, port));
        if (waitTimeout != null) {
            config = config.withWaitTimeout(waitTimeout);
        }
        if (idleTimeout != null) {
            config = config.withIdleTimeout(idleTimeout);
        }
        if (maxPerAddress != null) {
            config = config.withMaxPerAddress(maxPerAddress);
        }
        if (bufferSize != null) {
            config = config.withBufferSize(bufferSize);
        }
        return config;
    }

    /** The rendezvous control port: TLS 1.3 with a pinned (by default self-signed) certificate. */
    private EventStore events;

    private RendezvousServer startControl(PrintWriter err, int relayPort) throws IOException {
        int p = controlPort == null ? RendezvousConfig.defaults().bind().getPort() : controlPort;
        if (p < 0) {
            return null;
        }
        if (p > 65535) {
            throw new Main.UsageException("--control-port must be -1 to 65535");
        }
        if ((certPem == null) != (keyPem == null)) {
            throw new Main.UsageException("give --cert and --key together");
        }
        RendezvousConfig config = RendezvousConfig.defaults().withBind(new InetSocketAddress(bind, p));
        Path dir = stateDir != null ? stateDir : defaultStateDir();
        try {
            Files.createDirectories(dir);
            events = EventStore.open(dir, EventLimits.defaults(), InstantSource.system());
        } catch (IOException | RuntimeException e) {
            throw new Main.UsageException("cannot open the event store in " + dir + ": " + e.getMessage());
        }
        try {
            if (plainControl) {
                RendezvousServer s = RendezvousServer.start(config, javax.net.ServerSocketFactory.getDefault(),
                        new RendezvousBackend(RendezvousBackend.PLAIN_NAME, relayPort, events));
                err.println("tryst control listening on tcp " + HostPort.format(s.address()) + " (plain: no TLS, local use only)");
                err.flush();
                return s;
            }
            ServerIdentity identity = certPem != null ? ServerIdentity.fromPem(certPem, keyPem) : ServerIdentity.loadOrCreate(dir);
            if (identity.created()) {
                err.println("tryst: created a self-signed certificate in " + dir);
            }
            RendezvousServer s = RendezvousServer.start(config, Tls.serverSocketFactory(identity),
                    new RendezvousBackend(identity.fingerprint().hex(), relayPort, events));
            err.println("tryst control listening on tls " + HostPort.format(s.address()) + ", certificate fingerprint "
                    + identity.fingerprint().hex());
            err.flush();
            return s;
        } catch (java.net.BindException e) {
            events.close();
            events = null;
            if (controlPort != null) {
                throw new Main.UsageException("cannot listen for the control port on " + bind + ":" + p + " (" + e.getMessage()
                        + "); choose another with --control-port, or -1 to run without");
            }
            err.println("tryst: control port not started: " + bind + ":" + p + " is taken (" + e.getMessage()
                    + "); the relay runs without it");
            err.flush();
            return null;
        }
    }

    static Path defaultStateDir() {
        String xdg = System.getenv("XDG_STATE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "tryst");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "tryst");
    }

    /**
     * The STUN responder beside the relay. A port given on the command line must be had; the
     * default one (3478) may be taken by another STUN server, and then the relay runs without.
     */
    private StunServer startStun(PrintWriter err) throws IOException {
        int p = stunPort == null ? StunConfig.defaults().bind().getPort() : stunPort;
        if (p < 0) {
            return null;
        }
        if (p > 65535) {
            throw new Main.UsageException("--stun-port must be -1 to 65535");
        }
        try {
            StunServer s = StunServer.start(StunConfig.defaults().withBind(new InetSocketAddress(bind, p)));
            err.println("tryst stun listening on udp " + HostPort.format(s.address()));
            err.flush();
            return s;
        } catch (java.net.BindException e) {
            if (stunPort != null) {
                throw new Main.UsageException("cannot listen for STUN on udp " + bind + ":" + p + " (" + e.getMessage()
                        + "); choose another port with --stun-port, or -1 to run without");
            }
            err.println("tryst: STUN not started: udp " + bind + ":" + p + " is taken (" + e.getMessage()
                    + "); the relay runs without it");
            err.flush();
            return null;
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (port < 0 || port > 65535) {
            throw new Main.UsageException("--relay-port must be 0 to 65535");
        }
        RelayConfig config;
        try {
            config = configure();
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        RelayServer relay;
        try {
            relay = RelayServer.start(config);
        } catch (java.net.BindException e) {
            throw new Main.UsageException("cannot listen on " + bind + ":" + port + " (" + e.getMessage()
                    + "); is another server running? Choose another port with --relay-port");
        }
        err.println("tryst relay listening on tcp " + HostPort.format(relay.address()));
        err.flush();
        StunServer stun = startStun(err);
        RendezvousServer control = startControl(err, relay.address().getPort());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            if (stun != null) {
                stun.close();
            }
            if (control != null) {
                control.close();
            }
            if (events != null) {
                events.close();
            }
            stopped.countDown();
        }, "tryst-shutdown"));
        var log = System.getLogger("dev.tryst.relay.stats");
        RelayStats last = null;
        while (!stopped.await(statsInterval.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            RelayStats now = relay.stats();
            if (!now.equals(last)) {
                log.log(System.Logger.Level.INFO, now.toString());
                last = now;
            }
        }
        return ExitCode.OK.code;
    }
}
