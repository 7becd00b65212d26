package dev.tryst.channel;

import dev.tryst.wire.RecordWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Channel throughput, run by {@code bench/channel.sh} (not a test: timing lives in benchmarks).
 * Prints tab-separated rows: what, MB/s. MB = 10^6 bytes.
 */
public final class ChannelBench {
    private static final int RECORD = RecordWire.MAX_PLAINTEXT;

    public static void main(String[] args) throws Exception {
        long bytes = args.length > 0 ? Long.parseLong(args[0]) : 2L << 30;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        for (int r = 0; r < rounds; r++) {
            row("raw JDK AES-256-GCM encrypt, 64 KiB, one thread", rawGcm(bytes, true));
            row("raw JDK AES-256-GCM decrypt, 64 KiB, one thread", rawGcm(bytes, false));
            row("tryst channel seal (send direction), one thread", seal(bytes));
            row("tryst channel open (receive direction), one thread", open(bytes));
            row("tryst channel over loopback TCP, one direction", loopback(bytes));
        }
    }

    private static void row(String what, double mbps) {
        System.out.printf(Locale.ROOT, "%s\t%.0f%n", what, mbps);
        System.out.flush();
    }

    private static double rate(long bytes, long nanos) {
        return bytes / (nanos / 1e9) / 1e6;
    }

    static double rawGcm(long bytes, boolean encrypt) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        SecretKeySpec k = new SecretKeySpec(new byte[32], "AES");
        byte[] nonce = new byte[12];
        byte[] in = new byte[RECORD + 16];
        byte[] out = new byte[RECORD + 16];
        if (!encrypt) {
            c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
            c.updateAAD(new byte[4]);
            in = c.doFinal(new byte[RECORD]);
        }
        long n = bytes / RECORD;
        long t = System.nanoTime();
        for (long i = 0; i < n; i++) {
            nonce[4] = (byte) i;
            nonce[5] = (byte) (i >> 8);
            nonce[6] = (byte) (i >> 16);
            nonce[7] = (byte) (i >> 24);
            if (encrypt) {
                c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
                c.updateAAD(out, 0, 4);
                c.doFinal(in, 0, RECORD, out, 0);
            } else {
                nonce[4] = 0; nonce[5] = 0; nonce[6] = 0; nonce[7] = 0;
                c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, nonce));
                c.updateAAD(new byte[4]);
                c.doFinal(in, 0, RECORD + 16, out, 0);
            }
        }
        return rate(n * RECORD, System.nanoTime() - t);
    }

    /** Discards what is written; reads come from a prepared buffer. */
    static final class Sink implements ByteChannel {
        ByteBuffer source = ByteBuffer.allocate(0);
        long written;

        @Override
        public int read(ByteBuffer dst) {
            if (!source.hasRemaining()) {
                return -1;
            }
            int n = Math.min(dst.remaining(), source.remaining());
            dst.put(source.slice(source.position(), n));
            source.position(source.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            written += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    static double seal(long bytes) throws IOException {
        Sink sink = new Sink();
        SecureChannel ch = new SecureChannel(sink, RecordCipher.sealer(new byte[32], new byte[12]),
                RecordCipher.opener(new byte[32], new byte[12]));
        byte[] data = new byte[RECORD];
        long n = bytes / RECORD;
        long t = System.nanoTime();
        for (long i = 0; i < n; i++) {
            ch.send(data);
        }
        return rate(n * RECORD, System.nanoTime() - t);
    }

    /** Opens the same 256 MiB of sealed records again and again (a fresh opener each pass). */
    static double open(long bytes) throws IOException {
        long chunk = Math.min(bytes, 256L << 20);
        var captured = new java.io.ByteArrayOutputStream((int) (chunk + chunk / 64));
        ByteChannel capture = new ByteChannel() {
            public int read(ByteBuffer dst) { return -1; }
            public int write(ByteBuffer src) {
                int n = src.remaining();
                byte[] b = new byte[n];
                src.get(b);
                captured.write(b, 0, n);
                return n;
            }
            public boolean isOpen() { return true; }
            public void close() {}
        };
        SecureChannel w = new SecureChannel(capture, RecordCipher.sealer(new byte[32], new byte[12]),
                RecordCipher.opener(new byte[32], new byte[12]));
        byte[] data = new byte[RECORD];
        long n = chunk / RECORD;
        for (long i = 0; i < n; i++) {
            w.send(data);
        }
        byte[] sealed = captured.toByteArray();
        long passes = Math.max(1, bytes / chunk);
        long got = 0;
        long t = System.nanoTime();
        for (long p = 0; p < passes; p++) {
            Sink sink = new Sink();
            sink.source = ByteBuffer.wrap(sealed);
            SecureChannel r = new SecureChannel(sink, RecordCipher.sealer(new byte[32], new byte[12]),
                    RecordCipher.opener(new byte[32], new byte[12]));
            for (long i = 0; i < n; i++) {
                got += r.receive().remaining();
            }
        }
        return rate(got, System.nanoTime() - t);
    }

    static double loopback(long bytes) throws Exception {
        byte[] pw = "1-zoom-zoom".getBytes();
        try (ServerSocketChannel server = ServerSocketChannel.open();
             var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            Future<SecureChannel> rf = pool.submit(() -> Handshake.run(b, Handshake.Role.RESPONDER, pw, new SecureRandom()));
            SecureChannel w = Handshake.run(a, Handshake.Role.INITIATOR, pw, new SecureRandom());
            SecureChannel r = rf.get();
            long n = bytes / RECORD;
            long t = System.nanoTime();
            Future<Long> reader = pool.submit(() -> {
                long got = 0;
                for (ByteBuffer x; (x = r.receive()) != null; ) {
                    got += x.remaining();
                }
                return got;
            });
            byte[] data = new byte[RECORD];
            for (long i = 0; i < n; i++) {
                w.send(data);
            }
            w.shutdownOutput();
            long got = reader.get();
            long nanos = System.nanoTime() - t;
            w.close();
            r.close();
            return rate(got, nanos);
        }
    }
}
