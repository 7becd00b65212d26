package dev.tryst.state.local;

import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.state.Bus;
import dev.tryst.state.SessionRef;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The bus of one process: a map from session number to the session's queue. */
public final class LocalBus implements Bus {
    /** The node name of every session of this bus. */
    public static final String NODE = "local";

    private final Map<Long, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    @Override
    public SessionRef attach(Endpoint endpoint) {
        SessionRef ref = new SessionRef(NODE, ids.incrementAndGet());
        endpoints.put(ref.id(), endpoint);
        return ref;
    }

    @Override
    public void detach(SessionRef session) {
        endpoints.remove(session.id());
    }

    @Override
    public boolean deliver(SessionRef to, Packet p) {
        Endpoint e = endpoints.get(to.id());
        return e != null && e.send(p);
    }

    @Override
    public boolean deliverPaced(SessionRef to, Packet p) {
        Endpoint e = endpoints.get(to.id());
        return e != null && e.sendPaced(p);
    }

    @Override
    public void wake(SessionRef to) {
        Endpoint e = endpoints.get(to.id());
        if (e != null) {
            e.wake();
        }
    }
}
