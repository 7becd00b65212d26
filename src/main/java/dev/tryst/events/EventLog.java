package dev.tryst.events;

import dev.tryst.wire.Bytes;
import java.util.List;

/**
 * What the rendezvous server keeps for identities while they are away: Cryptology's ordered events
 * (an ORDER per identity that only grows, kept until acknowledged or expired) and the request
 * SEQUENCE each identity has reached. Every method that returns has made its change durable; that
 * is what lets the server acknowledge a message to its sender. {@link EventStore} is the
 * single-node implementation (SQLite); a distributed store implements the same contract.
 *
 * <p>ORDER and SEQUENCE never go back for an identity, not even when the log forgets the identity
 * ({@link #prune}): a client may hold an order from long ago (its inbox mark) and resume from it,
 * which must never acknowledge an event it has not seen; a request sequence once accepted must
 * never be accepted again.
 */
public interface EventLog extends AutoCloseable {
    /** This log's identity: orders kept from another log mean nothing here (16 random bytes). */
    Bytes storeId();

    /**
     * Stores an event for {@code identity}, sent from {@code from}; returns its order (the last
     * given plus one). Whether it fits is decided in the same transaction as the write: the
     * sender's share of the recipient's box (per sending identity and per source group), the box,
     * what the log keeps from one source group and what it keeps at all.
     *
     * @param from who the server saw send it; null for the server's own events, which count as one
     *             sender of their own
     * @throws EventStoreFullException over a bound of the log; nothing was stored
     */
    long append(Bytes identity, byte type, Bytes payload, Origin from) throws EventStoreFullException;

    /** {@link #append(Bytes, byte, Bytes, Origin)} of the server's own event (no origin). */
    default long append(Bytes identity, byte type, Bytes payload) throws EventStoreFullException {
        return append(identity, type, payload, null);
    }

    /** Up to {@code max} waiting, unexpired events of {@code identity} after {@code lastProcessedOrder}, in order. */
    List<Event> after(Bytes identity, long lastProcessedOrder, int max);

    /** The events of {@code identity} up to {@code upToOrder} are processed and may be forgotten. */
    void acknowledge(Bytes identity, long upToOrder);

    /** Forgets every event past its lifetime; returns how many. */
    int expire();

    /**
     * Forgets identities that hold no events and were not active for a long while (the counters of
     * made-up recipients, of identities gone away); returns how many. An identity forgotten and seen
     * again continues its ORDER and SEQUENCE above anything it had.
     */
    int prune();

    /** The last order given to {@code identity}, 0 if none; for a forgotten identity, at least what it had. */
    long lastOrder(Bytes identity);

    /** The last request sequence accepted from {@code identity}, 0 if none; for a forgotten identity, at least what it had. */
    long lastSequence(Bytes identity);

    /**
     * Accepts {@code seq} from {@code identity} if it is exactly the last plus one, durably.
     *
     * @throws SequenceException replayed or skipped; nothing stored
     */
    void acceptSequence(Bytes identity, long seq) throws SequenceException;

    @Override
    void close();
}
