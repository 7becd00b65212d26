package dev.tryst.api;

import dev.tryst.admin.AdminServer;
import dev.tryst.admin.Health;
import dev.tryst.admin.ServerMetrics;
import dev.tryst.admin.TimedEventLog;
import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.net.HostPort;
import dev.tryst.relay.RelayConfig;
import dev.tryst.relay.RelayServer;
import dev.tryst.relay.RelayStats;
import dev.tryst.rendezvous.RendezvousStats;
import dev.tryst.server.Activity;
import dev.tryst.stun.StunStats;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import dev.tryst.stun.StunConfig;
import dev.tryst.stun.StunServer;
import dev.tryst.wire.StunWire;
import dev.tryst.tls.ServerIdentity;
import dev.tryst.tls.Tls;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.function.Consumer;
import javax.net.ServerSocketFactory;

/**
 * A tryst server built from one {@link ServerConfig}: the relay (TCP, ruck's stapling relay,
 * hardened), the rendezvous control port (TLS 1.3: rooms, identities, sealed messages, connection
 * requests) with its event database, and a STUN responder (UDP). {@link #close()} stops them all.
 *
 * <pre>{@code
 * try (TrystServer server = TrystServer.start(ServerConfig.loopback(dir), notice -> { })) {
 *     Tryst tryst = new Tryst(TrystOptions.defaults().withServer(server.controlTarget()).withPlainControl(true));
 *     ...
 * }
 * }</pre>
 */
public final class TrystServer implements AutoCloseable {
    private final RelayServer relay;
    private final StunServer stun;
    private final RendezvousServer control;
    private final EventStore events;
    private final TimedEventLog timedEvents;
    private final String fingerprint;
    private final ServerMetrics metrics;
    private final long startNanos = System.nanoTime();
    private volatile AdminServer admin;

    private TrystServer(RelayServer relay, StunServer stun, RendezvousServer control, EventStore events, TimedEventLog timedEvents,
                        String fingerprint, ServerMetrics metrics) {
        this.relay = relay;
        this.stun = stun;
        this.control = control;
        this.events = events;
        this.timedEvents = timedEvents;
        this.fingerprint = fingerprint;
        this.metrics = metrics;
    }

    /** {@link #start(ServerConfig, Consumer, Consumer)} without listening to what the server does. */
    public static TrystServer start(ServerConfig config, Consumer<String> notices) throws TrystException {
        return start(config, notices, event -> { });
    }

    /**
     * Starts every service {@code config} asks for; {@code notices} hears what a person running the
     * server should know (a certificate created), {@code activity} every room, relay pair and login
     * as it happens (on the services' threads: it must be quick; what it throws is ignored).
     *
     * @throws TrystException INVALID_ARGUMENT: a port is taken (every service that is not off must
     *     have its port), a bad certificate, a state folder that cannot be used; nothing is left running
     */
    public static TrystServer start(ServerConfig config, Consumer<String> notices, Consumer<ServerEvent> activity)
            throws TrystException {
        RelayServer relay = null;
        StunServer stun = null;
        EventStore events = null;
        ServerMetrics metrics = new ServerMetrics(System.currentTimeMillis());
        Activity heard = (event, keyValues) -> {
            try {
                activity.accept(ServerEvent.of(event, keyValues));
            } catch (RuntimeException e) {
                // a log that fails must not fail the service
            }
        };
        try {
            try {
                relay = RelayServer.start(relayConfig(config));
            } catch (BindException e) {
                throw taken("relay port", "tcp", config.bind(), config.relayPort(), "relay-port", false, e);
            }
            relay.activity(heard);
            stun = startStun(config);
            String[] fp = {null};
            RendezvousServer control = null;
            TimedEventLog timed = null;
            int controlPort = config.controlPort() == null ? RendezvousConfig.DEFAULT_PORT : config.controlPort();
            if (controlPort >= 0) {
                events = openEvents(config);
                timed = new TimedEventLog(events, metrics);
                TimedEventLog store = timed;
                int relayPort = relay.address().getPort();
                int stunPort = stun == null ? 0 : stun.address().getPort();
                try {
                    RendezvousConfig rc = RendezvousConfig.defaults().withBind(new InetSocketAddress(config.bind(), controlPort));
                    if (config.relayWaitTimeout() != null) {
                        rc = rc.withRoomLifetime(config.relayWaitTimeout()); // one wait for a peer, at the relay and in a room
                    }
                    if (config.plainControl()) {
                        control = RendezvousServer.start(rc, ServerSocketFactory.getDefault(),
                                new RendezvousBackend(RendezvousBackend.PLAIN_NAME, relayPort, stunPort, store));
                    } else {
                        ServerIdentity identity = config.certPem() != null ? ServerIdentity.fromPem(config.certPem(), config.keyPem())
                                : ServerIdentity.loadOrCreate(config.stateDir());
                        if (identity.created()) {
                            notices.accept("created a self-signed certificate in " + config.stateDir());
                        }
                        fp[0] = identity.fingerprint().hex();
                        control = RendezvousServer.start(rc, Tls.serverSocketFactory(identity),
                                new RendezvousBackend(fp[0], relayPort, stunPort, store));
                    }
                } catch (BindException e) {
                    throw taken("control port", "tcp", config.bind(), controlPort, "control-port", true, e);
                }
                control.activity(heard);
            }
            RendezvousServer c = control;
            StunServer st = stun;
            metrics.services(relay::stats, c == null ? null : c::stats, st == null ? null : st::stats);
            return new TrystServer(relay, stun, control, events, timed, fp[0], metrics);
        } catch (TrystException | RuntimeException e) {
            closeAll(relay, stun, null, events);
            if (e instanceof IllegalArgumentException || e instanceof dev.tryst.events.EventStoreException) {
                throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
            }
            throw e;
        } catch (IOException e) {
            closeAll(relay, stun, null, events);
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot start the server: " + e.getMessage(), e);
        }
    }

