package dev.tryst.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.PathKeys;
import dev.tryst.channel.SecureChannel;
import dev.tryst.channel.WrongCodeException;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.PeerPathWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Identity-keyed path proofs over real loopback sockets. */
@Timeout(30)
class PeerKeysTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Identity alice = Identity.generate();
    private final Identity bob = Identity.generate();
    private final Identity carol = Identity.generate();
    private final Bytes connection = key(1);
    private ServerSocketChannel listener;

    private static Bytes key(int seed) {
        byte[] k = new byte[33];
        k[0] = 2;
        Arrays.fill(k, 1, 33, (byte) seed);
        return Bytes.of(k);
    }

    @BeforeEach
    void listen() throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    /** A connected pair: [0] dialled, [1] accepted. */
    private SocketChannel[] pair() throws IOException {
        SocketChannel a = SocketChannel.open(listener.getLocalAddress());
        return new SocketChannel[] {a, listener.accept()};
    }

    private static Future<PathKeys.ProvenPath> proveAsync(PathKeys keys, SocketChannel io) {
        CompletableFuture<PathKeys.ProvenPath> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(keys.prove(io, RANDOM));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private static Throwable failure(Future<?> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
            throw new AssertionError("expected the proof to fail");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void bothProveSelectAndTalkBothWays() throws Exception {
        SocketChannel[] p = pair();
        var mine = PeerKeys.initiator(alice, bob.publicKey(), "bob", connection);
        var theirs = PeerKeys.responder(bob, alice.publicKey(), "alice", connection);
        Future<PathKeys.ProvenPath> r = proveAsync(theirs, p[1]);
        PathKeys.ProvenPath i = mine.prove(p[0], RANDOM);
        PathKeys.ProvenPath rp = r.get(20, TimeUnit.SECONDS);
        i.select(p[0]);
        rp.awaitSelect(p[1]);
        SecureChannel ci = i.channel(p[0]);
        SecureChannel cr = rp.channel(p[1]);
        ci.send("to bob".getBytes(StandardCharsets.UTF_8));
        cr.send("to alice".getBytes(StandardCharsets.UTF_8));
        assertEquals("to bob", text(cr.receive()));
        assertEquals("to alice", text(ci.receive()));
        assertArrayEquals(mine.punchKey(), theirs.punchKey());
        assertFalse(Arrays.equals(mine.punchKey(), PeerKeys.initiator(alice, bob.publicKey(), "bob", key(2)).punchKey()),
                "the punch key is the connection's, not only the two identities'");
    }

    @Test
    void aResponderTakesOnlyTheIdentityItExpected() throws Exception {
        SocketChannel[] p = pair();
        // the server told bob that carol asks; it is alice
        Future<PathKeys.ProvenPath> r = proveAsync(PeerKeys.responder(bob, carol.publicKey(), "carol", connection), p[1]);
        Future<PathKeys.ProvenPath> i = proveAsync(PeerKeys.initiator(alice, bob.publicKey(), "bob", connection), p[0]);
        Throwable rf = failure(r);
        assertTrue(rf instanceof WrongCodeException && rf.getMessage().contains("another identity than carol"), rf.toString());
        Throwable inf = failure(i);
        assertTrue(inf instanceof WrongCodeException && inf.getMessage().contains("bob did not prove"), inf.toString());
    }

    @Test
    void anImpostorResponderCannotReadTheProofNorAnswerIt() throws Exception {
        SocketChannel[] p = pair();
        // the server sent alice to carol's endpoint, telling carol that alice asks for her
        Future<PathKeys.ProvenPath> r = proveAsync(PeerKeys.responder(carol, alice.publicKey(), "alice", connection), p[1]);
        Future<PathKeys.ProvenPath> i = proveAsync(PeerKeys.initiator(alice, bob.publicKey(), "bob", connection), p[0]);
        assertTrue(failure(r) instanceof WrongCodeException);
        Throwable inf = failure(i);
        assertTrue(inf instanceof WrongCodeException, inf.toString());
    }

    @Test
    void anotherConnectionIdFails() throws Exception {
        SocketChannel[] p = pair();
        Future<PathKeys.ProvenPath> r = proveAsync(PeerKeys.responder(bob, alice.publicKey(), "alice", key(9)), p[1]);
        Future<PathKeys.ProvenPath> i = proveAsync(PeerKeys.initiator(alice, bob.publicKey(), "bob", connection), p[0]);
        assertTrue(failure(r) instanceof WrongCodeException);
        assertTrue(failure(i) instanceof WrongCodeException);
    }

    @Test
    void aReplayedFirstMessageNeverGetsChosen() throws Exception {
        // record alice's message 1 on one path
        SocketChannel[] first = pair();
        var aliceKeys = PeerKeys.initiator(alice, bob.publicKey(), "bob", connection);
        Future<PathKeys.ProvenPath> honest = proveAsync(aliceKeys, first[0]);
        byte[] m1 = Handshake.readFully(first[1], PeerPathWire.MESSAGE_1_LENGTH, "m1");
        first[1].close();
        failure(honest);
        // replay it to bob on another: bob answers, but the replayer cannot send a valid choice
        SocketChannel[] second = pair();
        Future<PathKeys.ProvenPath> r = proveAsync(PeerKeys.responder(bob, alice.publicKey(), "alice", connection), second[1]);
        Handshake.writeFully(second[0], m1);
        Handshake.readFully(second[0], PeerPathWire.MESSAGE_2_LENGTH, "m2");
        PathKeys.ProvenPath proven = r.get(20, TimeUnit.SECONDS);
        byte[] guess = new byte[PeerPathWire.SELECT_LENGTH];
        RANDOM.nextBytes(guess);
        Handshake.writeFully(second[0], guess);
        assertThrows(WrongCodeException.class, () -> proven.awaitSelect(second[1]));
    }

    @Test
    void twoPathsNeverShareKeys() throws Exception {
        var mine = PeerKeys.initiator(alice, bob.publicKey(), "bob", connection);
        var theirs = PeerKeys.responder(bob, alice.publicKey(), "alice", connection);
        byte[][] firstRecords = new byte[2][];
        for (int n = 0; n < 2; n++) {
            SocketChannel[] p = pair();
            Future<PathKeys.ProvenPath> r = proveAsync(theirs, p[1]);
            PathKeys.ProvenPath i = mine.prove(p[0], RANDOM);
            r.get(20, TimeUnit.SECONDS);
            i.select(p[0]);
            i.channel(p[0]).send(new byte[] {42});
            ByteBuffer b = ByteBuffer.allocate(1 + 3 + 1 + 16);
            while (b.hasRemaining()) {
                p[1].read(b);
            }
            firstRecords[n] = b.array();
        }
        assertFalse(Arrays.equals(firstRecords[0], firstRecords[1]), "the same record under the same keys twice");
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b).toString();
    }
}
