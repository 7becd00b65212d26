package dev.tryst.state.local;

import dev.tryst.wire.Bytes;
import dev.tryst.state.Presence;
import dev.tryst.state.SessionRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/** Who is online in one process, and the requests made to them, in maps under one lock. */
public final class LocalPresence implements Presence {
    private final Map<Bytes, SessionRef> online = new HashMap<>();
    private final Map<Bytes, Set<SessionRef>> dialers = new HashMap<>();
    /** Per target, by requesting session, in the order asked. */
    private final Map<Bytes, Map<SessionRef, Pending>> requests = new HashMap<>();

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
    public synchronized boolean claimDialer(Bytes identity, SessionRef session, int max) {
        Set<SessionRef> mine = dialers.computeIfAbsent(identity, k -> new HashSet<>());
        if (mine.size() >= max) {
            return false;
        }
        mine.add(session);
        return true;
    }

    @Override
    public synchronized void releaseDialer(Bytes identity, SessionRef session) {
        Set<SessionRef> mine = dialers.get(identity);
        if (mine != null && mine.remove(session) && mine.isEmpty()) {
            dialers.remove(identity);
        }
    }

    @Override
    public synchronized boolean holds(Bytes identity, SessionRef session) {
        return session.equals(online.get(identity)) || dialers.getOrDefault(identity, Set.of()).contains(session);
    }

    @Override
    public synchronized List<Pending> pending(Bytes target) {
        Map<SessionRef, Pending> m = requests.get(target);
        return m == null ? List.of() : List.copyOf(m.values());
    }

    @Override
    public synchronized void putPending(Pending request) {
        requests.computeIfAbsent(request.target(), k -> new LinkedHashMap<>()).put(request.from(), request);
    }

    @Override
    public synchronized Pending takePending(Bytes target, Bytes requester) {
        Map<SessionRef, Pending> m = requests.get(target);
        if (m == null) {
            return null;
        }
        // the oldest the target was shown first: its ACCEPT answers what it saw
        Pending p = m.values().stream().filter(x -> x.requester().equals(requester) && x.status() == Status.WAITING)
                .findFirst().orElseGet(() -> m.values().stream().filter(x -> x.requester().equals(requester))
                        .findFirst().orElse(null));
        if (p != null) {
            m.remove(p.from());
        }
        if (m.isEmpty()) {
            requests.remove(target);
        }
        return p;
    }

    @Override
    public synchronized void dropPending(Bytes target, Predicate<Pending> drop) {
        Map<SessionRef, Pending> m = requests.get(target);
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
