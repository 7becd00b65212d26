package dev.tryst.relay;

import dev.tryst.wire.RelayWire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RelayConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        RelayConfig d = RelayConfig.defaults();
        assertEquals(new InetSocketAddress(8080), d.bind());
        assertEquals(Duration.ofSeconds(10), d.handshakeTimeout());
        assertEquals(Duration.ofSeconds(600), d.waitTimeout());
        assertEquals(Duration.ofSeconds(300), d.idleTimeout());
        assertEquals(50_000, d.maxWaiting());
        assertEquals(20_000, d.maxPairs());
        assertEquals(110_000, d.maxConnections());
        assertEquals(256, d.maxPerAddress());
        assertEquals(262_144, d.bufferSize());
        assertEquals(33, RelayWire.PAIRING_KEY_LENGTH);
        assertEquals(8080, RelayWire.DEFAULT_PORT);
    }

    @Test
    void rejectsNonsense() {
        RelayConfig d = RelayConfig.defaults();
        assertThrows(NullPointerException.class, () -> d.withBind(null));
        assertThrows(IllegalArgumentException.class, () -> d.withHandshakeTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> d.withHandshakeTimeout(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> d.withWaitTimeout(null));
        assertThrows(IllegalArgumentException.class, () -> d.withWaitTimeout(Duration.ofMillis(-5)));
        assertThrows(IllegalArgumentException.class, () -> d.withIdleTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> d.withIdleTimeout(Duration.ofDays(10_000)));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxWaiting(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxPairs(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxConnections(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxPerAddress(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withBufferSize(0));
        assertThrows(IllegalArgumentException.class, () -> d.withBufferSize(512));
        assertThrows(IllegalArgumentException.class, () -> d.withBufferSize(Integer.MAX_VALUE));
        // and sane values pass
        assertEquals(1 << 20, d.withBufferSize(1 << 20).bufferSize());
        assertEquals(Duration.ofMillis(300), d.withIdleTimeout(Duration.ofMillis(300)).idleTimeout());
    }

    @Test
    void dialRejectsWrongKeyLength() {
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", 9);
        assertThrows(IllegalArgumentException.class, () -> RelayClient.dial(a, new byte[32], Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> RelayClient.dial(a, new byte[33], Duration.ZERO));
    }
}