    /**
     * A port the server needs is held by another program: the server does not start (rather than
     * running without the service and letting its users find out), and says which port and how to
     * choose another.
     */
    private static TrystException taken(String what, String proto, String bind, int port, String option, boolean mayBeOff,
                                        BindException e) {
        return new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot listen on the " + what + ", " + proto + " "
                + HostPort.format(new InetSocketAddress(bind, port)) + " (" + e.getMessage() + ")",
                "is another server running? Choose another port with --" + option + " PORT (" + option
                        + " in the config file)" + (mayBeOff ? ", or turn the service off with --" + option + " -1" : ""), e);
    }

    /**
     * Serves {@code /metrics} (Prometheus text format) and {@code /healthz} (JSON) on {@code bind},
     * until the server closes; returns the address it listens on.
     *
     * @throws TrystException INVALID_ARGUMENT: the address is taken or cannot be bound
     */
    public synchronized InetSocketAddress serveAdmin(InetSocketAddress bind) throws TrystException {
        if (admin != null) {
            throw new IllegalStateException("the admin endpoint is already served on " + admin.address());
        }
        try {
            admin = AdminServer.start(bind, metrics, this::health);
            return admin.address();
        } catch (BindException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot listen on the admin port, tcp "
                    + HostPort.format(bind) + " (" + e.getMessage() + ")",
                    "is another server running? Choose another address with --admin HOST:PORT (admin in the config file),"
                            + " or turn it off with --admin off", e);
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot serve the admin endpoint on "
                    + HostPort.format(bind) + ": " + e.getMessage(), e);
        }
    }

    /** What /healthz says. */
    private Health health() {
        List<Health.Service> services = new ArrayList<>();
        if (control == null) {
            services.add(new Health.Service("control", "off", null, null, null, null));
        } else {
            String state = "up";
            String detail = null;
            try {
                timedEvents.check();
            } catch (RuntimeException e) {
                state = "down";
                detail = "event store: " + e.getMessage();
            }
            services.add(new Health.Service("control", control.isOpen() ? "up" : "down", HostPort.format(control.address()),
                    "sqlite " + EventStore.FILE_NAME + ", rooms and presence in memory", state, detail));
        }
        services.add(new Health.Service("relay", relay.isOpen() ? "up" : "down", HostPort.format(relay.address()), "memory",
                "up", null));
        if (stun == null) {
            services.add(new Health.Service("stun", "off", null, null, null, null));
        } else {
            services.add(new Health.Service("stun", stun.isOpen() ? "up" : "down", HostPort.format(stun.address()), "memory",
                    "up", null));
        }
        return new Health(uptime().toSeconds(), services);
    }

    /** How long the server has been running. */
    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * The counters an operator reads at a glance (for a periodic stats line and the totals at
     * shutdown), in a stable order; a service that is off has none.
     */
    public SequencedMap<String, Long> totals() {
        SequencedMap<String, Long> m = new LinkedHashMap<>();
        RelayStats r = relay.stats();
        m.put("relay_connections_open", r.activeConnections());
        m.put("relay_connections", r.connectionsAccepted());
        m.put("relay_pairs_open", r.activePairs());
        m.put("relay_pairs", r.pairsStapled());
        m.put("relay_bytes", r.bytesRelayed());
        m.put("relay_refused", r.refusedTotal());
        m.put("relay_timeouts", r.timeoutsTotal());
        if (control != null) {
            RendezvousStats c = control.stats();
            m.put("control_sessions_open", c.activeSessions());
            m.put("control_sessions", c.sessionsAccepted());
            m.put("rooms_open", c.activeRooms());
            m.put("rooms", c.roomsCreated());
                        m.put("logins", c.logins());
            m.put("control_refused", c.refusedSessions() + c.refusedPerAddress() + c.roomsRefused());
        }
        if (stun != null) {
            StunStats s = stun.stats();
            m.put("stun_requests", s.requests());
            m.put("stun_dropped", s.droppedTotal());
        }
        return m;
    }

    private static RelayConfig relayConfig(ServerConfig c) {
        RelayConfig r = RelayConfig.defaults().withBind(new InetSocketAddress(c.bind(), c.relayPort()));
        if (c.relayWaitTimeout() != null) {
            r = r.withWaitTimeout(c.relayWaitTimeout());
        }
        if (c.relayIdleTimeout() != null) {
            r = r.withIdleTimeout(c.relayIdleTimeout());
        }
        if (c.relayMaxPerAddress() != null) {
            r = r.withMaxPerAddress(c.relayMaxPerAddress());
        }
        if (c.relayBufferSize() != null) {
            r = r.withBufferSize(c.relayBufferSize());
        }
        return r;
    }

    private static StunServer startStun(ServerConfig config) throws IOException {
        int p = config.stunPort() == null ? StunWire.DEFAULT_PORT : config.stunPort();
        if (p < 0) {
            return null;
        }
        try {
            return StunServer.start(StunConfig.defaults().withBind(new InetSocketAddress(config.bind(), p)));
        } catch (BindException e) {
            throw taken("STUN port", "udp", config.bind(), p, "stun-port", true, e);
        }
    }

    private static EventStore openEvents(ServerConfig config) throws TrystException {
        try {
            Files.createDirectories(config.stateDir());
            return EventStore.open(config.stateDir(), EventLimits.defaults(), InstantSource.system());
        } catch (IOException | RuntimeException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot open the event store in "
                    + config.stateDir() + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress relayAddress() {
        return relay.address();
    }

    /** The control port's address, or null if it is off. */
    public InetSocketAddress controlAddress() {
        return control == null ? null : control.address();
    }

    /** The STUN responder's address, or null if it is off. */
    public InetSocketAddress stunAddress() {
        return stun == null ? null : stun.address();
    }

    /** The SHA-256 fingerprint of the control port's certificate (hex), or null without TLS. */
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * What a client gives as its server to reach this one ({@code HOST:PORT#FINGERPRINT}, or
     * {@code HOST:PORT} for a plain control port), or null if the control port is off. An unbound
     * address (0.0.0.0) is given as loopback.
     */
    public String controlTarget() {
        if (control == null) {
            return null;
        }
        InetSocketAddress a = control.address();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        String hp = HostPort.format(new InetSocketAddress(host, a.getPort()));
        return fingerprint == null ? hp : hp + "#" + fingerprint;
    }

    @Override
    public void close() {
        AdminServer a;
        synchronized (this) {
            a = admin;
        }
        closeAll(relay, stun, control, events);
        if (a != null) {
            a.close(); // last: a scraper sees the services go down, not the endpoint vanish first
        }
    }

    private static void closeAll(RelayServer relay, StunServer stun, RendezvousServer control, EventStore events) {
        if (control != null) {
            control.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (stun != null) {
            stun.close();
        }
        if (events != null) {
            events.close();
        }
    }
}
