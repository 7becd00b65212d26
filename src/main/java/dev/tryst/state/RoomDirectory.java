package dev.tryst.state;

import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.ControlWire.RoomMessage;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The rooms of gday's contact exchange, by nameplate: who is in each, what each told, what waits
 * for a member that has not joined yet. Pure state: the rules (who may create, join, send what)
 * are the rendezvous room handler's, which calls these operations one at a time. Each operation is
 * atomic on its own; rooms are immutable values, replaced whole.
 */
public interface RoomDirectory {
    /** One member of a room: its session, the address its connection came from, what it told. */
    record Member(SessionRef session, Address publicAddress, List<Address> privates, boolean done) {
        public Member {
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(publicAddress, "publicAddress");
            privates = List.copyOf(privates);
        }

        public Member withPrivates(List<Address> more) {
            List<Address> all = new java.util.ArrayList<>(privates);
            all.addAll(more);
            return new Member(session, publicAddress, all, done);
        }

        public Member asDone() {
            return new Member(session, publicAddress, privates, true);
        }
    }

    /**
     * A room: its nameplate, the source group of its creator (rooms are bounded per creator
     * source), when it expires (on the server's ticker), its members (the creator first, at most
     * two), the ROOM_MESSAGEs held for a member that has not joined yet, and how many members have
     * joined it so far (a joiner may leave and another take its seat).
     */
    record Room(String nameplate, InetAddress creatorGroup, long expiresNanos, List<Member> members,
                List<RoomMessage> held, int joins) {
        public Room {
            Objects.requireNonNull(nameplate, "nameplate");
            Objects.requireNonNull(creatorGroup, "creatorGroup");
            members = List.copyOf(members);
            held = List.copyOf(held);
        }

        public Member member(SessionRef s) {
            for (Member m : members) {
                if (m.session().equals(s)) {
                    return m;
                }
            }
            return null;
        }

        /** The member that is not {@code s}, or null. */
        public Member other(SessionRef s) {
            for (Member m : members) {
                if (!m.session().equals(s)) {
                    return m;
                }
            }
            return null;
        }

        public Room withMember(Member m) {
            List<Member> all = new java.util.ArrayList<>(members.size() + 1);
            boolean replaced = false;
            for (Member x : members) {
                if (x.session().equals(m.session())) {
                    all.add(m);
                    replaced = true;
                } else {
                    all.add(x);
                }
            }
            if (!replaced) {
                all.add(m);
            }
            return new Room(nameplate, creatorGroup, expiresNanos, all, held, joins);
        }

        /** With {@code m} as a new member, counted as one more joiner. */
        public Room joinedBy(Member m) {
            Room r = withMember(m);
            return new Room(nameplate, creatorGroup, expiresNanos, r.members, held, joins + 1);
        }

        /** Without the member of session {@code s}. */
        public Room without(SessionRef s) {
            List<Member> rest = members.stream().filter(m -> !m.session().equals(s)).toList();
            return new Room(nameplate, creatorGroup, expiresNanos, rest, held, joins);
        }

        public Room withHeld(List<RoomMessage> messages) {
            return new Room(nameplate, creatorGroup, expiresNanos, members, messages, joins);
        }
    }

    /** The room named {@code nameplate}, or null. */
    Room get(String nameplate);

    /** Adds {@code room} unless its nameplate is in use; false if it is. */
    boolean create(Room room);

    /** Replaces the room of the same nameplate, if it still exists; false if it does not. */
    boolean replace(Room room);

    /** Removes the room of that nameplate; the removed room, or null if there was none. */
    Room remove(String nameplate);

    /** How many rooms exist whose creator came from {@code group}. */
    int countCreatedFrom(InetAddress group);

    /** Rooms whose {@code expiresNanos} is at or before {@code nowNanos}. */
    List<Room> expired(long nowNanos);

    /** Rooms open now. */
    int size();
}
