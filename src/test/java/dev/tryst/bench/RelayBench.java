package dev.tryst.bench;

import dev.tryst.relay.RelayClient;
import dev.tryst.wire.RelayWire;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The plain (unencrypted) client pair of {@code bench/relay.sh}: one thread sends N bytes from a
 * direct buffer and half-closes, another drains until EOF and counts. The same pair, the same
 * buffers and the same clock are used for every row, so only the thing in the middle changes.
 * Prints one line: MB/s (10^6 bytes per second), timed from "both ends connected" to "receiver saw
 * EOF after exactly N bytes". Loopback only.
 *
 * <pre>
 * tryst-pair HOST PORT BYTES              both ends dial a tryst relay with the same random key
 * forward-pair LISTENPORT CONNECTPORT BYTES
 *                                         receiver listens on 127.0.0.1:LISTENPORT, sender connects to
 *                                         127.0.0.1:CONNECTPORT (a dumb forwarder such as socat, which
 *                                         cannot staple, so one end must listen)
 * direct BYTES                            sender connects straight to the receiver: the ceiling
 * </pre>
 *
 * Lives in the test tree so nothing benchmark-only ships in the product jar. Logic grown from the
 * manual check {@code dev.tryst.relay.RelayThroughput}.
 */
public final class RelayBench {
    /**
     * Client-side buffer, both ends, every row: 64 KiB, the size of a tryst record
     * ({@code RecordWire.MAX_PLAINTEXT}), so the pair writes like the real client. Override with
     * {@code -Dbench.buffer=BYTES}; results are sensitive to it (256 KiB was ~40% slower on every
     * row, direct included, on a 2-core EPYC VM).
     */
    private static final int BUFFER = Integer.getInteger("bench.buffer", 64 * 1024);
    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final String LOOPBACK = "127.0.0.1";

    private RelayBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        double mbps = switch (args[0]) {
            case "tryst-pair" -> {
                if (args.length != 4) {
                    usage();
                }
                yield trystPair(loopback(args[1], Integer.parseInt(args[2])), Long.parseLong(args[3]));
            }
            case "forward-pair" -> {
                if (args.length != 4) {
                    usage();
                }
                yield forwardPair(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
            }
            case "direct" -> {
                if (args.length != 2) {
                    usage();
                }
                yield direct(Long.parseLong(args[1]));
            }
            default -> {
                usage();
                yield 0;
            }
        };
        System.out.printf("%.0f%n", mbps);
    }

    private static void usage() {
        System.err.println("usage: RelayBench tryst-pair HOST PORT BYTES | forward-pair LISTENPORT CONNECTPORT BYTES | direct BYTES");
        System.exit(2);
    }

    /** Refuses anything but a loopback address: this benchmark never leaves the machine. */
    private static InetSocketAddress loopback(String host, int port) {
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved() || !a.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("loopback only, got " + host);
        }
        return a;
    }

    static double trystPair(InetSocketAddress relay, long total) throws Exception {
        byte[] key = new byte[RelayWire.PAIRING_KEY_LENGTH];
        new SecureRandom().nextBytes(key);
        try (SocketChannel receiver = RelayClient.dial(relay, key, CONNECT);
             SocketChannel sender = RelayClient.dial(relay, key, CONNECT)) {
            return run(sender, receiver, total);
        }
    }

    static double forwardPair(int listenPort, int connectPort, long total) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(LOOPBACK, listenPort), 1);
            try (SocketChannel sender = connectWithRetry(new InetSocketAddress(LOOPBACK, connectPort));
                 SocketChannel receiver = ss.accept()) {
                receiver.setOption(StandardSocketOptions.TCP_NODELAY, true);
                return run(sender, receiver, total);
            }
        }
    }

    static double direct(long total) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(LOOPBACK, 0), 1);
            try (SocketChannel sender = connectWithRetry((InetSocketAddress) ss.getLocalAddress());
                 SocketChannel receiver = ss.accept()) {
                receiver.setOption(StandardSocketOptions.TCP_NODELAY, true);
                return run(sender, receiver, total);
            }
        }
    }

    /** The forwarder may still be starting: retry refused connects for at most {@link #CONNECT}. */
    private static SocketChannel connectWithRetry(InetSocketAddress to) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + CONNECT.toNanos();
        for (;;) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // as RelayClient.dial does
                ch.connect(to);
                return ch;
            } catch (ConnectException e) {
                ch.close();
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Thread.sleep(20);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
    }

    /** Sends {@code total} bytes sender -> receiver, half-closes, drains to EOF; returns MB/s. */
    private static double run(SocketChannel sender, SocketChannel receiver, long total) throws Exception {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long t0 = System.nanoTime();
        Thread send = Thread.ofPlatform().name("bench-sender").start(() -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            long left = total;
            try {
                while (left > 0) {
                    buf.clear().limit((int) Math.min(buf.capacity(), left));
                    while (buf.hasRemaining()) {
                        left -= sender.write(buf);
                    }
                }
                sender.shutdownOutput();
            } catch (IOException | RuntimeException e) {
                failed.set(e);
            }
        });
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long got = 0;
        for (;;) {
            buf.clear();
            int n = receiver.read(buf);
            if (n < 0) {
                break;
            }
            got += n;
        }
        long elapsed = System.nanoTime() - t0;
        send.join();
        if (failed.get() != null) {
            throw new IllegalStateException("sender failed", failed.get());
        }
        if (got != total) {
            throw new IllegalStateException("received " + got + " bytes, expected " + total);
        }
        return total / (elapsed / 1e9) / 1e6;
    }
}
