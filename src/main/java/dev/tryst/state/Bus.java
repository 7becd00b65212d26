package dev.tryst.state;

import dev.tryst.wire.ControlWire.Packet;

/**
 * Delivers packets to control sessions by {@link SessionRef}, wherever they live. A delivery never
 * blocks on the receiving session's socket: it lands in that session's bounded outgoing queue
 * (see {@link Endpoint}); a session that lets the queue overflow is the one disconnected.
 */
public interface Bus {
    /** What a session offers the bus: its outgoing queue. */
    interface Endpoint {
        /** Queues {@code p}; false if the session is closing or was just dropped for letting its queue overflow. */
        boolean send(Packet p);

        /**
         * Queues {@code p}, first waiting (bounded) for room in the queue, so a fast sender is slowed
         * to this session's pace instead of getting it dropped; false as for {@link #send}.
         */
        boolean sendPaced(Packet p);

        /** Stored events wait for this session: its writer should fetch and send them. */
        void wake();
    }

    /** Makes {@code endpoint} reachable; the returned name is how everyone else reaches it. */
    SessionRef attach(Endpoint endpoint);

    /** The session is gone: deliveries to it are dropped from now on. */
    void detach(SessionRef session);

    /** Queues {@code p} for {@code to}; false if it is gone or overflowed. */
    boolean deliver(SessionRef to, Packet p);

    /** As {@link #deliver}, paced by the receiver ({@link Endpoint#sendPaced}). */
    boolean deliverPaced(SessionRef to, Packet p);

    /** Tells {@code to} that stored events wait for it; nothing if it is gone. */
    void wake(SessionRef to);
}
