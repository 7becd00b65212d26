package dev.tryst.relay;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Manual throughput check, not a test: pipes 1 GiB (or {@code args[0]} MiB) through one relay
 * pair on loopback and prints MB/s, next to the same transfer over a direct loopback connection.
 * Optional {@code args[1]}: relay buffer size in bytes.
 *
 * <pre>
 * JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -q -B test-compile
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp target/classes:target/test-classes dev.tryst.relay.RelayThroughput [MiB] [bufferSize]
 * </pre>
 */
public final class RelayThroughput {
    private RelayThroughput() {}

    public static void main(String[] args) throws Exception {
        long total = (args.length > 0 ? Long.parseLong(args[0]) : 1024) << 20;
        int bufferSize = args.length > 1 ? Integer.parseInt(args[1]) : RelayConfig.defaults().bufferSize();
        RelayConfig config = RelayConfig.defaults()
                .withBind(new InetSocketAddress("127.0.0.1", 0))
                .withBufferSize(bufferSize);
        for (int round = 0; round < 3; round++) {
            double direct = direct(total);
            double relayed;
            try (RelayServer relay = RelayServer.start(config)) {
                byte[] key = RelayTestSupport.randomKey();
                try (SocketChannel a = RelayClient.dial(relay.address(), key, Duration.ofSeconds(5));
                     SocketChannel b = RelayClient.dial(relay.address(), key, Duration.ofSeconds(5))) {
                    relayed = run(a, b, total);
                }
            }
            System.out.printf("round %d: %d MiB, relay buffer %d: relayed %.0f MB/s, direct loopback %.0f MB/s%n",
                    round, total >> 20, bufferSize, relayed, direct);
        }
    }

    private static double direct(long total) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel a = SocketChannel.open(ss.getLocalAddress());
             SocketChannel b = ss.accept()) {
            return run(a, b, total);
        }
    }

    /** Sends {@code total} bytes a -> b, returns MB/s (10^6 bytes per second). */
    private static double run(SocketChannel a, SocketChannel b, long total) throws Exception {
        long t0 = System.nanoTime();
        Thread sender = Thread.ofPlatform().start(() -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);
            long left = total;
            try {
                while (left > 0) {
                    buf.clear().limit((int) Math.min(buf.capacity(), left));
                    left -= a.write(buf);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);
        long got = 0;
        while (got < total) {
            buf.clear();
            int n = b.read(buf);
            if (n < 0) {
                throw new IllegalStateException("EOF after " + got);
            }
            got += n;
        }
        sender.join();
        return total / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }
}
