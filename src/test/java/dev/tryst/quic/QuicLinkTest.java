package dev.tryst.quic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.PathKeys;
import dev.tryst.channel.WrongCodeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.DatagramChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** QUIC links on real UDP sockets on loopback; the hostile cases go through a mangling UDP proxy. */
@Timeout(120)
class QuicLinkTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Generous: a cold JVM on a loaded machine loads the native library and JITs the codec meanwhile. */
    private static final Duration OPEN = Duration.ofSeconds(60);
    private final SecureRandom random = new SecureRandom();

    private static DatagramChannel socket() throws IOException {
        return DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
    }

    private static InetSocketAddress at(DatagramChannel c) throws IOException {
        return (InetSocketAddress) c.getLocalAddress();
    }

    /**
     * A client and a server link; {@code clientSeesServerAt}/{@code serverSeesClientAt} differ when a
     * proxy stands between. The server sees the stream once the client's first byte arrives (as the
     * initiator's path proof does it in tryst), so the client writes one, which the server reads.
     */
    private QuicLink[] open(DatagramChannel client, InetSocketAddress clientSeesServerAt, DatagramChannel server,
                            InetSocketAddress serverSeesClientAt) throws Exception {
        CompletableFuture<QuicLink> s = CompletableFuture.supplyAsync(() -> {
            try {
                QuicLink l = QuicLink.open(server, serverSeesClientAt, false, OPEN, random);
                assertEquals(1, readExactly(l, 1)[0]);
                return l;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        QuicLink c = QuicLink.open(client, clientSeesServerAt, true, OPEN, random);
        write(c, new byte[] {1});
        return new QuicLink[] {c, s.get(OPEN.toSeconds(), TimeUnit.SECONDS)};
    }

    @Test
    void carriesBytesBothWaysAndBothEndsBindTheSameCertificates() throws Exception {
        DatagramChannel a = socket();
        DatagramChannel b = socket();
        QuicLink[] l = open(a, at(b), b, at(a));
        try {
            assertArrayEquals(l[0].binding(), l[1].binding(), "both ends saw the same two certificates");
            assertEquals(32, l[0].binding().length);
            exchange(l[0], l[1], 8 << 20, 1 << 20);
        } finally {
            l[0].close();
            l[1].close();
        }
        assertFalse(a.isOpen(), "the socket is the link's and closed with it");
    }

    @Test
    void theLastBytesWrittenBeforeCloseArrive() throws Exception {
        DatagramChannel a = socket();
        DatagramChannel b = socket();
        QuicLink[] l = open(a, at(b), b, at(a));
        byte[] last = new byte[200_000];
        random.nextBytes(last);
        CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> readAll(l[1]));
        write(l[0], last);
        l[0].close(); // at once: QUIC would drop what is unsent if close did not wait for the peer
        assertArrayEquals(last, got.get(60, TimeUnit.SECONDS));
        l[1].close();
    }

    @Test
    void proofsPassOnlyWithTheSameBinding() throws Exception {
        Handshake.Agreed[] keys = agree();
        DatagramChannel a = socket();
        DatagramChannel b = socket();
        QuicLink[] l = open(a, at(b), b, at(a));
        try {
            CompletableFuture<PathKeys.ProvenPath> r = CompletableFuture.supplyAsync(() -> {
                try {
                    return keys[1].prove(l[1], random, l[1].binding());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            keys[0].prove(l[0], random, l[0].binding());
            r.get(60, TimeUnit.SECONDS);
        } finally {
            l[0].close();
            l[1].close();
        }
        // a man in the middle of the UDP path shows each end its own certificate: the bindings differ
        DatagramChannel c = socket();
        DatagramChannel d = socket();
        QuicLink[] m = open(c, at(d), d, at(c));
        try {
            byte[] other = m[1].binding();
            other[0] ^= 1;
            CompletableFuture<Void> r = CompletableFuture.runAsync(() -> {
                try {
                    keys[1].prove(m[1], random, other);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThrows(WrongCodeException.class, () -> keys[0].prove(m[0], random, m[0].binding()));
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> r.get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause().getCause() instanceof WrongCodeException, e.toString());
        } finally {
            m[0].close();
            m[1].close();
        }
    }

    /**
     * Every datagram between the two ends passes a proxy that sends it twice, sends an old one again
     * now and then (a replay), sends a copy back to where it came from (a reflection) and slips in
     * random bytes from the peer's address (forgeries); a stranger's socket sprays the server too.
     * None of it reaches the stream: the bytes arrive whole and in order, once.
     */
    @Test
    void forgedReplayedAndReflectedDatagramsChangeNothing() throws Exception {
        DatagramChannel a = socket();
        DatagramChannel b = socket();
        try (Mangler proxy = new Mangler(at(a), at(b)); DatagramChannel stranger = socket()) {
            long droppedBefore = QuicLink.OnlyFrom.DROPPED.get();
            QuicLink[] l = open(a, proxy.towardsServer(), b, proxy.towardsClient());
            Thread spray = Thread.ofVirtual().start(() -> {
                byte[] junk = new byte[1200];
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        random.nextBytes(junk);
                        junk[0] = (byte) 0x40; // a short-header QUIC packet, as far as looks go
                        stranger.send(ByteBuffer.wrap(junk), at(b));
                        Thread.sleep(1);
                    }
                } catch (IOException | InterruptedException e) {
                    // done
                }
            });
            try {
                exchange(l[0], l[1], 4 << 20, 256 << 10);
            } finally {
                spray.interrupt();
                l[0].close();
                l[1].close();
            }
            assertTrue(proxy.replayed.get() > 0 && proxy.reflected.get() > 0 && proxy.forged.get() > 0,
                    "the proxy meddled: " + proxy.replayed + " replayed, " + proxy.reflected + " reflected, " + proxy.forged + " forged");
            assertTrue(QuicLink.OnlyFrom.DROPPED.get() > droppedBefore, "the stranger's datagrams were dropped before QUIC");
        }
    }

    private static Handshake.Agreed[] agree() throws Exception {
        SecureRandom r = new SecureRandom();
        Handshake.Start i = Handshake.start(Handshake.Role.INITIATOR, "7-crossbow-lemon".getBytes(), r);
        Handshake.Start j = Handshake.start(Handshake.Role.RESPONDER, "7-crossbow-lemon".getBytes(), r);
        return new Handshake.Agreed[] {Handshake.agree(i, j.hello()), Handshake.agree(j, i.hello())};
    }

    /** {@code up} bytes from a to b and {@code down} from b to a at once; each side checks the digest of what it got. */
    private void exchange(QuicLink a, QuicLink b, int up, int down) throws Exception {
        byte[] x = new byte[up];
        byte[] y = new byte[down];
        random.nextBytes(x);
        random.nextBytes(y);
        CompletableFuture<byte[]> atB = CompletableFuture.supplyAsync(() -> readExactly(b, up));
        CompletableFuture<byte[]> atA = CompletableFuture.supplyAsync(() -> readExactly(a, down));
        CompletableFuture<Void> fromB = CompletableFuture.runAsync(() -> write(b, y));
        write(a, x);
        fromB.get(90, TimeUnit.SECONDS);
        assertArrayEquals(sha(x), sha(atB.get(90, TimeUnit.SECONDS)));
        assertArrayEquals(sha(y), sha(atA.get(90, TimeUnit.SECONDS)));
    }

    private static void write(ByteChannel c, byte[] data) {
        try {
            for (int off = 0; off < data.length; off += 16384) {
                c.write(ByteBuffer.wrap(data, off, Math.min(16384, data.length - off)));
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static byte[] readExactly(ByteChannel c, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        try {
            while (b.hasRemaining()) {
                if (c.read(b) < 0) {
                    throw new IOException("EOF after " + b.position() + " of " + n);
                }
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return b.array();
    }

    private static byte[] readAll(ByteChannel c) {
        var out = new java.io.ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(65536);
        try {
            while (c.read(b.clear()) >= 0) {
                out.write(b.array(), 0, b.position());
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return out.toByteArray();
    }

    private static byte[] sha(byte[] d) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(d);
    }

    /** A UDP proxy between a client and a server that meddles with what passes. */
    private static final class Mangler implements AutoCloseable {
        private final DatagramChannel facingClient = socket();
        private final DatagramChannel facingServer = socket();
        private final InetSocketAddress client;
        private final InetSocketAddress server;
        private final List<Thread> threads = new ArrayList<>();
        final AtomicLong replayed = new AtomicLong();
        final AtomicLong reflected = new AtomicLong();
        final AtomicLong forged = new AtomicLong();

        Mangler(InetSocketAddress client, InetSocketAddress server) throws IOException {
            this.client = client;
            this.server = server;
            threads.add(Thread.ofVirtual().start(() -> pump(facingClient, facingServer, server, client)));
            threads.add(Thread.ofVirtual().start(() -> pump(facingServer, facingClient, client, server)));
        }

        InetSocketAddress towardsServer() throws IOException {
            return at(facingClient);
        }

        InetSocketAddress towardsClient() throws IOException {
            return at(facingServer);
        }

        /** From {@code in} (where {@code source} sends) out of {@code out} to {@code to}, meddling. */
        private void pump(DatagramChannel in, DatagramChannel out, InetSocketAddress to, InetSocketAddress source) {
            SecureRandom r = new SecureRandom();
            List<byte[]> old = new ArrayList<>();
            ByteBuffer buf = ByteBuffer.allocate(2048);
            long n = 0;
            try {
                while (true) {
                    buf.clear();
                    SocketAddress from = in.receive(buf);
                    if (!source.equals(from)) {
                        continue;
                    }
                    buf.flip();
                    byte[] d = new byte[buf.remaining()];
                    buf.get(d);
                    out.send(ByteBuffer.wrap(d), to);
                    out.send(ByteBuffer.wrap(d), to); // every datagram twice
                    if (old.size() < 256) {
                        old.add(d);
                    }
                    if (++n % 7 == 0) {
                        out.send(ByteBuffer.wrap(old.get(r.nextInt(old.size()))), to); // an old one again
                        replayed.incrementAndGet();
                    }
                    if (n % 11 == 0) {
                        in.send(ByteBuffer.wrap(d), source); // back where it came from, as if from the other end
                        reflected.incrementAndGet();
                    }
                    if (n % 13 == 0) {
                        byte[] junk = new byte[d.length];
                        r.nextBytes(junk);
                        junk[0] = d[0]; // the same header form
                        out.send(ByteBuffer.wrap(junk), to);
                        forged.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        @Override
        public void close() throws IOException {
            facingClient.close();
            facingServer.close();
            for (Thread t : threads) {
                t.interrupt();
            }
        }
    }
}
