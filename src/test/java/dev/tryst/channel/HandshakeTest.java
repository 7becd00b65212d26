package dev.tryst.channel;

import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.channel.Handshake.Role;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class HandshakeTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private ServerSocketChannel server;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void listen() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }

    private SocketChannel[] pair() throws IOException {
        SocketChannel a = SocketChannel.open(server.getLocalAddress());
        SocketChannel b = server.accept();
        return new SocketChannel[] {a, b};
    }

    private static byte[] pw(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sameCodeGivesAWorkingChannelBothWays() throws Exception {
        SocketChannel[] p = pair();
        Future<SecureChannel> responder = pool.submit(() -> Handshake.run(p[1], Role.RESPONDER, pw("1-a-b"), RANDOM));
        try (SecureChannel a = Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM);
             SecureChannel b = responder.get(10, TimeUnit.SECONDS)) {
            a.send(pw("ping"));
            assertEquals(ByteBuffer.wrap(pw("ping")), b.receive());
            b.send(pw("pong"));
            assertEquals(ByteBuffer.wrap(pw("pong")), a.receive());
            a.shutdownOutput();
            assertNull(b.receive());
            b.shutdownOutput();
            assertNull(a.receive());
        }
    }

    @Test
    void wrongCodeFailsConfirmationOnBothSides() throws Exception {
        SocketChannel[] p = pair();
        Future<SecureChannel> responder = pool.submit(() -> Handshake.run(p[1], Role.RESPONDER, pw("1-a-c"), RANDOM));
        assertThrows(WrongCodeException.class, () -> Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM));
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> responder.get(10, TimeUnit.SECONDS));
        assertInstanceOf(WrongCodeException.class, e.getCause());
        assertEquals("the codes did not match", e.getCause().getMessage());
        p[0].close();
        p[1].close();
    }

    @Test
    void sameRoleOnBothSidesIsRefusedBeforeAnyConfirmation() throws Exception {
        SocketChannel[] p = pair();
        Future<SecureChannel> other = pool.submit(() -> Handshake.run(p[1], Role.INITIATOR, pw("1-a-b"), RANDOM));
        var e = assertThrows(ChannelException.class, () -> Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM));
        assertTrue(e.getMessage().contains("also sending"), e.getMessage());
        assertThrows(Exception.class, () -> other.get(10, TimeUnit.SECONDS));
        p[0].close();
        p[1].close();
    }

    /** A path that sends everything back; with {@code flipRole} it also flips HELLO's role byte. */
    private void echo(SocketChannel ch, boolean flipRole) {
        pool.submit(() -> {
            ByteBuffer b = ByteBuffer.allocate(4096);
            boolean first = true;
            while (ch.read(b) > 0) {
                b.flip();
                if (flipRole && first && b.remaining() >= Handshake.HELLO_LENGTH) {
                    b.put(5, (byte) (b.get(5) == 1 ? 2 : 1));
                    first = false;
                }
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                b.clear();
            }
            return null;
        });
    }

    /** A peer that echoes everything back, with the role byte flipped so the role check alone cannot catch it. */
    @Test
    void anEchoingPeerFails() throws Exception {
        SocketChannel[] p = pair();
        echo(p[1], true);
        var e = assertThrows(ChannelException.class, () -> Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM));
        assertFalse(e instanceof ChannelCutException, e.toString());
        p[0].close();
        p[1].close();
    }

    @Test
    void aReflectingPathIsNamedAsSuch() throws Exception {
        SocketChannel[] p = pair();
        echo(p[1], false);
        var e = assertThrows(ChannelException.class, () -> Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM));
        assertTrue(e.getMessage().contains("reflects"), e.getMessage());
        p[0].close();
        p[1].close();
    }

    @Test
    void notATrystPeer() throws Exception {
        SocketChannel[] p = pair();
        p[1].write(ByteBuffer.wrap(("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + "x".repeat(20)).getBytes(StandardCharsets.US_ASCII)));
        var e = assertThrows(ChannelException.class, () -> Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM));
        assertTrue(e.getMessage().contains("not a tryst peer"), e.getMessage());
        p[0].close();
        p[1].close();
    }

    @Test
    void peerHangingUpMidHandshakeIsACut() throws Exception {
        SocketChannel[] p = pair();
        p[1].write(ByteBuffer.wrap(new byte[] {'T', 'R', 'Y'}));
        p[1].close();
        assertThrows(ChannelCutException.class, () -> Handshake.run(p[0], Role.INITIATOR, pw("1-a-b"), RANDOM));
        p[0].close();
    }

    /** RFC 5869 appendix A.1. */
    @Test
    void hkdfMatchesRfc5869() {
        HexFormat h = HexFormat.of();
        byte[] ikm = h.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = h.parseHex("000102030405060708090a0b0c");
        byte[] info = h.parseHex("f0f1f2f3f4f5f6f7f8f9");
        byte[] prk = Hkdf.extract(salt, ikm);
        assertEquals("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", h.formatHex(prk));
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
                h.formatHex(Hkdf.expand(prk, info, 42)));
    }

    /**
     * The confirmation through a rendezvous room: each side's passes the other's check only with
     * the same code; a side's own value echoed back, a REJECT and the relay-mode CONFIRM never do.
     */
    @Test
    void roomConfirmationsAreRoleBoundAndApartFromTheOtherConfirmations() throws Exception {
        Handshake.Agreed[] same = agreed("42-a-b", "42-a-b");
        Handshake.Agreed[] other = agreed("42-a-b", "42-a-c");
        Handshake.Agreed[] relayMode = agreed("42-a-b", "42-a-b");
        Handshake.Agreed ai = same[0];
        Handshake.Agreed ar = same[1];
        assertEquals(dev.tryst.wire.MeetingWire.CONFIRM_LENGTH, ar.roomConfirmation().length);
        assertTrue(ai.confirmsRoom(ar.roomConfirmation()));
        assertTrue(ar.confirmsRoom(ai.roomConfirmation()));
        assertFalse(ai.confirmsRoom(ai.roomConfirmation()), "our own, echoed");
        assertFalse(other[0].confirmsRoom(other[1].roomConfirmation()), "another code");
        assertFalse(other[1].confirmsRoom(other[0].roomConfirmation()), "another code");
        assertFalse(ar.confirmsRoom(dev.tryst.wire.MeetingWire.reject()), "REJECT");
        assertFalse(ar.confirmsRoom(java.util.Arrays.copyOf(ai.roomConfirmation(), 31)), "a shorter value");
        // the initiator's relay-mode CONFIRM (same code) is not a room confirmation
        SocketChannel[] p = pair();
        Future<byte[]> theirs = pool.submit(() -> Handshake.readFully(p[1], Handshake.CONFIRM_LENGTH, "its confirmation"));
        pool.submit(() -> {
            Handshake.writeFully(p[1], new byte[Handshake.CONFIRM_LENGTH]);
            return null;
        });
        assertThrows(WrongCodeException.class, () -> Handshake.confirm(p[0], relayMode[0]));
        assertFalse(relayMode[1].confirmsRoom(theirs.get(10, TimeUnit.SECONDS)), "the relay-mode CONFIRM");
        p[0].close();
        p[1].close();
        for (Handshake.Agreed a : new Handshake.Agreed[] {same[0], same[1], other[0], other[1], relayMode[1]}) {
            a.close();
        }
    }

    /** {initiator's, responder's} agreement for the codes each typed. */
    private static Handshake.Agreed[] agreed(String initiator, String responder) throws ChannelException {
        Handshake.Start i = Handshake.start(Role.INITIATOR, pw(initiator), RANDOM);
        Handshake.Start r = Handshake.start(Role.RESPONDER, pw(responder), RANDOM);
        return new Handshake.Agreed[] {Handshake.agree(i, r.hello()), Handshake.agree(r, i.hello())};
    }
}
