package dev.tryst.state.local;

import dev.tryst.wire.Bytes;
import dev.tryst.state.Presence;
import dev.tryst.state.SessionRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Who is online in one process, and the requests made to them, in maps under one lock. */
public final class LocalPresence implements Presence {
    private final Map<Bytes, SessionRef> online = new HashMap<>();
    private final Map<Bytes, Map<Bytes, Pending>> requests = new HashMap<>();

    @Override
    public synchronized boolean claim(Bytes identity, SessionRef session) {
        return online.putIfAbsent(identity, session) == null;
    }

    @Override
    public synchronized void release(Bytes identity, SessionRef session) {
        online.remove(identity, session);
    }

    @Override
    public synchronized SessionRef lookup(Bytes identity) {
        return online.get(identity);
    }

    @Override
    public synchronized List<Pending> pending(Bytes target) {
        Map<Bytes, Pending> m = requests.get(target);
        return m == null ? List.of() : List.copyOf(m.values());
    }

    @Override
    public synchronized void putPending(Pending request) {
        requests.computeIfAbsent(request.target(), k -> new LinkedHashMap<>()).put(request.requester(), request);
    }

    @Override
    public synchronized Pending takePending(Bytes target, Bytes requester) {
        Map<Bytes, Pending> m = requests.get(target);
        if (m == null) {
            return null;
        }
        Pending p = m.remove(requester);
        if (m.isEmpty()) {
            requests.remove(target);
        }
        return p;
    }

    @Override
    public synchronized void dropPending(Bytes target, Predicate<Pending> drop) {
        Map<Bytes, Pending> m = requests.get(target);
        if (m != null) {
            m.values().removeIf(drop);
            if (m.isEmpty()) {
                requests.remove(target);
            }
        }
    }

    @Override
    public synchronized List<Pending> takeMadeBy(long nanos) {
        List<Pending> out = new ArrayList<>();
        requests.values().removeIf(m -> {
            m.values().removeIf(p -> {
                boolean due = nanos - p.sinceNanos() >= 0;
                if (due) {
                    out.add(p);
                }
                return due;
            });
            return m.isEmpty();
        });
        return out;
    }
}
