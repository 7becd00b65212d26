package dev.tryst.cli;

import dev.tryst.admin.LogFormat;
import dev.tryst.api.ServerConfig;
import dev.tryst.api.ServerEvent;
import dev.tryst.api.TrystServer;
import dev.tryst.config.ConfigException;
import dev.tryst.config.ConfigFile;
import dev.tryst.net.HostPort;
import dev.tryst.wire.RelayWire;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the tryst server: the rendezvous (TLS on TCP 2311) where peers meet in rooms and"
            + " identities log in and leave each other sealed messages; the relay (TCP 8080) that staples two"
            + " clients presenting the same pairing key and pipes their encrypted bytes, blind; and a STUN"
            + " responder (UDP 3478) that tells clients the address and port their packets come from.",
            "",
            "An admin endpoint (default 127.0.0.1:2312) serves /metrics (Prometheus) and /healthz (JSON)."
            + " Every option has a key of the same name in the config file (--config; e.g. relay-port = 8080);"
            + " options given here win over the file. A port that is taken stops the server with exit code 2."})
final class ServerCommand implements Callable<Integer> {
    /** The admin endpoint's default: loopback only, the port after the control port's (9090 is Prometheus's own). */
    static final String DEFAULT_ADMIN = "127.0.0.1:2312";
    /** Read when it exists and the server runs as root or as the packaged service's user, without --config. */
    static final Path SYSTEM_CONFIG = Path.of("/etc/tryst/server.toml");

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read options from this TOML file (default: $TRYST_SERVER_CONFIG, else " + "/etc/tryst/server.toml"
                    + " if it exists and the server runs as root or as user tryst; 'none': no file).")
    String configFile;

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
            description = "Log a stats line this often when the counters changed. Default: ${DEFAULT-VALUE}.")
    Duration statsInterval;

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = DEFAULT_ADMIN,
            description = "Serve /metrics and /healthz here ('off': not at all; an address beyond loopback is allowed,"
                    + " with a warning). Default: ${DEFAULT-VALUE}.")
    String admin;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "kv",
            description = "Log lines as kv (key=value) or json. Default: ${DEFAULT-VALUE}.")
    String logFormat;

    /** Every option that has a config key, by its key (the long name without "--"). */
    static final Set<String> KEYS = Set.of("bind", "relay-port", "control-port", "state-dir", "cert", "key", "plain-control",
            "stun-port", "wait-timeout", "idle-timeout", "max-per-address", "buffer-size", "stats-interval", "admin", "log-format");

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Path file = configPath();
        if (file != null) {
            applyConfig(file);
        }
        LogFormat format;
        ServerConfig config;
        InetSocketAddress adminBind;
        try {
            format = LogFormat.parse(logFormat);
            adminBind = admin.equals("off") ? null : adminAddress(admin);
            config = new ServerConfig(bind, port, controlPort, stunPort, stateDir != null ? stateDir : ServerConfig.defaultStateDir(),
                    certPem, keyPem, plainControl, waitTimeout, idleTimeout, maxPerAddress, bufferSize);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        Log log = new Log(err, format);
        TrystServer server = TrystServer.start(config, notice -> {
            err.println("tryst: " + notice);
            err.flush();
        }, log::event);
        InetSocketAddress adminAddress = null;
        if (adminBind != null) {
            try {
                InetAddress a = InetAddress.getByName(adminBind.getHostString());
                if (!a.isLoopbackAddress()) {
                    err.println("tryst: warning: the admin endpoint (/metrics, /healthz) listens on " + HostPort.format(adminBind)
                            + ", beyond loopback: anyone who reaches it sees the server's counters");
                }
                adminAddress = server.serveAdmin(new InetSocketAddress(a, adminBind.getPort()));
            } catch (IOException | RuntimeException e) {
                server.close();
                if (e instanceof dev.tryst.api.TrystException t) {
                    throw t;
                }
                throw new Main.UsageException("--admin " + admin + ": " + e.getMessage());
            }
        }
        List<String> running = new ArrayList<>();
        err.println("tryst relay listening on tcp " + shown(server.relayAddress()));
        running.add("relay");
        if (server.stunAddress() != null) {
            err.println("tryst stun listening on udp " + shown(server.stunAddress()));
            running.add("stun");
        }
        if (server.controlAddress() != null) {
            err.println(server.fingerprint() == null
                    ? "tryst control listening on tcp " + shown(server.controlAddress()) + " (plain: no TLS, local use only)"
                    : "tryst control listening on tls " + shown(server.controlAddress()) + ", certificate fingerprint "
                            + server.fingerprint());
            running.add("control");
        }
        if (adminAddress != null) {
            err.println("tryst admin listening on http " + HostPort.format(adminAddress) + " (/metrics, /healthz)");
        }
        log.line("started", "services", String.join(",", running), "relay", shown(server.relayAddress()),
                "control", server.controlAddress() == null ? "off" : shown(server.controlAddress()),
                "stun", server.stunAddress() == null ? "off" : shown(server.stunAddress()),
                "admin", adminAddress == null ? "off" : HostPort.format(adminAddress),
                "config", file == null ? "none" : file.toString());
        err.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            SequencedMap<String, Long> totals = server.totals();
            Duration up = server.uptime();
            server.close();
            log.line("shutdown", totalsWith(totals, "services", String.join(",", running), "uptime_s", up.toSeconds()));
            closed.countDown();
        }, "tryst-shutdown"));
        SequencedMap<String, Long> last = server.totals();
        while (!stopped.await(statsInterval.toMillis(), TimeUnit.MILLISECONDS)) {
            SequencedMap<String, Long> now = server.totals();
            if (!now.equals(last)) {
                log.line("stats", totalsWith(now));
                last = now;
            }
        }
        closed.await(10, TimeUnit.SECONDS);
        return ExitCode.OK.code;
    }

    private static Object[] totalsWith(Map<String, Long> totals, Object... first) {
        List<Object> kv = new ArrayList<>(List.of(first));
        totals.forEach((k, v) -> {
            kv.add(k);
            kv.add(v);
        });
        return kv.toArray();
    }

    /** A listener's address as the operator bound it: the wildcard the way --bind said it (0.0.0.0, not [::]). */
    private String shown(InetSocketAddress a) {
        if (a.getAddress() != null && a.getAddress().isAnyLocalAddress()) {
            return HostPort.format(new InetSocketAddress(bind, a.getPort()));
        }
        return HostPort.format(a);
    }

    /** --config, else $TRYST_SERVER_CONFIG, else /etc/tryst/server.toml if it exists and we are root or tryst; null: none. */
    private Path configPath() {
        if (configFile != null) {
            return configFile.equals("none") ? null : Path.of(configFile);
        }
        String env = System.getenv("TRYST_SERVER_CONFIG");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String user = System.getProperty("user.name", "");
        if ((user.equals("root") || user.equals("tryst")) && Files.exists(SYSTEM_CONFIG)) {
            return SYSTEM_CONFIG;
        }
        return null;
    }

    /** Sets every option the command line did not give from {@code file}'s keys (at its root or under [server]). */
    private void applyConfig(Path file) {
        ConfigFile cf;
        try {
            cf = ConfigFile.read(file);
            for (String t : cf.tables()) {
                if (!t.isEmpty() && !t.equals("server")) {
                    throw new ConfigException(cf.source(), cf.tableLine(t), "unknown table [" + t + "] (only [server], or no table)");
                }
            }
            cf.requireKnown("", KEYS);
            cf.requireKnown("server", KEYS);
            Set<String> seen = new LinkedHashSet<>();
            for (String t : List.of("", "server")) {
                for (ConfigFile.Value v : cf.table(t).values()) {
                    if (!seen.add(v.key())) {
                        throw v.error("is given both at the top and in [server]");
                    }
                    if (!spec.commandLine().getParseResult().hasMatchedOption("--" + v.key())) {
                        set(v);
                    }
                }
            }
        } catch (IOException e) {
            throw new Main.UsageException("cannot read the config file " + file + ": " + e.getMessage());
        } catch (ConfigException e) {
            throw new Main.UsageException("config: " + e.getMessage());
        }
    }

    private void set(ConfigFile.Value v) throws ConfigException {
        switch (v.key()) {
            case "bind" -> bind = v.asString();
            case "relay-port" -> port = v.asInt(0, 65535);
            case "control-port" -> controlPort = v.asInt(-1, 65535);
            case "stun-port" -> stunPort = v.asInt(-1, 65535);
            case "state-dir" -> stateDir = Path.of(v.asString());
            case "cert" -> certPem = Path.of(v.asString());
            case "key" -> keyPem = Path.of(v.asString());
            case "plain-control" -> plainControl = v.asBoolean();
            case "wait-timeout" -> waitTimeout = duration(v);
            case "idle-timeout" -> idleTimeout = duration(v);
            case "stats-interval" -> statsInterval = duration(v);
            case "max-per-address" -> maxPerAddress = v.asInt(1, Integer.MAX_VALUE);
            case "buffer-size" -> bufferSize = v.asInt(1, Integer.MAX_VALUE);
            case "admin" -> {
                String a = v.asString();
                if (!a.equals("off")) {
                    try {
                        adminAddress(a);
                    } catch (IllegalArgumentException e) {
                        throw v.error("must be HOST:PORT or \"off\": " + e.getMessage());
                    }
                }
                admin = a;
            }
            case "log-format" -> {
                String f = v.asString();
                try {
                    LogFormat.parse(f);
                } catch (IllegalArgumentException e) {
                    throw v.error("must be \"kv\" or \"json\", not \"" + f + "\"");
                }
                logFormat = f;
            }
            default -> throw new IllegalStateException("no option for key " + v.key()); // KEYS and this switch agree
        }
    }

    /** HOST:PORT ([v6]:PORT), PORT 0 to 65535 (0 picks a free one); the port may not be left out. */
    static InetSocketAddress adminAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0 || text.endsWith("]")) {
            throw new IllegalArgumentException("'" + text + "' needs a port: HOST:PORT, e.g. " + DEFAULT_ADMIN);
        }
        String portText = text.substring(colon + 1);
        int p;
        try {
            p = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("'" + text + "': the port must be 0 to 65535");
        }
        InetSocketAddress a = HostPort.parse(text.substring(0, colon) + ":1", 1);
        return InetSocketAddress.createUnresolved(a.getHostString(), p);
    }

    private static Duration duration(ConfigFile.Value v) throws ConfigException {
        try {
            return new Durations().convert(v.asString());
        } catch (CommandLine.TypeConversionException e) {
            throw v.error(e.getMessage());
        }
    }

    /** The server's structured log lines, one at a time, on standard error. */
    static final class Log {
        private final PrintWriter out;
        private final LogFormat format;

        Log(PrintWriter out, LogFormat format) {
            this.out = out;
            this.format = format;
        }

        void event(ServerEvent e) {
            Object[] kv = new Object[e.fields().size() * 2];
            int i = 0;
            for (var f : e.fields().entrySet()) {
                kv[i++] = f.getKey();
                kv[i++] = f.getValue();
            }
            line(e.name(), kv);
        }

        void line(String event, Object... keyValues) {
            String l = format.line(Instant.now(), event, keyValues);
            synchronized (out) {
                out.println(l);
                out.flush();
            }
        }
    }
}
