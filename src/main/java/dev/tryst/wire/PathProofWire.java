package dev.tryst.wire;

/**
 * The bytes that prove one candidate path (direct TCP or relayed) with the keys of a code's SPAKE2
 * agreement, and choose the one path that carries the session. Every constant of that wire is here.
 *
 * <pre>
 *  initiator -> nI                          16 random bytes
 *  responder -> nR                          16 random bytes
 *  initiator -> PATH_CONFIRM_I              32 bytes = HKDF-Expand(prk, "tryst/v1 path confirm initiator" ‖ nI ‖ nR, 32)
 *  responder    checks it, then
 *  responder -> PATH_CONFIRM_R              32 bytes = HKDF-Expand(prk, "tryst/v1 path confirm responder" ‖ nI ‖ nR, 32)
 *               or, if the check failed,
 *               REJECT                      32 zero bytes, and closes
 *  initiator    checks it (REJECT never matches)
 *  initiator -> PATH_SELECT                 16 bytes = HKDF-Expand(prk, "tryst/v1 path select" ‖ nI ‖ nR, 16)
 *               on the one path it chose; the responder takes the path this arrives on
 *               or, on a path proven later while the session runs on another (relay first, then direct):
 *  initiator -> PATH_MOVE                   16 bytes = HKDF-Expand(prk, "tryst/v1 path move" ‖ nI ‖ nR, 16)
 *               the session moves onto this path at a MOVE record (see {@link RecordWire})
 *  then records (see {@link RecordWire}), keyed per path:
 *    key/iv = HKDF-Expand(prk, "tryst/v1 path key " | "tryst/v1 path iv " direction ‖ nI ‖ nR, 32 | 12)
 *    direction "initiator->responder" or "responder->initiator"
 *
 *  prk = the SPAKE2 agreement's pseudo-random key (see {@link Handshake})
 * </pre>
 *
 * The path id {@code nI ‖ nR} takes both sides' fresh nonces, so no two paths (nor a replayed one)
 * ever share keys, and the initiator's confirmation covers the responder's nonce, so a stranger on
 * a punching port learns nothing it can use on another connection.
 */
public final class PathProofWire {
    private PathProofWire() {}

    /** Each side's fresh nonce on every candidate path. */
    public static final int NONCE_LENGTH = 16;
    /** PATH_CONFIRM_I, PATH_CONFIRM_R and REJECT. */
    public static final int CONFIRM_LENGTH = 32;
    /** The initiator's authenticated choice of the one path that carries the session. */
    public static final int SELECT_LENGTH = 16;

    public static final String CONFIRM_INITIATOR = "tryst/v1 path confirm initiator";
    public static final String CONFIRM_RESPONDER = "tryst/v1 path confirm responder";
    public static final String SELECT = "tryst/v1 path select";
    /** The initiator's choice of a later path to move the running session onto (PATH_MOVE, as long as PATH_SELECT). */
    public static final String MOVE = "tryst/v1 path move";
    /** Prefix of the per-path record keys: then "key " or "iv ", the direction, and the path id. */
    public static final String KEYS = "tryst/v1 path ";
    /** The key of UDP punch packets: HKDF-Expand(prk, this, 32). */
    public static final String PUNCH = "tryst/v1 udp punch";

    /** The responder's answer to a confirmation that does not match: reveals nothing. */
    public static byte[] reject() {
        return new byte[CONFIRM_LENGTH];
    }
}
