package dev.tryst.state;

import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.Bytes;
import java.util.List;
import java.util.Objects;

/**
 * Which identities are logged in, on which session, and the connection requests waiting for each
 * one's answer (Chatr's CONNECTION_REQUEST). Pure state; the rules are the presence handler's.
 * Each operation is atomic on its own.
 */
public interface Presence {
    /**
     * A connection request waiting for its target's answer: who asked, from which session, the
     * public address its connection came from and the private ones it told, and when it asked.
     */
    record Pending(Bytes requester, SessionRef from, Address publicAddress, List<Address> privates, long sinceNanos) {
        public Pending {
            Objects.requireNonNull(requester, "requester");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(publicAddress, "publicAddress");
            privates = List.copyOf(privates);
        }
    }

    /** Registers {@code identity} as online on {@code session} unless a session holds it already; false then. */
    boolean claim(Bytes identity, SessionRef session);

    /** {@code session} lets go of {@code identity} (nothing if another session holds it), and its waiting requests are forgotten. */
    void release(Bytes identity, SessionRef session);

    /** The session {@code identity} is online on, or null. */
    SessionRef lookup(Bytes identity);

    /** The requests waiting for {@code target}'s answer. */
    List<Pending> pending(Bytes target);

    /** Adds (or replaces, by requester) a request waiting for {@code target}. */
    void putPending(Bytes target, Pending request);

    /** Removes and returns the request of {@code requester} waiting for {@code target}, or null. */
    Pending takePending(Bytes target, Bytes requester);

    /** Removes the requests waiting for {@code target} for which {@code drop} holds. */
    void dropPending(Bytes target, java.util.function.Predicate<Pending> drop);
}
