package dev.tryst.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The room message in which a peer tells the other its UDP endpoints before punching: its STUN
 * mapping first, then its own addresses with the same UDP port. Every constant of that wire is here.
 *
 * <pre>
 *  'U' | count u8 (0 .. 8) | endpoint * count
 *  endpoint = ip length u8 (4 | 16) | ip (network order) | port u16 big-endian (1 .. 65535)
 * </pre>
 *
 * It travels as a ROOM_MESSAGE once the peer's room confirmation matched ({@link MeetingWire}), so
 * only a peer who proved the code is told it; the server sees it (it saw the connection's addresses
 * anyway); the punch packets themselves are authenticated ({@link PunchWire}).
 */
public final class EndpointsWire {
    private EndpointsWire() {}

    public static final byte TAG = 'U';
    public static final int MAX_ENDPOINTS = 8;
    /** Largest encoding: 2 + 8 × 19 bytes. */
    public static final int MAX_LENGTH = 2 + MAX_ENDPOINTS * 19;

    public static byte[] encode(List<InetSocketAddress> endpoints) {
        if (endpoints.size() > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("at most " + MAX_ENDPOINTS + " endpoints, not " + endpoints.size());
        }
        ByteBuffer b = ByteBuffer.allocate(MAX_LENGTH).put(TAG).put((byte) endpoints.size());
        for (InetSocketAddress a : endpoints) {
            byte[] ip = a.getAddress().getAddress();
            b.put((byte) ip.length).put(ip).putShort((short) a.getPort());
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    /** The endpoints, or an empty list if the message is missing or malformed (no UDP path is then tried). */
    public static List<InetSocketAddress> decode(byte[] m) {
        if (m == null || m.length < 2 || m.length > MAX_LENGTH || m[0] != TAG || (m[1] & 0xff) > MAX_ENDPOINTS) {
            return List.of();
        }
        ByteBuffer b = ByteBuffer.wrap(m, 2, m.length - 2);
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (int i = 0; i < (m[1] & 0xff); i++) {
                int n = b.get();
                if (n != 4 && n != 16) {
                    return List.of();
                }
                byte[] ip = new byte[n];
                b.get(ip);
                int port = Short.toUnsignedInt(b.getShort());
                if (port == 0) {
                    return List.of();
                }
                out.add(new InetSocketAddress(InetAddress.getByAddress(ip), port));
            }
        } catch (BufferUnderflowException | UnknownHostException e) {
            return List.of();
        }
        return b.hasRemaining() ? List.of() : out;
    }
}
