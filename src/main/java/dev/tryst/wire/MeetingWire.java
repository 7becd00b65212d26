package dev.tryst.wire;

/**
 * What two peers holding a code say to each other through a rendezvous room: the data of their
 * ROOM_MESSAGEs ({@link ControlWire}), in this order from each side. Every constant of that wire is
 * here; the values are derived by the handshake ({@code dev.tryst.channel.Handshake}).
 *
 * <pre>
 *  1. HELLO            39 bytes: 'TRYS' | version | role | SPAKE2 message (the handshake's)
 *  2. ROOM_CONFIRM     32 bytes = HKDF-Expand(prk, "tryst/v1 room confirm initiator" | "... responder", 32)
 *                      responder: as soon as it has the initiator's HELLO;
 *                      initiator: only once the responder's has been checked, and if it did not
 *                      match REJECT instead: 32 zero bytes (never a valid confirmation), then it quits
 *  3. netcheck only    its UDP endpoints ({@link EndpointsWire}), once the peer's ROOM_CONFIRM matched
 * </pre>
 *
 * ROOM_ADDRESSES and ROOM_DONE, which give the peer our addresses, follow only once the peer's
 * ROOM_CONFIRM matched: someone who joins a room by its public number without the words is told
 * the creator's HELLO and nothing else, and the initiator reveals nothing derived from the key to
 * a joiner that has not proved it first.
 */
public final class MeetingWire {
    private MeetingWire() {}

    /** ROOM_CONFIRM and REJECT. */
    public static final int CONFIRM_LENGTH = 32;

    /** The initiator's answer to a responder's confirmation that does not match: reveals nothing. */
    public static byte[] reject() {
        return new byte[CONFIRM_LENGTH];
    }
}
