package dev.tryst.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.ChannelException;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
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

    @BeforeEach
    void connect() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            Future<SecureChannel> r = pool.submit(() -> Handshake.run(b, Handshake.Role.RESPONDER, PW, new SecureRandom()));
            sender = Handshake.run(a, Handshake.Role.INITIATOR, PW, new SecureRandom());
            receiver = r.get(10, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void close() throws IOException {
        sender.close();
        receiver.close();
        pool.shutdownNow();
    }

    @Test
    void streamOfUnknownLengthArrivesAndIsConfirmed() throws Exception {
        byte[] data = new byte[5_000_000];
        new Random(5).nextBytes(data);
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiver, out, StreamTransfer.Progress.NONE));
        long[] lastProgress = {0};
        long sent = StreamTransfer.send(sender, TransferWire.KIND_STREAM, new ByteArrayInputStream(data), -1, n -> lastProgress[0] = n);
        assertEquals(data.length, sent);
        assertEquals(data.length, lastProgress[0]);
        assertEquals(new StreamTransfer.Received(TransferWire.KIND_STREAM, data.length), got.get(10, TimeUnit.SECONDS));
        assertArrayEquals(data, out.toByteArray());
    }

    @Test
    void emptyTextArrives() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiver, out, StreamTransfer.Progress.NONE));
        assertEquals(0, StreamTransfer.send(sender, TransferWire.KIND_TEXT, new ByteArrayInputStream(new byte[0]), 0,
                StreamTransfer.Progress.NONE));
        assertEquals(0, got.get(10, TimeUnit.SECONDS).bytes());
    }

    /** A sender whose data does not match the hash it announces: rejected, and the sender hears why. */
    @Test
    void hashMismatchIsRejected() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiver, out, StreamTransfer.Progress.NONE));
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
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiver, out, StreamTransfer.Progress.NONE));
        sender.send(TransferWire.encode(new TransferWire.Offer(TransferWire.KIND_TEXT, 2)));
        TransferWire.decode(sender.receive());
        sender.send(TransferWire.encode(new TransferWire.Data(ByteBuffer.wrap("abc".getBytes()))));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, ((TransferException) e.getCause()).reason());
        assertEquals(0, out.size(), "nothing past the offered size is written");
    }

    @Test
    void fewerBytesThanOfferedAreRefused() throws Exception {
        var out = new ByteArrayOutputStream();
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiver, out, StreamTransfer.Progress.NONE));
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
        Future<StreamTransfer.Received> got = pool.submit(() -> StreamTransfer.receive(receiver, out, StreamTransfer.Progress.NONE));
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
        var e = assertThrows(TransferException.class, () -> StreamTransfer.send(sender, TransferWire.KIND_TEXT,
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
            assertThrows(ChannelException.class, () -> TransferWire.decode(ByteBuffer.wrap(b)), HexFormat.of().formatHex(b));
        }
        byte[] longReason = new byte[TransferWire.MAX_REASON + 2];
        longReason[0] = TransferWire.ABORT;
        assertThrows(ChannelException.class, () -> TransferWire.decode(ByteBuffer.wrap(longReason)));
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
