package dev.tryst.wire;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;

/**
 * The UDP packets that punch and prove a path between two peers ({@link UdpPunch}). Every constant
 * of that wire is here.
 *
 * <pre>
 *  probe / ack, 30 bytes:
 *  0    1    2    3    4      5      6                    14                  30
 *  +----+----+----+----+------+------+--------------------+-------------------+
 *  | 'T'| 'R'| 'Y'| 'U'| type | role | id (8 bytes)       | tag (16 bytes)    |
 *  +----+----+----+----+------+------+--------------------+-------------------+
 *  type  1 probe, 2 ack (an ack echoes the id of the probe it answers)
 *  role  1 initiator, 2 responder (the sender's)
 *  id    8 random bytes, fresh for every probe
 *  tag   HMAC-SHA256(punch key, bytes 0..14), its first 16 bytes; the punch key is
 *        {@link dev.tryst.channel.PathKeys#punchKey()} (for a code: HKDF-Expand(prk, "tryst/v1 udp punch", 32))
 * </pre>
 *
 * A datagram of another length, another magic, an unknown type or role, or a wrong tag is not a
 * punch packet; {@link #decode} says so with null and nothing else.
 */
public final class PunchWire {
    private PunchWire() {}

    public static final byte[] MAGIC = {'T', 'R', 'Y', 'U'};
    public static final int LENGTH = 30;
    /** The bytes the tag covers. */
    public static final int SIGNED_LENGTH = 14;
    public static final int TAG_LENGTH = 16;
    public static final int PROBE = 1;
    public static final int ACK = 2;
    public static final int ROLE_INITIATOR = 1;
    public static final int ROLE_RESPONDER = 2;

    /** One probe or ack. */
    public record Packet(int type, int role, long id) {
        public Packet {
            if ((type != PROBE && type != ACK) || (role != ROLE_INITIATOR && role != ROLE_RESPONDER)) {
                throw new IllegalArgumentException("type " + type + ", role " + role);
            }
        }
    }

    /** The 30 bytes of {@code p}, tagged with {@code mac} (HMAC-SHA256 keyed with the punch key). */
    public static byte[] encode(Mac mac, Packet p) {
        byte[] d = new byte[LENGTH];
        ByteBuffer.wrap(d).put(MAGIC).put((byte) p.type()).put((byte) p.role()).putLong(p.id());
        System.arraycopy(tag(mac, d), 0, d, SIGNED_LENGTH, TAG_LENGTH);
        return d;
    }

    /** The packet in {@code data[0..length)}, or null if it is not one of ours with a valid tag. */
    public static Packet decode(Mac mac, byte[] data, int length) {
        if (length != LENGTH || !Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(data, MAGIC.length, SIGNED_LENGTH - MAGIC.length);
        int type = b.get();
        int role = b.get();
        long id = b.getLong();
        if ((type != PROBE && type != ACK) || (role != ROLE_INITIATOR && role != ROLE_RESPONDER)
                || !MessageDigest.isEqual(tag(mac, data), Arrays.copyOfRange(data, SIGNED_LENGTH, LENGTH))) {
            return null;
        }
        return new Packet(type, role, id);
    }

    private static byte[] tag(Mac mac, byte[] packet) {
        mac.update(packet, 0, SIGNED_LENGTH);
        return Arrays.copyOf(mac.doFinal(), TAG_LENGTH);
    }
}
