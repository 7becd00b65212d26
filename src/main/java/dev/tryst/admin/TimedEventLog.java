package dev.tryst.admin;

import dev.tryst.events.Event;
import dev.tryst.events.EventLog;
import dev.tryst.events.EventStoreFullException;
import dev.tryst.events.Origin;
import dev.tryst.events.SequenceException;
import dev.tryst.wire.Bytes;
import java.util.List;

/**
 * An {@link EventLog} that times every operation of the one it wraps into
 * {@code tryst_event_store_duration_seconds{operation}} and counts the messages stored, refused and
 * delivered; it changes nothing else (same results, same exceptions).
 */
public final class TimedEventLog implements EventLog {
    private final EventLog log;
    private final ServerMetrics metrics;

    public TimedEventLog(EventLog log, ServerMetrics metrics) {
        this.log = log;
        this.metrics = metrics;
    }

    /** A cheap read (the last order of an identity nobody has), timed as {@code check}: what /healthz asks. */
    public void check() {
        long t = System.nanoTime();
        try {
            log.lastOrder(Bytes.of(new byte[dev.tryst.events.EventStore.IDENTITY_LENGTH]));
        } finally {
            metrics.observe("check", System.nanoTime() - t);
        }
    }

    @Override
    public Bytes storeId() {
        return log.storeId();
    }

    @Override
    public long append(Bytes identity, byte type, Bytes payload, Origin from) throws EventStoreFullException {
        long t = System.nanoTime();
        try {
            long order = log.append(identity, type, payload, from);
            metrics.messagesStored.inc();
            return order;
        } catch (EventStoreFullException e) {
            metrics.messagesRefused.inc();
            throw e;
        } finally {
            metrics.observe("append", System.nanoTime() - t);
        }
    }

    @Override
    public List<Event> after(Bytes identity, long lastProcessedOrder, int max) {
        long t = System.nanoTime();
        try {
            List<Event> events = log.after(identity, lastProcessedOrder, max);
            metrics.messagesDelivered.inc(events.size());
            return events;
        } finally {
            metrics.observe("after", System.nanoTime() - t);
        }
    }

    @Override
    public void acknowledge(Bytes identity, long upToOrder) {
        long t = System.nanoTime();
        try {
            log.acknowledge(identity, upToOrder);
        } finally {
            metrics.observe("acknowledge", System.nanoTime() - t);
        }
    }

    @Override
    public int expire() {
        long t = System.nanoTime();
        try {
            return log.expire();
        } finally {
            metrics.observe("expire", System.nanoTime() - t);
        }
    }

    @Override
    public int prune() {
        long t = System.nanoTime();
        try {
            return log.prune();
        } finally {
            metrics.observe("prune", System.nanoTime() - t);
        }
    }

    @Override
    public long lastOrder(Bytes identity) {
        long t = System.nanoTime();
        try {
            return log.lastOrder(identity);
        } finally {
            metrics.observe("last_order", System.nanoTime() - t);
        }
    }

    @Override
    public long lastSequence(Bytes identity) {
        long t = System.nanoTime();
        try {
            return log.lastSequence(identity);
        } finally {
            metrics.observe("last_sequence", System.nanoTime() - t);
        }
    }

    @Override
    public void acceptSequence(Bytes identity, long seq) throws SequenceException {
        long t = System.nanoTime();
        try {
            log.acceptSequence(identity, seq);
        } finally {
            metrics.observe("accept_sequence", System.nanoTime() - t);
        }
    }

    @Override
    public void close() {
        log.close();
    }
}
