package dev.tryst.stun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class StunClientTest {
    @Test
    void theClientLearnsItsOwnAddressFromTrystsResponderWithoutSlack() throws Exception {
        // default config: no response slack, so only a padded request gets an answer
        try (StunServer server = StunServer.start(StunServerTest.testConfig());
             DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress mapped = StunClient.mappedAddress(s, server.address(), Duration.ofSeconds(3), new SecureRandom());
            assertEquals(s.getLocalSocketAddress(), mapped);
            assertEquals(0, server.stats().droppedAmplification());
        }
    }

    @Test
    void noServerIsATimeoutNotAHang() throws Exception {
        try (DatagramSocket quiet = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThrows(SocketTimeoutException.class, () -> StunClient.mappedAddress(s,
                    (InetSocketAddress) quiet.getLocalSocketAddress(), Duration.ofMillis(600), new SecureRandom()));
            assertEquals(0, s.getSoTimeout(), "the socket's timeout is restored");
        }
    }
}
