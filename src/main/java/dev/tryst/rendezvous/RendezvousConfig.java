package dev.tryst.rendezvous;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Every bound the rendezvous server enforces, validated on construction.
 *
 * <p>Defaults ({@link #defaults()}):
 * <ul>
 *   <li>{@code bind} 0.0.0.0:{@value #DEFAULT_PORT}</li>
 *   <li>{@code pingInterval} 5 s: a connected session gets a PING at least this often (Chatr)</li>
 *   <li>{@code silenceTimeout} 15 s: a session that sends nothing for this long gets DISCONNECT "Time out" (Chatr)</li>
 *   <li>{@code roomLifetime} 600 s: a room is closed this long after it was created, exchange done or not</li>
 *   <li>{@code failedLookupWindow} 1 min and {@code maxFailedLookups} 10: more ROOM_NOT_FOUND / ROOM_TAKEN
 *       answers than this to one source address within the window disconnects it (gday: 10 per minute)</li>
 *   <li>{@code maxSessions} 10 000 concurrent sessions; {@code maxSessionsPerAddress} 64 per source address</li>
 *   <li>{@code maxRoomsPerAddress} 8 rooms held at once by creators from one source address</li>
 *   <li>{@code outgoingQueue} 64 packets waiting to be written to one session; a session that lets more pile
 *       up is disconnected as too slow</li>
 *   <li>{@code maxPendingMessages} 16 ROOM_MESSAGEs held for a member that has not joined yet</li>
 *   <li>{@code joinWindow} 1 min and {@code maxJoins} 10: more successful ROOM_JOINs than this from one source
 *       address within the window disconnect it (failed ones count as failed lookups); a stranger who hits a
 *       room costs its sender the code, so hits are rationed like misses</li>
 *   <li>{@code maxJoinersPerRoom} 4: a joiner that leaves before the creator is done frees the second seat
 *       for another, except the last of this many, whose leaving closes the room</li>
 * </ul>
 * Source addresses are counted by IPv4 address or IPv6 /64.
 */
public record RendezvousConfig(InetSocketAddress bind, Duration pingInterval, Duration silenceTimeout,
                               Duration roomLifetime, Duration failedLookupWindow, int maxFailedLookups,
                               int maxSessions, int maxSessionsPerAddress, int maxRoomsPerAddress,
                               int outgoingQueue, int maxPendingMessages, Duration joinWindow, int maxJoins,
                               int maxJoinersPerRoom) {

    public static final int DEFAULT_PORT = 2311;

    public RendezvousConfig {
        Objects.requireNonNull(bind, "bind");
        positive(pingInterval, "pingInterval");
        positive(silenceTimeout, "silenceTimeout");
        positive(roomLifetime, "roomLifetime");
        positive(failedLookupWindow, "failedLookupWindow");
        positive(joinWindow, "joinWindow");
        if (pingInterval.compareTo(silenceTimeout) >= 0) {
            throw new IllegalArgumentException("pingInterval " + pingInterval + " must be shorter than silenceTimeout "
                    + silenceTimeout + ", or a client answering every ping would still time out");
        }
        if (silenceTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("silenceTimeout too long: " + silenceTimeout);
        }
        atLeast(maxFailedLookups, 0, "maxFailedLookups");
        atLeast(maxSessions, 1, "maxSessions");
        atLeast(maxSessionsPerAddress, 1, "maxSessionsPerAddress");
        atLeast(maxRoomsPerAddress, 1, "maxRoomsPerAddress");
        atLeast(outgoingQueue, 4, "outgoingQueue");
        atLeast(maxPendingMessages, 0, "maxPendingMessages");
        atLeast(maxJoins, 1, "maxJoins");
        atLeast(maxJoinersPerRoom, 1, "maxJoinersPerRoom");
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        if (d.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException(name + " must be at most 365 days, got " + d);
        }
    }

    private static void atLeast(int v, int min, String name) {
        if (v < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
        }
    }

    /** The documented defaults, bound to 0.0.0.0:{@value #DEFAULT_PORT}. */
    public static RendezvousConfig defaults() {
        return new RendezvousConfig(new InetSocketAddress(DEFAULT_PORT), Duration.ofSeconds(5), Duration.ofSeconds(15),
                Duration.ofSeconds(600), Duration.ofMinutes(1), 10, 10_000, 64, 8, 64, 16, Duration.ofMinutes(1), 10, 4);
    }

    public RendezvousConfig withBind(InetSocketAddress v) {
        return with(c -> c.bind = v);
    }

    /** Both session times at once, since the ping interval must stay below the silence timeout. */
    public RendezvousConfig withTimes(Duration ping, Duration silence) {
        return with(c -> {
            c.pingInterval = ping;
            c.silenceTimeout = silence;
        });
    }

    public RendezvousConfig withRoomLifetime(Duration v) {
        return with(c -> c.roomLifetime = v);
    }

    public RendezvousConfig withFailedLookups(int max, Duration window) {
        return with(c -> {
            c.maxFailedLookups = max;
            c.failedLookupWindow = window;
        });
    }

    public RendezvousConfig withMaxSessions(int v) {
        return with(c -> c.maxSessions = v);
    }

    public RendezvousConfig withMaxSessionsPerAddress(int v) {
        return with(c -> c.maxSessionsPerAddress = v);
    }

    public RendezvousConfig withMaxRoomsPerAddress(int v) {
        return with(c -> c.maxRoomsPerAddress = v);
    }

    public RendezvousConfig withOutgoingQueue(int v) {
        return with(c -> c.outgoingQueue = v);
    }

    public RendezvousConfig withMaxPendingMessages(int v) {
        return with(c -> c.maxPendingMessages = v);
    }

    /** At most {@code max} successful joins from one source address within {@code window}. */
    public RendezvousConfig withJoins(int max, Duration window) {
        return with(c -> {
            c.maxJoins = max;
            c.joinWindow = window;
        });
    }

    public RendezvousConfig withMaxJoinersPerRoom(int v) {
        return with(c -> c.maxJoinersPerRoom = v);
    }

    /** This configuration with what {@code change} sets in a copy of its values, validated again. */
    private RendezvousConfig with(java.util.function.Consumer<Values> change) {
        Values v = new Values(this);
        change.accept(v);
        return new RendezvousConfig(v.bind, v.pingInterval, v.silenceTimeout, v.roomLifetime, v.failedLookupWindow,
                v.maxFailedLookups, v.maxSessions, v.maxSessionsPerAddress, v.maxRoomsPerAddress, v.outgoingQueue,
                v.maxPendingMessages, v.joinWindow, v.maxJoins, v.maxJoinersPerRoom);
    }

    /** The values of a configuration, to change one or two for {@link #with}. */
    private static final class Values {
        InetSocketAddress bind;
        Duration pingInterval;
        Duration silenceTimeout;
        Duration roomLifetime;
        Duration failedLookupWindow;
        int maxFailedLookups;
        int maxSessions;
        int maxSessionsPerAddress;
        int maxRoomsPerAddress;
        int outgoingQueue;
        int maxPendingMessages;
        Duration joinWindow;
        int maxJoins;
        int maxJoinersPerRoom;

        Values(RendezvousConfig c) {
            bind = c.bind;
            pingInterval = c.pingInterval;
            silenceTimeout = c.silenceTimeout;
            roomLifetime = c.roomLifetime;
            failedLookupWindow = c.failedLookupWindow;
            maxFailedLookups = c.maxFailedLookups;
            maxSessions = c.maxSessions;
            maxSessionsPerAddress = c.maxSessionsPerAddress;
            maxRoomsPerAddress = c.maxRoomsPerAddress;
            outgoingQueue = c.outgoingQueue;
            maxPendingMessages = c.maxPendingMessages;
            joinWindow = c.joinWindow;
            maxJoins = c.maxJoins;
            maxJoinersPerRoom = c.maxJoinersPerRoom;
        }
    }
}
