package dev.tryst.transfer;

import dev.tryst.wire.TransferWire;
import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.net.Watchdog;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The transfer protocol over a real loopback channel, with honest and with scripted malicious senders. */
@Timeout(30)
class StreamTransferTest {
    private static final byte[] PW = "1-zoom-zoom".getBytes();
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private SecureChannel sender;
    private SecureChannel receiver;
    private Session senderSession;
    private Session receiverSession;

    @BeforeEach
    void connect() throws Exception {
        connectChannelsOnly();
        sessions(Duration.ofSeconds(20), Duration.ofSeconds(20));
    }

    private void connectChannelsOnly() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            Future<SecureChannel> r = pool.submit(() -> Handshake.run(b, Handshake.Role.RESPONDER, PW, new SecureRandom()));
            sender = Handshake.run(a, Handshake.Role.INITIATOR, PW, new SecureRandom());
            receiver = r.get(10, TimeUnit.SECONDS);
        }
    }

    /** Starts over: a new channel pair, watched with these idle timeouts. */
    private void reconnect(Duration senderIdle, Duration receiverIdle) throws Exception {
        senderSession.close();
        receiverSession.close();
        connectChannelsOnly();
        sessions(senderIdle, receiverIdle);
    }

    private void sessions(Duration senderIdle, Duration receiverIdle) {
        senderSession = session(sender, senderIdle);
        receiverSession = session(receiver, receiverIdle);
    }

    private static Session session(SecureChannel ch, Duration idle) {
        return Session.start(ch, Watchdog.watch(ch, idle), idle, "loopback");
    }

    @AfterEach
    void close() throws IOException {
        senderSession.close();
        receiverSession.close();
        pool.shutdownNow();
    }

    @Test
    void streamOfUnknownLengthArrivesAndIsConfirmed() throws Exception {
        byte[] data = new byte[5_000_000];
        new Random(5).nextBytes(data);
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        long[] lastProgress = {0};
        long sent = StreamTransfer.send(senderSession, TransferWire.KIND_STREAM, new ByteArrayInputStream(data), -1, n -> lastProgress[0] = n);
        assertEquals(data.length, sent);
        assertEquals(data.length, lastProgress[0]);
        assertEquals(new StreamTransfer.Received(TransferWire.KIND_STREAM, data.length), got.get(10, TimeUnit.SECONDS));
        assertArrayEquals(data, out.toByteArray());
    }

    @Test
    void emptyTextArrives() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        assertEquals(0, StreamTransfer.send(senderSession, TransferWire.KIND_TEXT, new ByteArrayInputStream(new byte[0]), 0,
                StreamTransfer.Progress.NONE));
        assertEquals(0, got.get(10, TimeUnit.SECONDS).bytes());
    }

    /** A sender whose data does not match the hash it announces: rejected, and the sender hears why. */
    @Test
    void hashMismatchIsRejected() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        sender.send(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_STREAM, -1)));
        assertInstanceOf(TransferWire.Accept.class, TransferWire.decode(sender.receive()));
        sender.send(TransferWire.encode(new TransferWire.Data(ByteBuffer.wrap("abc".getBytes()))));
        sender.send(TransferWire.encode(new TransferWire.End(3, HexFormat.of().formatHex(sha256("abd".getBytes())))));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        var te = assertInstanceOf(TransferException.class, e.getCause());
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, te.reason());
        assertInstanceOf(TransferWire.Abort.class, TransferWire.decode(sender.receive()));
    }

    @Test
    void moreBytesThanOfferedAreRefused() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        // a stream (written as it arrives, unlike text, which waits for END): without the check "abc" would be out
        sender.send(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_STREAM, 2)));
        TransferWire.decode(sender.receive());
        sender.send(TransferWire.encode(new TransferWire.Data(ByteBuffer.wrap("abc".getBytes()))));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, ((TransferException) e.getCause()).reason());
        assertEquals(0, out.size(), "nothing past the offered size is written");
    }

    @Test
    void fewerBytesThanOfferedAreRefused() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        sender.send(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_TEXT, 10)));
        TransferWire.decode(sender.receive());
        sender.send(TransferWire.encode(new TransferWire.Data(ByteBuffer.wrap("abc".getBytes()))));
        sender.send(TransferWire.encode(new TransferWire.End(3, HexFormat.of().formatHex(sha256("abc".getBytes())))));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, ((TransferException) e.getCause()).reason());
    }

    @Test
    void senderVanishingIsACutNotSuccess() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        sender.send(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_STREAM, -1)));
        TransferWire.decode(sender.receive());
        sender.send(TransferWire.encode(new TransferWire.Data(ByteBuffer.wrap("abc".getBytes()))));
        sender.close();
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ChannelCutException.class, e.getCause());
    }

    @Test
    void declineReachesTheSender() throws Exception {
        pool.submit(() -> {
            TransferWire.decode(receiver.receive());
            receiver.send(TransferWire.encode(new TransferWire.Decline("no thanks\u001b[2J")));
            return null;
        });
        var e = assertThrows(TransferException.class, () -> StreamTransfer.send(senderSession, TransferWire.KIND_TEXT,
                new ByteArrayInputStream("x".getBytes()), 1, StreamTransfer.Progress.NONE));
        assertEquals(TransferException.Reason.DECLINED, e.reason());
        assertEquals("the receiver declined: no thanks?[2J", e.getMessage(), "control characters are neutralised");
    }

    @Test
    void wireRoundTripAndMalformedMessages() throws Exception {
        for (var m : new TransferWire.Message[] {new TransferWire.Offer(TransferWire.KIND_STREAM, -1),
                new TransferWire.Offer(TransferWire.KIND_TEXT, 5), new TransferWire.Accept(),
                new TransferWire.Decline("why"), new TransferWire.Done(), new TransferWire.Abort("stop"),
                new TransferWire.End(1L << 40, "ab".repeat(32))}) {
            assertEquals(m, TransferWire.decode(ByteBuffer.wrap(TransferWire.encode(m))));
        }
        assertEquals("0100ffffffffffffffff".replace("0100", "0102"),
                HexFormat.of().formatHex(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_STREAM, -1))));
        byte[][] bad = {{}, {0x01, 1}, {0x01, 9, 0, 0, 0, 0, 0, 0, 0, 0}, {0x02, 0}, {0x10}, {0x11, 0}, {0x20, 1}, {0x55},
                {0x01, 1, 0, 0, 0, 0, 0x7f, 0, 0, 0}};
        for (byte[] b : bad) {
            assertThrows(dev.tryst.wire.WireException.class, () -> TransferWire.decode(ByteBuffer.wrap(b)), HexFormat.of().formatHex(b));
        }
        byte[] longReason = new byte[TransferWire.MAX_REASON + 2];
        longReason[0] = TransferWire.ABORT;
        assertThrows(dev.tryst.wire.WireException.class, () -> TransferWire.decode(ByteBuffer.wrap(longReason)));
    }

    /** Text is held until it verifies: a sender cut off mid-text leaves nothing written. */
    @Test
    void unverifiedTextIsNeverWritten() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        sender.send(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_TEXT, 6)));
        TransferWire.decode(sender.receive());
        sender.send(TransferWire.encode(new TransferWire.Data(ByteBuffer.wrap("abc".getBytes()))));
        sender.close();
        assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        assertEquals(0, out.size());
    }

    /** The receiver's ABORT mid-stream reaches the sender, which reports the receiver's reason. */
    @Test
    void receiverAbortMidStreamIsHeardBySender() throws Exception {
        OutputStream failing = new OutputStream() {
            long n;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                n += len;
                if (n > 1_000_000) {
                    throw new IOException("No space left on device");
                }
            }
        };
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, failing, StreamTransfer.Progress.NONE));
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }
        };
        var e = assertThrows(TransferException.class, () -> StreamTransfer.send(senderSession, TransferWire.KIND_STREAM,
                endless, -1, StreamTransfer.Progress.NONE));
        assertEquals(TransferException.Reason.ABORTED_BY_PEER, e.reason());
        assertTrue(e.getMessage().contains("could not write the output: No space left on device"), e.getMessage());
        var r = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        assertInstanceOf(LocalIoException.class, r.getCause());
    }

    /**
     * A slow local input (longer than the idle timeout) is not the peer's silence: keepalives flow
     * and the transfer completes; the same for a slow local output.
     */
    @Test
    @Timeout(180)
    void slowLocalInputAndOutputDoNotTimeOut() throws Exception {
        // Both sides' silence is measured on a clock the test moves: each slow read or write lets
        // twice the idle timeout pass, in steps of half of it. The slow side's own watchdog is
        // paused (its slowness is not its peer's silence); the peer, still reading, must be kept
        // alive by the slow side's keep-alives: after each step the test waits for one to arrive,
        // however late the loaded machine delivers it, and a missing one fails the wait.
        senderSession.close();
        receiverSession.close();
        connectChannelsOnly();
        var clock = new dev.tryst.net.FakeTicker();
        Duration idle = Duration.ofMillis(600);
        senderSession = Session.start(sender, Watchdog.watch(sender, idle, clock), idle, "loopback");
        receiverSession = Session.start(receiver, Watchdog.watch(receiver, idle, clock), idle, "loopback");
        java.util.function.Consumer<Session> slowly = peer -> {
            for (int step = 0; step < 4; step++) {
                clock.advance(idle.dividedBy(2));
                dev.tryst.net.Await.until("a keep-alive reaching the peer", Duration.ofSeconds(20),
                        () -> peer.watchdog().silence().compareTo(idle.dividedBy(2)) < 0);
            }
        };
        InputStream slow = new InputStream() {
            int calls;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (calls++ >= 3) {
                    return -1;
                }
                slowly.accept(receiverSession);
                b[off] = (byte) calls;
                return 1;
            }
        };
        var out = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                slowly.accept(senderSession);
                super.write(b, off, len);
            }
        };
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiverSession, out, StreamTransfer.Progress.NONE));
        assertEquals(3, StreamTransfer.send(senderSession, TransferWire.KIND_STREAM, slow, -1, StreamTransfer.Progress.NONE));
        assertEquals(3, got.get(60, TimeUnit.SECONDS).bytes());
        assertArrayEquals(new byte[] {1, 2, 3}, out.toByteArray());
        assertFalse(senderSession.timedOut() || receiverSession.timedOut());
    }

    /** A peer that goes silent is cut at the idle timeout, on the receiver's clock, and the session says so. */
    @Test
    void silentPeerIsCutAtTheIdleTimeout() throws Exception {
        senderSession.close();
        receiverSession.close();
        connectChannelsOnly();
        var clock = new dev.tryst.net.FakeTicker();
        Duration idle = Duration.ofSeconds(60);
        senderSession = session(sender, Duration.ofSeconds(60));
        receiverSession = Session.start(receiver, Watchdog.watch(receiver, idle, clock), idle, "loopback");
        senderSession.watchdog().close(); // the sender stops keeping the session alive: a silent peer
        Future<?> read = pool.submit(() -> receiver.receive());
        clock.advance(idle.minusMillis(1));
        assertThrows(java.util.concurrent.TimeoutException.class, () -> read.get(300, TimeUnit.MILLISECONDS),
                "still waiting just before the idle timeout");
        assertFalse(receiverSession.timedOut());
        clock.advance(Duration.ofMillis(2));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> read.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ChannelCutException.class, e.getCause());
        assertTrue(receiverSession.timedOut());
    }

    /** Bytes that never make an authenticated record are not a sign of life. */
    @Test
    void trickledJunkDoesNotKeepTheSessionAlive() throws Exception {
        reconnect(Duration.ofSeconds(30), Duration.ofMillis(500));
        senderSession.watchdog().close();
        SocketChannel raw = (SocketChannel) sender.transport();
        pool.submit(() -> {
            byte[] header = {0x01, 0x01, 0x00, 0x10};
            for (int i = 0; i < 200 && raw.isOpen(); i++) {
                raw.write(ByteBuffer.wrap(new byte[] {header[Math.min(i, 3)]}));
                Thread.sleep(100);
            }
            return null;
        });
        long t0 = System.nanoTime();
        assertThrows(ChannelCutException.class, receiver::receive);
        assertTrue(receiverSession.timedOut());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "cut at the idle timeout, not kept alive");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
