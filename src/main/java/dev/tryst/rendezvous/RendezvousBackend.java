package dev.tryst.rendezvous;

import dev.tryst.wire.ControlWire;
import dev.tryst.events.EventLog;
import dev.tryst.identity.Identity;
import dev.tryst.state.Bus;
import dev.tryst.state.Presence;
import dev.tryst.state.RoomDirectory;
import dev.tryst.state.local.LocalBus;
import dev.tryst.state.local.LocalPresence;
import dev.tryst.state.local.LocalRooms;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What the rendezvous server offers beyond the framing, and where its state lives.
 *
 * @param serverName the name identity logins are signed for (see {@link Identity#signChallenge}): the
 *                   hex SHA-256 fingerprint of the TLS certificate the clients pin, or {@link #PLAIN_NAME}
 *                   on a plain control port. Binding the signature to it means a login made to one server
 *                   cannot be relayed to another.
 * @param relayPort  the relay port announced in ROOM_RELAY (same host as the control port); 0 if none
 * @param stunPort   the STUN port announced in CONNECTED (same host); 0 if none
 * @param events     the event log behind identity sessions; null: identity sessions are refused
 * @param rooms      the rooms
 * @param presence   who is online, and the connection requests waiting for them
 * @param bus        how a packet reaches a session wherever it lives
 */
public record RendezvousBackend(String serverName, int relayPort, int stunPort, EventLog events, RoomDirectory rooms,
                                Presence presence, Bus bus) {
    /** The login name of a server without TLS (tests and local use). */
    public static final String PLAIN_NAME = ControlWire.PLAIN_SERVER_NAME;

    public RendezvousBackend {
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(rooms, "rooms");
        Objects.requireNonNull(presence, "presence");
        Objects.requireNonNull(bus, "bus");
        int n = serverName.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > Identity.MAX_SERVER_NAME) {
            throw new IllegalArgumentException("a server name is 1.." + Identity.MAX_SERVER_NAME + " UTF-8 bytes");
        }
        if (relayPort < 0 || relayPort > 0xFFFF) {
            throw new IllegalArgumentException("relay port " + relayPort + " is not in 0 .. 65535");
        }
        if (stunPort < 0 || stunPort > 0xFFFF) {
            throw new IllegalArgumentException("STUN port " + stunPort + " is not in 0 .. 65535");
        }
    }

    /** One node's state: rooms, presence and bus in memory, events in {@code events}. */
    public RendezvousBackend(String serverName, int relayPort, EventLog events) {
        this(serverName, relayPort, 0, events);
    }

    /** As above, announcing a STUN responder on {@code stunPort}. */
    public RendezvousBackend(String serverName, int relayPort, int stunPort, EventLog events) {
        this(serverName, relayPort, stunPort, events, new LocalRooms(), new LocalPresence(), new LocalBus());
    }

    /** Rooms only: no identities, no relay announced. */
    public static RendezvousBackend roomsOnly() {
        return new RendezvousBackend(PLAIN_NAME, 0, null);
    }
}
