package eval;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

/** One benchmark process: `Run <tcp-gcm|netty-quic|kwik> <bytes> <warmupBytes>`; prints one RESULT line.
 *  Client and server run in this one JVM, so the CPU figure is both ends together. */
public final class Run {
    static final int CHUNK = 64 * 1024;

    public static Duplex.Quic candidate(String name) {
        return switch (name) {
            case "netty-quic" -> new NettyQuic();
            case "kwik" -> new KwikQuic();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Two UDP sockets on loopback that have exchanged a datagram each way, as after hole punching. */
    public static DatagramChannel[] punchedPair() throws IOException {
        DatagramChannel a = DatagramChannel.open(), b = DatagramChannel.open();
        for (DatagramChannel c : new DatagramChannel[]{a, b}) {
            c.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            c.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }
        a.send(ByteBuffer.wrap("punch".getBytes()), b.getLocalAddress());
        b.receive(ByteBuffer.allocate(64));
        b.send(ByteBuffer.wrap("punch".getBytes()), a.getLocalAddress());
        a.receive(ByteBuffer.allocate(64));
        return new DatagramChannel[]{a, b};
    }

    /** Client sends `bytes`, FIN; server discards and counts, answers the count; returns nanos. */
    static long quicTransfer(Duplex.Quic q, long bytes) throws Exception {
        DatagramChannel[] p = punchedPair();
        Certs.Identity server = Certs.selfSigned("EC", "tryst-server");
        var accepted = q.listen(p[1], (InetSocketAddress) p[0].getLocalAddress(), server, null);
        try (Duplex c = q.connect(p[0], (InetSocketAddress) p[1].getLocalAddress(), null, server.fingerprint())) {
            Thread sink = Thread.ofVirtual().start(() -> {
                try (Duplex s = accepted.get(20, TimeUnit.SECONDS)) {
                    InputStream in = s.in();
                    byte[] buf = new byte[CHUNK];
                    long count = 0;
                    for (int n; (n = in.read(buf)) >= 0; ) count += n;
                    DataOutputStream out = new DataOutputStream(s.out());
                    out.writeLong(count);
                    out.close();
                    Thread.sleep(200);  // let the answer leave before the connection closes
                } catch (Exception e) { e.printStackTrace(); }
            });
            OutputStream out = c.out();
            byte[] buf = new byte[CHUNK];
            long t0 = System.nanoTime();
            for (long sent = 0; sent < bytes; sent += CHUNK) out.write(buf);
            out.close();
            long got = new DataInputStream(c.in()).readLong();
            long t = System.nanoTime() - t0;
            if (got < bytes) throw new IOException("server counted " + got);
            sink.join();
            return t;
        }
    }

    static long transfer(String cand, long bytes) throws Exception {
        return cand.equals("tcp-gcm") ? TcpGcm.transfer(bytes) : quicTransfer(candidate(cand), bytes);
    }

    public static void main(String[] a) throws Exception {
        String cand = a[0];
        long bytes = Long.parseLong(a[1]), warm = Long.parseLong(a[2]);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var threads = ManagementFactory.getThreadMXBean();
        int baseThreads = threads.getThreadCount();
        if (warm > 0) transfer(cand, warm);   // JIT warm-up on a separate connection
        threads.resetPeakThreadCount();
        long cpu0 = os.getProcessCpuTime();
        long nanos = transfer(cand, bytes);
        long cpu = os.getProcessCpuTime() - cpu0;
        System.out.printf("RESULT %s %d %d %d %d%n", cand, bytes, nanos, cpu, threads.getPeakThreadCount() - baseThreads);
        System.exit(0);
    }
}
