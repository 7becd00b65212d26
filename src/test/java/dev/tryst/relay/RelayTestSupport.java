package dev.tryst.relay;

import dev.tryst.wire.RelayWire;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Small helpers shared by the relay tests. */
final class RelayTestSupport {
    static final Duration CONNECT = Duration.ofSeconds(5);
    static final int CHUNK = 64 * 1024;

    private RelayTestSupport() {}

    /** Loopback, port 0, test-friendly short timeouts unless overridden. */
    static RelayConfig testConfig() {
        return RelayConfig.defaults()
                .withBind(new InetSocketAddress("127.0.0.1", 0))
                .withHandshakeTimeout(Duration.ofSeconds(5))
                .withWaitTimeout(Duration.ofSeconds(30))
                .withIdleTimeout(Duration.ofSeconds(30));
    }

    static byte[] randomKey() {
        byte[] k = new byte[RelayWire.PAIRING_KEY_LENGTH];
        ThreadLocalRandom.current().nextBytes(k);
        return k;
    }

    static SocketChannel dial(RelayServer relay, byte[] key) throws IOException {
        return RelayClient.dial(relay.address(), key, CONNECT);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes {@code total} pseudo-random bytes (seeded) and returns their SHA-256. */
    static byte[] sendRandom(SocketChannel ch, long total, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        MessageDigest md = sha256();
        byte[] chunk = new byte[CHUNK];
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        long left = total;
        while (left > 0) {
            int n = (int) Math.min(CHUNK, left);
            rnd.nextBytes(chunk);
            md.update(chunk, 0, n);
            buf.clear();
            buf.put(chunk, 0, n).flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            left -= n;
        }
        return md.digest();
    }

    /** Reads exactly {@code total} bytes (fails on early EOF) and returns their SHA-256. */
    static byte[] receive(SocketChannel ch, long total) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long left = total;
        while (left > 0) {
            buf.clear().limit((int) Math.min(CHUNK, left));
            int n = ch.read(buf);
            if (n < 0) {
                throw new IOException("EOF after " + (total - left) + " of " + total + " bytes");
            }
            md.update(buf.array(), 0, n);
            left -= n;
        }
        return md.digest();
    }

    static void writeAll(SocketChannel ch, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("EOF after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }

    /**
     * Waits up to {@code max} for the other end to close: true on EOF or reset, false if data
     * arrived or nothing happened in time. Uses the socket adaptor, which honours SO_TIMEOUT.
     */
    static boolean closedWithin(SocketChannel ch, Duration max) throws IOException {
        ch.socket().setSoTimeout((int) max.toMillis());
        InputStream in = ch.socket().getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    /** Nothing arrives and the connection stays open for {@code d}. */
    static boolean quietFor(SocketChannel ch, Duration d) throws IOException {
        ch.socket().setSoTimeout((int) d.toMillis());
        try {
            ch.socket().getInputStream().read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    static void await(String what, Duration max, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** This process's open descriptors: number to what it points at ("socket:[123]", a path...). */
    static Map<String, String> openFds() {
        Map<String, String> fds = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            s.forEach(p -> {
                try {
                    fds.put(p.getFileName().toString(), Files.readSymbolicLink(p).toString());
                } catch (IOException gone) {
                    // the descriptor used for listing the directory itself, closed meanwhile
                }
            });
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return fds;
    }
}
