package dev.tryst.client;

import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import dev.tryst.identity.PeerKeys;
import dev.tryst.path.Candidates;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.ClientInfo;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestAccept;
import dev.tryst.wire.ControlWire.ConnectionRequestDenied;
import dev.tryst.wire.ControlWire.Packet;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Being reachable as an identity: logged in to the server for as long as it runs (logging in again,
 * with a growing pause, whenever the server or the network goes away), it accepts connection
 * requests from the identities its {@link Gate} admits and denies the others without anything
 * above ever seeing them; for each accepted request it races the paths as the responder
 * ({@link PeerConnector#race}) and hands the proven session to its {@link Handler}, each on a
 * thread of its own.
 *
 * <p>A CLIENT_INFO is taken only for a request this listener accepted (the server cannot make it
 * connect to someone it did not admit), and the path proof takes only the identity admitted.
 */
public final class PeerListener implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PeerListener.class.getName());
    /** The pause before logging in again: doubling from the first to the last. */
    static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    static final Duration LAST_PAUSE = Duration.ofSeconds(30);
    /** An accepted request whose CLIENT_INFO has not come by then is forgotten. */
    static final long ACCEPTED_FOR_NANOS = TimeUnit.SECONDS.toNanos(90);
    /** Accepted requests waiting for their CLIENT_INFO: bounded, whatever the server sends. */
    static final int MAX_ACCEPTED = 64;

    /** Who may connect: the contact's name for {@code requester}, or null to deny it. */
    @FunctionalInterface
    public interface Gate {
        String admit(IdentityKey requester);
    }

    /** A proven session with an admitted peer; runs on its own thread and owns the session. */
    @FunctionalInterface
    public interface Handler {
        void connected(PeerConnector.Connection connection);
    }

    /** What the listener does, for its log. */
    public interface Events {
        default void online(String server) {}

        default void offline(String why, Duration retryIn) {}

        default void denied(IdentityKey requester) {}

        default void accepted(String name) {}

        default void failed(String name, IOException why) {}
    }

    private final ControlClient.Server server;
    private final Identity me;
    private final Gate gate;
    private final Handler handler;
    private final Events events;
    private final ConnectConfig config;
    private final InetSocketAddress relayOverride;
    private final SecureRandom random;
    private final Thread loop;
    private final AtomicInteger races = new AtomicInteger();
    private volatile boolean closed;
    private volatile ControlClient current;

    private record Accepted(String name, IdentityKey key, long at) {}

    private PeerListener(ControlClient.Server server, Identity me, Gate gate, Handler handler, Events events,
                         ConnectConfig config, InetSocketAddress relayOverride, SecureRandom random) {
        this.server = server;
        this.me = me;
        this.gate = gate;
        this.handler = handler;
        this.events = events;
        this.config = config;
        this.relayOverride = relayOverride;
        this.random = random;
        this.loop = Thread.ofVirtual().name("peer-listen").unstarted(this::run);
    }

    public static PeerListener start(ControlClient.Server server, Identity me, Gate gate, Handler handler, Events events,
                                     ConnectConfig config, InetSocketAddress relayOverride, SecureRandom random) {
        PeerListener l = new PeerListener(Objects.requireNonNull(server), Objects.requireNonNull(me), Objects.requireNonNull(gate),
                Objects.requireNonNull(handler), events == null ? new Events() {} : events, Objects.requireNonNull(config),
                relayOverride, random);
        l.loop.start();
        return l;
    }

    private void run() {
        Duration pause = FIRST_PAUSE;
        while (!closed) {
            String why;
            try (ControlClient control = ControlClient.connect(server, me, config.connect())) {
                current = control;
                if (closed) {
                    return;
                }
                events.online(server.describe());
                pause = FIRST_PAUSE;
                serve(control);
                why = "the server closed the session";
            } catch (ControlClient.ControlClosedException e) {
                why = e.getMessage();
                if (ControlWire.REASON_ALREADY_CONNECTED.equals(e.reason())) {
                    why += " (another 'tryst listen' with this identity, or the last one's session not yet timed out)";
                }
            } catch (IOException | RuntimeException e) {
                why = e.getMessage() == null ? e.toString() : e.getMessage();
            } finally {
                current = null;
            }
            if (closed) {
                return;
            }
            events.offline(why, pause);
            try {
                // a little jitter, so that many listeners a server dropped do not all come back at once
                Thread.sleep(pause.toMillis() + random.nextInt((int) Math.max(1, pause.toMillis() / 4)));
            } catch (InterruptedException e) {
                return;
            }
            pause = pause.multipliedBy(2).compareTo(LAST_PAUSE) > 0 ? LAST_PAUSE : pause.multipliedBy(2);
        }
    }

    /** One logged-in session: requests in, CLIENT_INFOs to races, until the session ends. */
    private void serve(ControlClient control) throws IOException {
        Map<Bytes, ArrayDeque<Accepted>> accepted = new HashMap<>();
        int port = control.localAddress().getPort();
        while (!closed) {
            Packet p;
            try {
                p = control.next(Duration.ofSeconds(30));
            } catch (SocketTimeoutException e) {
                forgetOld(accepted);
                continue; // the server pings; silence is its to judge
            }
            forgetOld(accepted);
            switch (p) {
                case ConnectionRequest r -> {
                    IdentityKey key;
                    try {
                        key = IdentityKey.of(r.peer().toByteArray());
                    } catch (IllegalArgumentException e) {
                        continue; // not a key: nobody to answer
                    }
                    String name = gate.admit(key);
                    int waiting = accepted.values().stream().mapToInt(ArrayDeque::size).sum();
                    if (name == null || waiting >= MAX_ACCEPTED) {
                        control.send(new ConnectionRequestDenied(r.peer(), "Not available"));
                        if (name == null) {
                            events.denied(key);
                        }
                        continue;
                    }
                    accepted.computeIfAbsent(r.peer(), k -> new ArrayDeque<>()).add(new Accepted(name, key, System.nanoTime()));
                    control.send(new ConnectionRequestAccept(r.peer(),
                            config.direct() ? Candidates.local(port, ControlWire.MAX_ADDRESSES) : java.util.List.of()));
                    events.accepted(name);
                }
                case ClientInfo info -> {
                    ArrayDeque<Accepted> mine = accepted.get(info.peer());
                    Accepted a = mine == null ? null : mine.poll();
                    if (mine != null && mine.isEmpty()) {
                        accepted.remove(info.peer());
                    }
                    if (a == null) {
                        LOG.log(System.Logger.Level.WARNING, "the server sent CLIENT_INFO for {0}, which this listener did"
                                + " not accept; ignored", PeerConnector.fingerprint(info.peer()));
                        continue;
                    }
                    races.incrementAndGet();
                    Thread.ofVirtual().name("peer-race").start(() -> {
                        try {
                            handler.connected(PeerConnector.race(control, info,
                                    PeerKeys.responder(me, a.key(), a.name(), info.relayPairingKey()), a.name(), config,
                                    relayOverride, random));
                        } catch (IOException e) {
                            events.failed(a.name(), e);
                        } finally {
                            races.decrementAndGet();
                        }
                    });
                }
                default -> { } // nothing else is for a listener
            }
        }
    }

    private static void forgetOld(Map<Bytes, ArrayDeque<Accepted>> accepted) {
        long now = System.nanoTime();
        for (Iterator<ArrayDeque<Accepted>> it = accepted.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Accepted> q = it.next();
            q.removeIf(a -> now - a.at() > ACCEPTED_FOR_NANOS);
            if (q.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Whether it is logged in now. */
    public boolean online() {
        return current != null;
    }

    /** Races under way now. */
    public int racing() {
        return races.get();
    }

    /** Stops listening: logs out; sessions already handed out are their handlers'. */
    @Override
    public void close() {
        closed = true;
        ControlClient c = current;
        if (c != null) {
            c.close();
        }
        loop.interrupt();
        try {
            loop.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
