package dev.tryst.rendezvous;

import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.RoomAddresses;
import dev.tryst.wire.ControlWire.RoomClosed;
import dev.tryst.wire.ControlWire.RoomContact;
import dev.tryst.wire.ControlWire.RoomCreate;
import dev.tryst.wire.ControlWire.RoomCreated;
import dev.tryst.wire.ControlWire.RoomJoin;
import dev.tryst.wire.ControlWire.RoomJoined;
import dev.tryst.wire.ControlWire.RoomMessage;
import dev.tryst.wire.ControlWire.RoomNotFound;
import dev.tryst.wire.ControlWire.RoomPeerLeft;
import dev.tryst.wire.ControlWire.RoomRelay;
import dev.tryst.wire.ControlWire.RoomTaken;
import dev.tryst.state.Bus;
import dev.tryst.state.RoomDirectory;
import dev.tryst.state.RoomDirectory.Member;
import dev.tryst.state.RoomDirectory.Room;
import dev.tryst.state.SessionRef;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * gday's rooms: ROOM_CREATE, ROOM_JOIN, ROOM_ADDRESSES, ROOM_DONE and ROOM_MESSAGE, a room's end
 * when a member leaves or it expires, and the limits on failed lookups and on joins per source.
 *
 * <p>A session creates a room under a nameplate (empty: the server picks a number not in use, of 2
 * digits while few rooms are open, longer as more are) or joins one (absent: ROOM_NOT_FOUND;
 * already two members: ROOM_TAKEN; more than {@code maxJoins} successful joins from its source
 * within {@code joinWindow}: disconnected). A session is in at most one room. Each member sends
 * ROOM_ADDRESSES (at most {@value ControlWire#MAX_ADDRESSES} in all) and ROOM_DONE; DONE is
 * answered at once with the member's own contact (whose 0: the address its socket came from, and
 * its private addresses), and once both are done each gets the other's (whose 1). Once the room has
 * two members both get ROOM_RELAY with a fresh relay pairing key. ROOM_MESSAGEs go to the other
 * member; sent before anyone joined, up to {@code maxPendingMessages} wait for the joiner, one more
 * disconnects the sender. A room closes with ROOM_CLOSED to whoever is still in it when a member
 * leaves (or its session ends) and at {@code roomLifetime} — except that a joiner who leaves before
 * the creator is done (a stranger who could not prove the code: clients send ROOM_DONE only once
 * the peer has) frees the second seat for another, and the creator gets ROOM_PEER_LEFT; the room's
 * {@code maxJoinersPerRoom}-th joiner leaving early closes it, so nobody can keep it busy forever.
 *
 * <p>The rooms are a {@link RoomDirectory}; packets go out through the {@link Bus}. Room decisions
 * are made under this handler's lock, under which only queueing happens, never I/O, so that what
 * one member is sent keeps its order (ROOM_JOINED, ROOM_RELAY, the held messages, then new ones).
 * A forwarded ROOM_MESSAGE is delivered outside the lock, paced by the receiver.
 */
final class RoomHandler {
    private final RendezvousConfig config;
    private final RoomDirectory rooms;
    private final Bus bus;
    private final RendezvousCounters counters;
    private final SecureRandom random;
    private final int relayPort;
    private final long lifetimeNanos;
    private final Object lock = new Object();
    /** Failed lookups per source group; guarded by {@link #lock}. */
    private final RateWindow<InetAddress> failures;
    /** Successful joins per source group; guarded by {@link #lock}. */
    private final RateWindow<InetAddress> joins;
    /** When each open room opened (System.nanoTime, for its log line's duration); guarded by {@link #lock}. */
    private final java.util.Map<String, Long> openedAt = new java.util.HashMap<>();
    /** Hears of rooms opened and closed (set by {@link RendezvousServer#activity}). */
    volatile dev.tryst.server.Activity activity = dev.tryst.server.Activity.NONE;

    RoomHandler(RendezvousConfig config, RoomDirectory rooms, Bus bus, RendezvousCounters counters, SecureRandom random,
                int relayPort) {
        this.config = config;
        this.rooms = rooms;
        this.bus = bus;
        this.counters = counters;
        this.random = random;
        this.relayPort = relayPort;
        this.lifetimeNanos = config.roomLifetime().toNanos();
        this.failures = new RateWindow<>(config.maxFailedLookups(), config.failedLookupWindow());
        this.joins = new RateWindow<>(config.maxJoins(), config.joinWindow());
    }

    int openRooms() {
        return rooms.size();
    }

    /** The room {@code c} is in, checked against the directory; a room closed under it is forgotten here. */
    private Room current(Client c) {
        if (c.nameplate == null) {
            return null;
        }
        Room r = rooms.get(c.nameplate);
        if (r == null || r.member(c.ref) == null) {
            c.nameplate = null;
            c.hadRoom = true;
            return null;
        }
        return r;
    }

    /** A room packet with no room: fine just after a room closed under the session, else invalid. */
    private static void noRoom(Client c) {
        if (!c.hadRoom) {
            c.io.invalid();
        }
    }

    private static Member newMember(Client c) {
        return new Member(c.ref, c.io.publicAddress, List.of(), false);
    }

    void onCreate(Client c, RoomCreate create, long now) {
        synchronized (lock) {
            if (current(c) != null) {
                c.io.invalid();
                return;
            }
            if (rooms.countCreatedFrom(c.group) >= config.maxRoomsPerAddress()) {
                counters.roomsRefused.increment();
                c.io.disconnect(RendezvousServer.REASON_TOO_MANY_ROOMS);
                return;
            }
            String n = create.nameplate().isEmpty() ? pickNameplate() : create.nameplate();
            // The creator's own wait, within the server's limit: one lifetime both sides know.
            long asked = create.lifetimeSeconds() * 1_000_000_000L; // < 2^32 s: no overflow
            long lifetime = asked > 0 && asked < lifetimeNanos ? asked : lifetimeNanos;
            Room r = new Room(n, c.group, now + lifetime, List.of(newMember(c)), List.of(), 0);
            if (!rooms.create(r)) {
                if (countFailure(c, now)) {
                    c.send(new RoomTaken(n));
                }
                return;
            }
            c.nameplate = n;
            counters.roomsCreated.increment();
            openedAt.put(n, System.nanoTime());
            activity.record("room_opened", "room", n, "from", c.io.remote); // the number is public; no code word reaches the server
            c.send(new RoomCreated(n, Math.max(1, lifetime / 1_000_000_000L)));
        }
    }

    void onJoin(Client c, RoomJoin join, long now) {
        synchronized (lock) {
            if (current(c) != null) {
                c.io.invalid();
                return;
            }
            Room r = rooms.get(join.nameplate());
            if (r == null || r.members().size() >= 2) {
                if (countFailure(c, now)) {
                    c.send(r == null ? new RoomNotFound(join.nameplate()) : new RoomTaken(join.nameplate()));
                }
                return;
            }
            if (!joins.count(c.group, now)) { // a stranger who hits a room can cost its sender the code: rationed too
                counters.joinLimitDisconnects.increment();
                c.io.disconnect(RendezvousServer.REASON_TOO_MANY_JOINS);
                return;
            }
            Room joined = r.joinedBy(newMember(c)).withHeld(List.of());
            if (!rooms.replace(joined)) {
                return; // cannot happen under the lock on one node; a room gone meanwhile is simply not joined
            }
            c.nameplate = r.nameplate();
            counters.roomsJoined.increment();
            // The joiner first: what it is sent keeps its order (JOINED, RELAY, the held messages).
            // A member dropped on the way (its queue overflowed) closes the room; nothing more goes out then.
            RoomRelay relay = new RoomRelay(RendezvousServer.newPairingKey(random), relayPort);
            if (c.send(new RoomJoined(r.nameplate())) && c.send(relay)) {
                for (RoomMessage m : r.held()) {
                    if (!c.send(m)) {
                        break;
                    }
                    counters.messagesForwarded.increment();
                }
            }
            for (Member m : joined.members()) { // an immutable copy: a member dropped on the way cannot upset it
                if (!m.session().equals(c.ref) && current(c) != null) {
                    bus.deliver(m.session(), relay);
                }
            }
        }
    }

    void onAddresses(Client c, RoomAddresses a) {
        synchronized (lock) {
            Room r = current(c);
            if (r == null) {
                noRoom(c);
                return;
            }
            Member me = r.member(c.ref);
            if (me.done() || me.privates().size() + a.privateAddresses().size() > ControlWire.MAX_ADDRESSES) {
                c.io.invalid();
                return;
            }
            rooms.replace(r.withMember(me.withPrivates(a.privateAddresses())));
        }
    }

    void onDone(Client c) {
        synchronized (lock) {
            Room r = current(c);
            if (r == null) {
                noRoom(c);
                return;
            }
            Member me = r.member(c.ref);
            if (me.done()) {
                c.io.invalid();
                return;
            }
            me = me.asDone();
            rooms.replace(r.withMember(me));
            c.send(contact(me, ControlWire.CONTACT_YOURS));
            Member o = r.other(c.ref);
            if (o != null && o.done()) {
                c.send(contact(o, ControlWire.CONTACT_PEERS));
                bus.deliver(o.session(), contact(me, ControlWire.CONTACT_PEERS));
                counters.contactsExchanged.increment();
            }
        }
    }

    private static RoomContact contact(Member m, int whose) {
        return new RoomContact(whose, m.publicAddress(), m.privates());
    }

    void onMessage(Client c, RoomMessage m) {
        SessionRef to;
        synchronized (lock) {
            Room r = current(c);
            if (r == null) {
                noRoom(c);
                return;
            }
            Member o = r.other(c.ref);
            if (o == null) {
                if (r.held().size() < config.maxPendingMessages()) {
                    List<RoomMessage> held = new ArrayList<>(r.held());
                    held.add(m);
                    rooms.replace(r.withHeld(held));
                } else {
                    c.io.disconnect(RendezvousServer.REASON_QUEUE_FULL);
                }
                return;
            }
            to = o.session();
        }
        // Outside the lock: this may wait for room in the other member's queue. Counted first, so
        // that whoever reads the stats after the peer got it never sees it missing.
        counters.messagesForwarded.increment();
        if (!bus.deliverPaced(to, m)) {
            counters.messagesForwarded.decrement();
        }
    }

    /**
     * {@code c} leaves its room, if it is in one: the room closes and the other member is told;
     * or, if {@code c} joined and its creator is not done yet (the joiner never proved the code),
     * the seat is free again and the creator is told so, up to the room's last joiner.
     */
    void leave(Client c) {
        synchronized (lock) {
            Room r = current(c);
            if (r != null) {
                Member creator = r.members().getFirst();
                if (!creator.session().equals(c.ref) && !creator.done() && r.joins() < config.maxJoinersPerRoom()) {
                    rooms.replace(r.without(c.ref));
                    counters.seatsFreed.increment();
                    activity.record("room_joiner_left", "room", r.nameplate(), "joiners", r.joins());
                    bus.deliver(creator.session(), new RoomPeerLeft());
                } else {
                    close(r, RendezvousServer.ROOM_REASON_PEER_LEFT, c.ref, null);
                }
            }
            c.nameplate = null;
        }
    }

    /** The sweeper: rooms past their lifetime close; failed lookups and joins older than their windows are forgotten. */
    void sweep(long now) {
        synchronized (lock) {
            for (Room r : rooms.expired(now)) {
                close(r, RendezvousServer.ROOM_REASON_EXPIRED, null, counters.roomsExpired);
            }
            failures.sweep(now);
            joins.sweep(now);
        }
    }

    /**
     * Under the lock: removes the room, counts it in {@code counter} (if any; before anyone is told, so
     * whoever reads the stats after being told sees it counted), and tells every member but {@code leaving}.
     */
    private void close(Room r, String reason, SessionRef leaving, java.util.concurrent.atomic.LongAdder counter) {
        Room removed = rooms.remove(r.nameplate());
        if (removed == null) {
            return;
        }
        if (counter != null) {
            counter.increment();
        }
        logClosed(removed, reason);
        for (Member m : removed.members()) {
            if (!m.session().equals(leaving)) {
                bus.deliver(m.session(), new RoomClosed(reason));
            }
        }
    }

    /**
     * Under the lock: the room's log line. Its outcome is what the server can know: {@code expired}
     * (at its lifetime), {@code abandoned} (its creator left before anyone joined), or {@code joined}
     * (it closed after a second member came; whether the code matched only the two clients know:
     * SPAKE2 runs end to end). {@code members_done} counts the members that sent ROOM_DONE (those
     * that exchanged addresses for a direct path).
     */
    private void logClosed(Room r, String reason) {
        Long opened = openedAt.remove(r.nameplate());
        long done = r.members().stream().filter(Member::done).count();
        boolean joined = r.joins() > 0 || r.members().size() > 1;
        String outcome = RendezvousServer.ROOM_REASON_EXPIRED.equals(reason) ? "expired" : joined ? "joined" : "abandoned";
        activity.record("room_closed", "room", r.nameplate(), "outcome", outcome, "joined", joined,
                "members_done", done, "duration_ms", opened == null ? -1 : (System.nanoTime() - opened) / 1_000_000);
    }

    /**
     * Under the lock: a number not in use, as short as keeps fewer than one in ten numbers of its
     * length in use: 2 digits while fewer than 9 rooms are open, 3 while fewer than 90, and so on.
     * A stranger's blind join then finds no room nine times in ten (and each miss counts as a
     * failed lookup), where a 2-digit number on a busy server would hit a live room almost always.
     */
    private String pickNameplate() {
        int open = rooms.size();
        for (int digits = 2; digits < 9; digits++) {
            int low = (int) Math.pow(10, digits - 1);
            if (open >= 9 * low / 10) {
                continue;
            }
            for (int attempt = 0; attempt < 8; attempt++) {
                String n = Integer.toString(low + random.nextInt(9 * low));
                if (rooms.get(n) == null) {
                    return n;
                }
            }
        }
        for (int n = 100_000_000; ; n++) { // unreachable with rooms bounded by sessions; a safe end anyway
            if (rooms.get(Integer.toString(n)) == null) {
                return Integer.toString(n);
            }
        }
    }

    /** Under the lock: counts a failed lookup; false if it goes over the limit (the session is then ended). */
    private boolean countFailure(Client c, long now) {
        counters.failedLookups.increment();
        if (!failures.count(c.group, now)) {
            counters.lookupLimitDisconnects.increment();
            c.io.disconnect(RendezvousServer.REASON_TOO_MANY_LOOKUPS);
            return false;
        }
        return true;
    }
}
