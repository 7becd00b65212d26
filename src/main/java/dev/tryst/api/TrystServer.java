package dev.tryst.api;

import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.net.HostPort;
import dev.tryst.relay.RelayConfig;
import dev.tryst.relay.RelayServer;
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
import java.time.InstantSource;
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
    private final String fingerprint;

    private TrystServer(RelayServer relay, StunServer stun, RendezvousServer control, EventStore events, String fingerprint) {
        this.relay = relay;
        this.stun = stun;
        this.control = control;
        this.events = events;
        this.fingerprint = fingerprint;
    }

    /**
     * Starts every service {@code config} asks for; {@code notices} hears what a person running the
     * server should know (a certificate created, a default port taken and its service left out).
     *
     * @throws TrystException INVALID_ARGUMENT: a port that must be had is taken, a bad certificate,
     *     a state folder that cannot be used; nothing is left running
     */
    public static TrystServer start(ServerConfig config, Consumer<String> notices) throws TrystException {
        RelayServer relay = null;
        StunServer stun = null;
        EventStore events = null;
        try {
            try {
                relay = RelayServer.start(relayConfig(config));
            } catch (BindException e) {
                throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot listen on " + config.bind() + ":"
                        + config.relayPort() + " (" + e.getMessage() + ")",
                        "is another server running? Choose another relay port", e);
            }
            stun = startStun(config, notices);
            String[] fp = {null};
            RendezvousServer control = null;
            int controlPort = config.controlPort() == null ? RendezvousConfig.DEFAULT_PORT : config.controlPort();
            if (controlPort >= 0) {
                events = openEvents(config);
                EventStore store = events;
                int relayPort = relay.address().getPort();
                int stunPort = stun == null ? 0 : stun.address().getPort();
                control = beside(config.controlPort() != null, "tcp " + config.bind() + ":" + controlPort, notices, () -> {
                    RendezvousConfig rc = RendezvousConfig.defaults().withBind(new InetSocketAddress(config.bind(), controlPort));
                    if (config.relayWaitTimeout() != null) {
                        rc = rc.withRoomLifetime(config.relayWaitTimeout()); // one wait for a peer, at the relay and in a room
                    }
                    if (config.plainControl()) {
                        return RendezvousServer.start(rc, ServerSocketFactory.getDefault(),
                                new RendezvousBackend(RendezvousBackend.PLAIN_NAME, relayPort, stunPort, store));
                    }
                    ServerIdentity identity = config.certPem() != null ? ServerIdentity.fromPem(config.certPem(), config.keyPem())
                            : ServerIdentity.loadOrCreate(config.stateDir());
                    if (identity.created()) {
                        notices.accept("created a self-signed certificate in " + config.stateDir());
                    }
                    fp[0] = identity.fingerprint().hex();
                    return RendezvousServer.start(rc, Tls.serverSocketFactory(identity),
                            new RendezvousBackend(fp[0], relayPort, stunPort, store));
                });
                if (control == null) {
                    events.close();
                    events = null;
                }
            }
            return new TrystServer(relay, stun, control, events, fp[0]);
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

    private static StunServer startStun(ServerConfig config, Consumer<String> notices) throws IOException {
        int p = config.stunPort() == null ? StunWire.DEFAULT_PORT : config.stunPort();
        if (p < 0) {
            return null;
        }
        return beside(config.stunPort() != null, "udp " + config.bind() + ":" + p, notices,
                () -> StunServer.start(StunConfig.defaults().withBind(new InetSocketAddress(config.bind(), p))));
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

    @FunctionalInterface
    private interface Start<T> {
        T start() throws IOException;
    }

    /**
     * Starts a service beside the relay. A port that was given must be had; a default one may be
     * taken by another program (another STUN server, say), and then the server runs without the
     * service and says so.
     */
    private static <T> T beside(boolean given, String where, Consumer<String> notices, Start<T> start) throws IOException {
        try {
            return start.start();
        } catch (BindException e) {
            if (given) {
                throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot listen on " + where + " ("
                        + e.getMessage() + ")", "choose another port, or turn the service off", e);
            }
            notices.accept("not started on " + where + ", which is taken (" + e.getMessage() + "); the server runs without it");
            return null;
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

    /** The relay's counters, one line for a log. */
    public String relayStats() {
        return relay.stats().toString();
    }

    @Override
    public void close() {
        closeAll(relay, stun, control, events);
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
