package dev.tryst.rendezvous;

import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What the rendezvous server offers beyond the framing itself.
 *
 * @param serverName the name identity logins are signed for (see {@link Identity#signChallenge}): the
 *                   hex SHA-256 fingerprint of the TLS certificate the clients pin, or {@link #PLAIN_NAME}
 *                   on a plain control port. Binding the signature to it means a login made to one server
 *                   cannot be relayed to another.
 * @param relayPort  the relay port announced in ROOM_RELAY (same host as the control port); 0 if none
 * @param events     the event store behind identity sessions; null: identity sessions are refused
 */
public record RendezvousBackend(String serverName, int relayPort, EventStore events) {
    /** The login name of a server without TLS (tests and local use). */
    public static final String PLAIN_NAME = dev.tryst.control.ControlWire.PLAIN_SERVER_NAME;

    public RendezvousBackend {
        Objects.requireNonNull(serverName, "serverName");
        int n = serverName.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > Identity.MAX_SERVER_NAME) {
            throw new IllegalArgumentException("a server name is 1.." + Identity.MAX_SERVER_NAME + " UTF-8 bytes");
        }
        if (relayPort < 0 || relayPort > 0xFFFF) {
            throw new IllegalArgumentException("relay port " + relayPort + " is not in 0 .. 65535");
        }
    }

    /** Rooms only: no identities, no relay announced. */
    public static RendezvousBackend roomsOnly() {
        return new RendezvousBackend(PLAIN_NAME, 0, null);
    }
}
