package dev.tryst.relay;

import dev.tryst.wire.RelayWire;
import static dev.tryst.relay.RelayTestSupport.await;
import static dev.tryst.relay.RelayTestSupport.dial;
import static dev.tryst.relay.RelayTestSupport.randomKey;
import static dev.tryst.relay.RelayTestSupport.receive;
import static dev.tryst.relay.RelayTestSupport.sendRandom;
import static dev.tryst.relay.RelayTestSupport.testConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RelayHostileTest {
    private static final int HOSTILE = 1000;
    private static final long SIZE = 100L << 20;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aThousandHostileConnectionsDoNotDisturbATransfer() throws Exception {
        RelayConfig config = testConfig()
                .withHandshakeTimeout(Duration.ofSeconds(1))
                .withMaxPerAddress(10_000); // everything comes from 127.0.0.1
        List<SocketChannel> hostile = new ArrayList<>();
        int partial = 0, keyed = 0;
        // the handshake deadline on a clock the test moves: the hostile writes all land before it,
        // however slow a loaded machine is, and it passes only when the test says so
        var clock = new dev.tryst.net.FakeTicker();
        RelayServer relay = RelayServer.start(config, clock);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            byte[] key = randomKey();
            SocketChannel a = dial(relay, key);
            SocketChannel b = dial(relay, key);
            CountDownLatch halfOpen = new CountDownLatch(HOSTILE / 2);

            // Half garbage of random length (often more than a key), half nothing or a partial key.
            int[] lengths = new int[HOSTILE];
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int i = 0; i < HOSTILE; i++) {
                lengths[i] = i % 2 == 0 ? rnd.nextInt(1, 4097) : rnd.nextInt(0, RelayWire.PAIRING_KEY_LENGTH);
                if (lengths[i] < RelayWire.PAIRING_KEY_LENGTH) {
                    partial++;
                } else {
                    keyed++;
                }
            }
            List<Future<SocketChannel>> opened = new ArrayList<>();
            for (int len : lengths) {
                opened.add(ex.submit(() -> {
                    SocketChannel ch = SocketChannel.open(relay.address());
                    byte[] junk = new byte[len];
                    ThreadLocalRandom.current().nextBytes(junk);
                    ByteBuffer buf = ByteBuffer.wrap(junk);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    halfOpen.countDown();
                    return ch;
                }));
            }
            halfOpen.await();
            Future<byte[]> sent = ex.submit(() -> sendRandom(a, SIZE, 42));
            Future<byte[]> got = ex.submit(() -> receive(b, SIZE));
            for (Future<SocketChannel> f : opened) {
                hostile.add(f.get());
            }
            assertArrayEquals(sent.get(), got.get(), "transfer intact");
            clock.advance(Duration.ofSeconds(2)); // past the 1 s handshake deadline, far from the 30 s ones

            int expectCut = partial, expectWaiting = keyed;
            await("partial keys cut at the handshake deadline", Duration.ofSeconds(20),
                    () -> relay.stats().handshakeTimeouts() == expectCut);
            await("garbage keys waiting", Duration.ofSeconds(20),
                    () -> relay.stats().waitingKeys() == expectWaiting);
            RelayStats s = relay.stats();
            assertEquals(1, s.pairsStapled(), "no garbage key stapled to anything");
            assertEquals(1, s.activePairs());
            assertEquals(0, s.refusedTotal());
            assertEquals(0, s.handshakeFailures());
            assertEquals(HOSTILE + 2, s.connectionsAccepted());

            // The pair is still fine after all that.
            RelayTestSupport.writeAll(b, new byte[] {9});
            assertEquals(9, RelayTestSupport.readExactly(a, 1)[0]);
            a.close();
            b.close();
            await("pair ended", Duration.ofSeconds(10), () -> relay.stats().activePairs() == 0);
            relay.close();
            assertEquals(0, relay.stats().activeConnections());
            assertEquals(0, relay.stats().liveThreads());
        } finally {
            relay.close(); // idempotent
            for (SocketChannel ch : hostile) {
                closeQuietly(ch);
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // test cleanup
        }
    }
}
