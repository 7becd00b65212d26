package dev.tryst.relay;

import dev.tryst.wire.RelayWire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/** Client side of the relay wire: connect and present a pairing key. */
public final class RelayClient {
    private RelayClient() {}

    /**
     * Connects to the relay within the timeout, writes the 33-byte key, returns the connected
     * blocking SocketChannel (TCP_NODELAY on). The relay answers nothing: whatever is read next
     * comes from the peer, once one arrives with the same key. On failure the channel is closed.
     *
     * @throws IllegalArgumentException if the key is not {@value RelayWire#PAIRING_KEY_LENGTH} bytes
     *                                  or the timeout is not positive
     */
    public static SocketChannel dial(InetSocketAddress relay, byte[] pairingKey, Duration connectTimeout) throws IOException {
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(pairingKey, "pairingKey");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (pairingKey.length != RelayWire.PAIRING_KEY_LENGTH) {
            throw new IllegalArgumentException("pairing key must be " + RelayWire.PAIRING_KEY_LENGTH + " bytes, got " + pairingKey.length);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
        }
        // 0 would mean "forever" to connect(); clamp sub-millisecond timeouts to 1 ms.
        int millis = (int) Math.clamp(connectTimeout.toMillis(), 1L, Integer.MAX_VALUE);
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(relay, millis);
            ByteBuffer key = ByteBuffer.wrap(pairingKey.clone());
            while (key.hasRemaining()) {
                ch.write(key);
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
