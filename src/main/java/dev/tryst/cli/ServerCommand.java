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

    private EventStore events;

    /** The port {@code option} asks for: {@code given}, else {@code dflt}; -1 turns the service off. */
    private static int port(String option, Integer given, int dflt) {
        int p = given == null ? dflt : given;
        if (p > 65535) {
            throw new Main.UsageException(option + " must be -1 to 65535");
        }
        return p;
    }

    @FunctionalInterface
    private interface Start<T> {
        T start() throws IOException;
    }

    /**
     * Starts a service beside the relay. A port given on the command line must be had; the default
     * one may be taken by another program (another STUN server, say), and then the server runs
     * without the service and says so.
     */
    private static <T> T startBeside(PrintWriter err, String option, Integer given, String where, Start<T> start)
            throws IOException {
        try {
            return start.start();
        } catch (java.net.BindException e) {
            if (given != null) {
                throw new Main.UsageException("cannot listen on " + where + " (" + e.getMessage() + "); choose another"
                        + " port with " + option + ", or -1 to run without");
            }
            err.println("tryst: not started on " + where + ", which is taken (" + e.getMessage() + "); the server runs without it");
            err.flush();
            return null;
        }
    }

    /** The rendezvous control port: TLS 1.3 with a pinned (by default self-signed) certificate. */
    private RendezvousServer startControl(PrintWriter err, int relayPort) throws IOException {
        int p = port("--control-port", controlPort, RendezvousConfig.DEFAULT_PORT);
        if (p < 0) {
            return null;
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
        RendezvousServer started;
        try {
            started = startBeside(err, "--control-port", controlPort, "tcp " + bind + ":" + p, () -> {
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
            });
        } catch (IOException | RuntimeException e) {
            events.close();
            throw e;
        }
        if (started == null) {
            events.close();
            events = null;
        }
        return started;
    }

    static Path defaultStateDir() {
        String xdg = System.getenv("XDG_STATE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "tryst");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "tryst");
    }

    /** The STUN responder beside the relay. */
    private StunServer startStun(PrintWriter err) throws IOException {
        int p = port("--stun-port", stunPort, StunConfig.defaults().bind().getPort());
        if (p < 0) {
            return null;
        }
        return startBeside(err, "--stun-port", stunPort, "udp " + bind + ":" + p, () -> {
            StunServer s = StunServer.start(StunConfig.defaults().withBind(new InetSocketAddress(bind, p)));
            err.println("tryst stun listening on udp " + HostPort.format(s.address()));
            err.flush();
            return s;
        });
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
