package dev.tryst.wire;

/**
 * The bytes that prove one candidate path between two identities (a connection made through a
 * CONNECTION_REQUEST, see {@link ControlWire}) and choose the one path that carries the session:
 * a Noise IK handshake per path, then the initiator's choice. Every constant of that wire is here.
 *
 * <pre>
 *  prologue  = "tryst/v1 peer path" ‖ connection id (the 33-byte relay pairing key of CLIENT_INFO)
 *  static keys: each identity's Ed25519 key moved to X25519 (u = (1 + y) / (1 − y); the private
 *               scalar is the clamped first half of SHA-512(seed), as in Ed25519 itself)
 *
 *  initiator -> MESSAGE_1   97 bytes   Noise_IK_25519_AESGCM_SHA256:  e, es, s, ss, payload
 *                                      32 ephemeral ‖ 48 encrypted static ‖ 17 encrypted payload
 *  responder    decrypts it and checks the static key is the identity it expects, then
 *  responder -> MESSAGE_2   49 bytes   e, ee, se, payload: 32 ephemeral ‖ 17 encrypted payload
 *               or, if either failed,
 *               REJECT      49 zero bytes, and closes
 *  initiator -> PATH_SELECT 16 bytes = HKDF-Expand(prk, "tryst/v1 peer path select", 16)
 *               on the one path it chose; the responder takes the path this arrives on
 *               or, on a path proven later while the session runs on another:
 *  initiator -> PATH_MOVE   16 bytes = HKDF-Expand(prk, "tryst/v1 peer path move", 16): move onto this path
 *  then records (see {@link RecordWire}), keyed per path:
 *    key/iv = HKDF-Expand(prk, "tryst/v1 peer path key " | "tryst/v1 peer path iv " direction, 32 | 12)
 *
 *  payload = version (1 byte, 0x01) in both messages
 *  prk     = HKDF-Extract(salt = h, ikm = ck): Noise's handshake hash and final chaining key
 * </pre>
 *
 * Each path has fresh ephemeral keys on both sides, so no two paths (nor a replayed one) share
 * keys, and a path's keys are gone once its ephemerals are. The initiator proves itself first, to
 * the responder only (its static key travels encrypted to the responder's); the responder's
 * message 2 can be read only by the initiator it expected. A replayed message 1 gets a message 2
 * keyed by a new ephemeral, which the replayer cannot read, so it can never send PATH_SELECT.
 */
public final class PeerPathWire {
    private PeerPathWire() {}

    public static final String PROLOGUE = "tryst/v1 peer path";
    /** The payload of both handshake messages: this version of the peer protocol. */
    public static final byte VERSION = 1;
    public static final int MESSAGE_1_LENGTH = 32 + 32 + 16 + 1 + 16;
    public static final int MESSAGE_2_LENGTH = 32 + 1 + 16;
    public static final int SELECT_LENGTH = 16;
    public static final String SELECT = "tryst/v1 peer path select";
    /** The initiator's choice of a later path to move the running session onto. */
    public static final String MOVE = "tryst/v1 peer path move";
    /** Prefix of the per-path record keys: then "key " or "iv " and the direction. */
    public static final String KEYS = "tryst/v1 peer path ";
    /**
     * The key of UDP punch packets between the two: HKDF-Expand(HKDF-Extract(salt = connection id,
     * ikm = X25519(static, peer's static)), this, 32).
     */
    public static final String PUNCH = "tryst/v1 peer udp punch";

    /** The responder's answer to a message 1 that did not decrypt or came from someone else: reveals nothing. */
    public static byte[] reject() {
        return new byte[MESSAGE_2_LENGTH];
    }
}
