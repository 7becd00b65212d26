package dev.tryst.stun;

import dev.tryst.wire.StunFormatException;
import dev.tryst.wire.StunWire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Asks a STUN server (RFC 8489 Binding) which address and port a UDP socket's packets come from.
 *
 * <p>Requests carry a {@value #PADDING}-byte optional padding attribute (type 0x8000+, which a server
 * ignores): tryst's responder, like any that refuses to amplify, never answers with more bytes
 * than the request had, and a bare 20-byte request is smaller than any answer. Retransmits after
 * 250 ms, doubling, until {@code timeout} (RFC 8489 §6.2.1's schedule, shortened).
 */
public final class StunClient {
    /** Padding attribute type: comprehension-optional, from the range private to the application. */
    static final int PADDING_TYPE = 0x8ff0;
    static final int PADDING = 64;

    private StunClient() {}

    /**
     * The mapped address of {@code socket} as {@code server} sees it. Reads on {@code socket} until
     * the answer with our transaction id arrives; other datagrams are dropped. Leaves the socket's
     * read timeout as it found it.
     *
     * @throws SocketTimeoutException no answer within {@code timeout}
     */
    public static InetSocketAddress mappedAddress(DatagramSocket socket, InetSocketAddress server, Duration timeout,
                                                  SecureRandom random) throws IOException {
        byte[] txid = new byte[StunWire.TRANSACTION_ID_LENGTH];
        random.nextBytes(txid);
        byte[] request = StunWire.encode(new StunWire.Message(StunWire.BINDING_REQUEST, StunWire.MAGIC_COOKIE, txid,
                List.of(new StunWire.Attribute(PADDING_TYPE, new byte[PADDING]))), true);
        int before = socket.getSoTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        long rto = 250;
        DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
        try {
            while (true) {
                socket.send(new DatagramPacket(request, request.length, server));
                long resendAt = System.nanoTime() + rto * 1_000_000L;
                rto *= 2;
                while (true) {
                    long wait = Math.min(resendAt, deadline) - System.nanoTime();
                    if (wait <= 0) {
                        break;
                    }
                    socket.setSoTimeout((int) Math.max(1, wait / 1_000_000L));
                    try {
                        socket.receive(in);
                    } catch (SocketTimeoutException e) {
                        continue;
                    }
                    InetSocketAddress mapped = answer(ByteBuffer.wrap(in.getData(), 0, in.getLength()), txid);
                    if (mapped != null) {
                        return mapped;
                    }
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new SocketTimeoutException("no STUN answer from " + server + " within " + timeout.toMillis() + " ms");
                }
            }
        } finally {
            socket.setSoTimeout(before);
        }
    }

    /** The mapped address in {@code datagram} if it is the success answer to {@code txid}, else null. */
    static InetSocketAddress answer(ByteBuffer datagram, byte[] txid) {
        byte[] d = new byte[datagram.remaining()];
        datagram.get(d);
        try {
            StunWire.Message m = StunWire.decode(d);
            if (m.type() != StunWire.BINDING_SUCCESS || !Arrays.equals(m.transactionId(), txid)) {
                return null;
            }
            for (StunWire.Attribute a : m.attributes()) {
                if (a.type() == StunWire.XOR_MAPPED_ADDRESS) {
                    return StunWire.decodeXorAddress(a.value(), m.cookie(), txid);
                }
            }
            for (StunWire.Attribute a : m.attributes()) {
                if (a.type() == StunWire.MAPPED_ADDRESS) {
                    return StunWire.decodeAddress(a.value());
                }
            }
            return null;
        } catch (StunFormatException e) {
            return null;
        }
    }
}
