package dev.tryst.admin;

import dev.tryst.relay.RelayStats;
import dev.tryst.rendezvous.RendezvousStats;
import dev.tryst.stun.StunStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The server's metrics, in a {@link PrometheusRegistry} of its own (never the JVM-wide default:
 * two servers in one JVM, as in tests, do not see each other's). Almost every metric is a callback
 * that reads the service's own counters when scraped ({@link RelayStats}, {@link RendezvousStats},
 * {@link StunStats}), so there is one source of truth and nothing is counted twice; only what no
 * service counts — the event store's latency and the messages through it — is counted here
 * ({@link TimedEventLog}). A service that is off has no samples.
 */
public final class ServerMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Histogram eventStoreSeconds;
    final io.prometheus.metrics.core.metrics.Counter messagesStored;
    final io.prometheus.metrics.core.metrics.Counter messagesDelivered;
    final io.prometheus.metrics.core.metrics.Counter messagesRefused;
    private volatile Supplier<RelayStats> relay = () -> null;
    private volatile Supplier<RendezvousStats> control = () -> null;
    private volatile Supplier<StunStats> stun = () -> null;

    public ServerMetrics(long startMillis) {
        eventStoreSeconds = Histogram.builder().name("tryst_event_store_duration_seconds")
                .help("Time the control port's event store (SQLite) took per operation, durable writes included")
                .labelNames("operation").classicOnly()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
                .withoutExemplars().register(registry);
        messagesStored = io.prometheus.metrics.core.metrics.Counter.builder().name("tryst_messages_stored_total")
                .help("Sealed messages and other events stored for an identity (durably, before the sender is told)")
                .withoutExemplars().register(registry);
        messagesDelivered = io.prometheus.metrics.core.metrics.Counter.builder().name("tryst_messages_delivered_total")
                .help("Stored events sent to their identity's session (a resumed session may be sent one again)")
                .withoutExemplars().register(registry);
        messagesRefused = io.prometheus.metrics.core.metrics.Counter.builder().name("tryst_messages_refused_total")
                .help("Events not stored because a bound of the store was reached (the sender is told)")
                .withoutExemplars().register(registry);
        GaugeWithCallback.builder().name("tryst_start_time_seconds").help("When the server started, in Unix time")
                .callback(cb -> cb.call(startMillis / 1000.0)).register(registry);

        // connections, by service
        gauge("tryst_connections_open", "Connections open now, by service", "service", cb -> {
            r(s -> cb.call(s.activeConnections(), "relay"));
            c(s -> cb.call(s.activeSessions(), "control"));
        });
        counter("tryst_connections", "Connections accepted, by service (refused ones included)", "service", cb -> {
            r(s -> cb.call(s.connectionsAccepted(), "relay"));
            c(s -> cb.call(s.sessionsAccepted(), "control"));
        });
        counter("tryst_refusals", "Connections or requests refused at admission, by service and reason", "service,reason", cb -> {
            r(s -> {
                cb.call(s.refusedConnections(), "relay", "max_connections");
                cb.call(s.refusedPerAddress(), "relay", "per_source");
                cb.call(s.refusedWaiting(), "relay", "max_waiting");
                cb.call(s.refusedPairs(), "relay", "max_pairs");
                cb.call(s.refusedKeyStapled(), "relay", "key_already_stapled");
            });
            c(s -> {
                cb.call(s.refusedSessions(), "control", "max_sessions");
                cb.call(s.refusedPerAddress(), "control", "per_source");
                cb.call(s.roomsRefused(), "control", "rooms_per_source");
            });
        });
        counter("tryst_limits_hit", "Sessions cut or datagrams dropped for going over a limit, by service and limit",
                "service,limit", cb -> {
            c(s -> {
                cb.call(s.lookupLimitDisconnects(), "control", "failed_lookups");
                cb.call(s.joinLimitDisconnects(), "control", "joins");
                cb.call(s.requestLimitDisconnects(), "control", "connection_requests");
                cb.call(s.slowConsumers(), "control", "outgoing_queue");
            });
            st(s -> {
                cb.call(s.droppedRateLimited(), "stun", "rate");
                cb.call(s.droppedAmplification(), "stun", "amplification");
            });
        });
        counter("tryst_timeouts", "Connections closed by a deadline, by service and kind", "service,kind", cb -> {
            r(s -> {
                cb.call(s.handshakeTimeouts(), "relay", "handshake");
                cb.call(s.waitTimeouts(), "relay", "wait");
                cb.call(s.idleTimeouts(), "relay", "idle");
            });
            c(s -> cb.call(s.timeouts(), "control", "silence"));
        });
        gauge("tryst_threads", "Threads of each service still running (virtual threads included)", "service", cb -> {
            r(s -> cb.call(s.liveThreads(), "relay"));
            c(s -> cb.call(s.liveThreads(), "control"));
        });

        // relay
        gauge("tryst_relay_pairs_open", "Relay pairs stapled and piping now", null, cb -> r(s -> cb.call(s.activePairs())));
        counter("tryst_relay_pairs_stapled", "Relay pairs stapled (two clients with the same pairing key)", null,
                cb -> r(s -> cb.call(s.pairsStapled())));
        gauge("tryst_relay_waiting_keys", "Relay clients waiting alone for their peer now (the relay's queue)", null,
                cb -> r(s -> cb.call(s.waitingKeys())));
        counter("tryst_relay_bytes", "Payload bytes the relay copied, by direction: first_to_second from the client that"
                + " waited to the one that came second, second_to_first back", "direction", cb -> r(s -> {
                    cb.call(s.bytesFirstToSecond(), "first_to_second");
                    cb.call(s.bytesSecondToFirst(), "second_to_first");
                }));
        counter("tryst_relay_early_bytes", "Payload bytes read from a waiting client before its peer came (held, then sent on)",
                null, cb -> r(s -> cb.call(s.earlyBytes())));
        counter("tryst_relay_handshake_failures", "Relay clients that hung up or failed before sending a whole key", null,
                cb -> r(s -> cb.call(s.handshakeFailures())));
        counter("tryst_relay_wait_abandoned", "Relay clients that hung up while waiting for their peer", null,
                cb -> r(s -> cb.call(s.waitAbandoned())));

        // rendezvous (control port)
        gauge("tryst_control_queued_packets", "Packets waiting in the control sessions' outgoing queues now, in all", null,
                cb -> c(s -> cb.call(s.queuedPackets())));
        gauge("tryst_control_queue_deepest", "The longest control session's outgoing queue now, in packets (near"
                + " tryst_control_queue_limit: a slow client about to be dropped)", null, cb -> c(s -> cb.call(s.deepestQueue())));
        gauge("tryst_control_queue_limit", "Each control session's outgoing queue bound, in packets", null,
                cb -> c(s -> cb.call(s.queueLimit())));
        gauge("tryst_rooms_open", "Rendezvous rooms open now", null, cb -> c(s -> cb.call(s.activeRooms())));
        counter("tryst_rooms_created", "Rendezvous rooms created", null, cb -> c(s -> cb.call(s.roomsCreated())));
        counter("tryst_rooms_joined", "Rooms a second member joined", null, cb -> c(s -> cb.call(s.roomsJoined())));
        counter("tryst_rooms_addresses_exchanged", "Rooms whose two members both sent ROOM_DONE and got each other's addresses"
                + " (for a direct path)", null,
                cb -> c(s -> cb.call(s.contactsExchanged())));
        counter("tryst_rooms_expired", "Rooms closed at their lifetime", null, cb -> c(s -> cb.call(s.roomsExpired())));
        counter("tryst_rooms_unproven_joiners", "Joiners that left before the room's creator was done: typically a wrong"
                + " code (the server never sees the code; SPAKE2 runs end to end)", null, cb -> c(s -> cb.call(s.seatsFreed())));
        counter("tryst_rooms_failed_lookups", "Joins or creates that found no room or a full one", null,
                cb -> c(s -> cb.call(s.failedLookups())));
        counter("tryst_room_messages_forwarded", "Room messages delivered to the other member", null,
                cb -> c(s -> cb.call(s.messagesForwarded())));
        counter("tryst_logins", "Identity sessions that proved their key and logged in", null, cb -> c(s -> cb.call(s.logins())));
        counter("tryst_invalid_packets", "Control sessions ended for a malformed or out-of-place packet", null,
                cb -> c(s -> cb.call(s.invalidPackets())));

        // STUN
        counter("tryst_stun_datagrams", "UDP datagrams the STUN responder received", null, cb -> st(s -> cb.call(s.datagrams())));
        counter("tryst_stun_requests", "Well-formed STUN Binding requests admitted", null, cb -> st(s -> cb.call(s.requests())));
        counter("tryst_stun_responses", "STUN responses sent, errors included", null, cb -> st(s -> cb.call(s.responses())));
        counter("tryst_stun_dropped", "STUN datagrams not answered, by reason", "reason", cb -> st(s -> {
            cb.call(s.droppedMalformed(), "malformed");
            cb.call(s.droppedRateLimited(), "rate");
            cb.call(s.droppedAmplification(), "amplification");
            cb.call(s.sendFailures(), "send_failed");
        }));
        gauge("tryst_stun_sources", "Sources the STUN rate limiter tracks now", null, cb -> st(s -> cb.call(s.sources())));
    }

    /** Where the services' counters are read from (each may be null: that service is off). */
    public void services(Supplier<RelayStats> relay, Supplier<RendezvousStats> control, Supplier<StunStats> stun) {
        this.relay = relay == null ? () -> null : relay;
        this.control = control == null ? () -> null : control;
        this.stun = stun == null ? () -> null : stun;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Times one event-store operation. */
    void observe(String operation, long nanos) {
        eventStoreSeconds.labelValues(operation).observe(nanos / 1e9);
    }

    /** The Prometheus text format's content type. */
    public String contentType() {
        return writer.getContentType();
    }

    /** Writes every metric, in the Prometheus text format. */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    private void r(Consumer<RelayStats> f) {
        RelayStats s = relay.get();
        if (s != null) {
            f.accept(s);
        }
    }

    private void c(Consumer<RendezvousStats> f) {
        RendezvousStats s = control.get();
        if (s != null) {
            f.accept(s);
        }
    }

    private void st(Consumer<StunStats> f) {
        StunStats s = stun.get();
        if (s != null) {
            f.accept(s);
        }
    }

    private void gauge(String name, String help, String labels, Consumer<GaugeWithCallback.Callback> cb) {
        var b = GaugeWithCallback.builder().name(name).help(help).callback(cb);
        if (labels != null) {
            b.labelNames(labels.split(","));
        }
        b.register(registry);
    }

    private void counter(String name, String help, String labels, Consumer<CounterWithCallback.Callback> cb) {
        var b = CounterWithCallback.builder().name(name).help(help).callback(cb);
        if (labels != null) {
            b.labelNames(labels.split(","));
        }
        b.register(registry);
    }

}
