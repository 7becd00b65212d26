package dev.tryst.state;

import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.Bytes;
import java.util.List;
import java.util.Objects;

/**
 * Which identities are logged in, on which session, and the connection requests made to each
 * (Chatr's CONNECTION_REQUEST) until they are accepted or their time is over. Pure state; the
 * rules are the presence handler's. Each operation is atomic on its own.
 */
public interface Presence {
    /** Where a request stands. */
    enum Status {
        /** Shown to the target, waiting for its answer. */
        WAITING,
        /** Never shown to the target (it was offline, or its places were taken). */
        HELD,
        /** The target said no. */
        REFUSED
    }

    /**
     * A connection request: who asked whom, from which session, the public address its connection
     * came from and the private ones it told, when it asked, and where it stands.
     */
    record Pending(Bytes requester, Bytes target, SessionRef from, Address publicAddress, List<Address> privates,
                   long sinceNanos, Status status) {
        public Pending {
            Objects.requireNonNull(requester, "requester");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(publicAddress, "publicAddress");
            Objects.requireNonNull(status, "status");
            privates = List.copyOf(privates);
        }

        public Pending withStatus(Status s) {
            return new Pending(requester, target, from, publicAddress, privates, sinceNanos, s);
        }
    }

    /** Registers {@code identity} as online on {@code session} unless a session holds it already; false then. */
    boolean claim(Bytes identity, SessionRef session);

    /**
     * {@code session} lets go of {@code identity} (nothing if another session holds it). The
     * requests made to it stay until they are taken: their requesters are answered in time.
     */
    void release(Bytes identity, SessionRef session);

    /** The session {@code identity} is online on, or null. */
    SessionRef lookup(Bytes identity);

    /**
     * Registers {@code session} as one of {@code identity}'s dialing sessions (it may ask for
     * connections, is never asked), unless {@code max} already are; false then.
     */
    boolean claimDialer(Bytes identity, SessionRef session, int max);

    /** {@code session} is no longer one of {@code identity}'s dialing sessions. */
    void releaseDialer(Bytes identity, SessionRef session);

    /** Whether {@code session} is {@code identity}'s online session or one of its dialing sessions. */
    boolean holds(Bytes identity, SessionRef session);

    /** The requests made to {@code target}. */
    List<Pending> pending(Bytes target);

    /** Adds {@code request}, or replaces the one from the same requesting session to the same target. */
    void putPending(Pending request);

    /** Removes and returns the oldest standing request of {@code requester} (from any of its sessions) to {@code target}, or null. */
    Pending takePending(Bytes target, Bytes requester);

    /** Removes the requests to {@code target} for which {@code drop} holds. */
    void dropPending(Bytes target, java.util.function.Predicate<Pending> drop);

    /** Removes and returns every request, to anyone, made at or before {@code nanos} (on the server's ticker). */
    List<Pending> takeMadeBy(long nanos);
}
