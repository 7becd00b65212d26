package dev.tryst.stun;

import static dev.tryst.wire.StunWire.*;

import dev.tryst.server.SourceRateLimiter;

import dev.tryst.wire.StunWireTest;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class StunServerTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final int RECEIVE_MILLIS = 2_000;
    /** Long enough that a dropped request would have been answered by now on loopback. */
    static final int SILENCE_MILLIS = 300;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    static StunConfig testConfig() {
        return StunConfig.defaults().withBind(new InetSocketAddress(LOOPBACK, 0));
    }

    StunServer server(StunConfig config) throws IOException {
        StunServer s = StunServer.start(config);
        toClose.add(s);
        return s;
    }

    DatagramSocket client() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        s.setSoTimeout(RECEIVE_MILLIS);
        toClose.add(s);
        return s;
    }

    static byte[] txid(Random rnd) {
        byte[] t = new byte[TRANSACTION_ID_LENGTH];
        rnd.nextBytes(t);
        return t;
    }

    /** A comprehension-optional attribute to make a request big enough for its answer. */
    static Attribute padding(int bytes) {
        return new Attribute(0x8050, new byte[bytes]);
    }

    static void send(DatagramSocket s, byte[] b, InetSocketAddress to) throws IOException {
        s.send(new DatagramPacket(b, b.length, to));
    }

    static DatagramPacket receive(DatagramSocket s) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        s.receive(p);
        return p;
    }

    static Message receiveMessage(DatagramSocket s) throws Exception {
        DatagramPacket p = receive(s);
        return decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
    }

    static void assertSilent(DatagramSocket s) throws IOException {
        int old = s.getSoTimeout();
        s.setSoTimeout(SILENCE_MILLIS);
        try {
            DatagramPacket p = receive(s);
            fail("expected no answer, got " + p.getLength() + " bytes");
        } catch (SocketTimeoutException expected) {
            // good
        } finally {
            s.setSoTimeout(old);
        }
    }

    @Test
    void aSecondServerOnTheSamePortIsToldItIsTaken() throws Exception {
        try (StunServer first = StunServer.start(testConfig())) {
            assertThrows(java.net.BindException.class, () -> StunServer.start(testConfig().withBind(first.address())).close());
        }
    }

    @Test
    void bindingRequestGetsItsOwnAddressBack() throws Exception {
        StunServer server = server(testConfig());
        DatagramSocket c = client();
        byte[] id = txid(new Random(1));
        byte[] req = encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, id, List.of(padding(48))), true);
        send(c, req, server.address());
        DatagramPacket p = receive(c);
        assertEquals(server.address(), p.getSocketAddress());
        assertTrue(p.getLength() <= req.length);
        Message resp = decode(java.util.Arrays.copyOf(p.getData(), p.getLength())); // checks FINGERPRINT
        assertEquals(BINDING_SUCCESS, resp.type());
        assertEquals(MAGIC_COOKIE, resp.cookie());
        assertArrayEquals(id, resp.transactionId());
        assertNotNull(resp.first(FINGERPRINT));
        assertEquals("tryst", new String(resp.first(SOFTWARE).value(), StandardCharsets.UTF_8));
        assertNull(resp.first(MAPPED_ADDRESS));
        assertNull(resp.first(OTHER_ADDRESS));
        assertEquals(c.getLocalSocketAddress(),
                decodeXorAddress(resp.first(XOR_MAPPED_ADDRESS).value(), resp.cookie(), resp.transactionId()));
        StunStats st = server.stats();
        assertEquals(1, st.requests());
        assertEquals(1, st.responses());
        assertEquals(0, st.droppedTotal());
    }

    @Test
    void ipv6LoopbackIsXoredWithTheTransactionId() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        StunServer server;
        DatagramSocket c;
        try {
            server = server(testConfig().withBind(new InetSocketAddress(v6, 0)));
            c = new DatagramSocket(new InetSocketAddress(v6, 0));
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback: " + e);
            return;
        }
        toClose.add(c);
        c.setSoTimeout(RECEIVE_MILLIS);
        byte[] id = txid(new Random(2));
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, id, List.of(padding(64))), true), server.address());
        Message resp = receiveMessage(c);
        InetSocketAddress mapped = decodeXorAddress(resp.first(XOR_MAPPED_ADDRESS).value(), resp.cookie(), resp.transactionId());
        assertEquals(c.getLocalSocketAddress(), mapped);
        assertEquals(FAMILY_IPV6, resp.first(XOR_MAPPED_ADDRESS).value()[1]);
    }

    @Test
    void classicClientWithoutMagicCookieGetsMappedAddress() throws Exception {
        StunServer server = server(testConfig());
        DatagramSocket c = client();
        byte[] id = txid(new Random(3));
        int cookie = 0x0BADF00D;
        send(c, encode(new Message(BINDING_REQUEST, cookie, id, List.of(padding(32))), false), server.address());
        Message resp = receiveMessage(c);
        assertEquals(BINDING_SUCCESS, resp.type());
        assertEquals(cookie, resp.cookie(), "the 128-bit transaction id is echoed whole");
        assertArrayEquals(id, resp.transactionId());
        assertEquals(c.getLocalSocketAddress(), decodeAddress(resp.first(MAPPED_ADDRESS).value()));
        assertNull(resp.first(XOR_MAPPED_ADDRESS), "an RFC 3489 client would reject it");
    }

    @Test
    void unknownComprehensionRequiredAttributeGets420() throws Exception {
        StunServer server = server(testConfig());
        DatagramSocket c = client();
        byte[] id = txid(new Random(4));
        List<Attribute> attrs = List.of(new Attribute(0x7777, new byte[3]), new Attribute(0x8777, new byte[5]),
                new Attribute(0x7777, new byte[1]), new Attribute(0x0042, new byte[0]), padding(40));
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, id, attrs), true), server.address());
        Message resp = receiveMessage(c);
        assertEquals(BINDING_ERROR, resp.type());
        assertArrayEquals(id, resp.transactionId());
        assertEquals(420, decodeErrorCode(resp.first(ERROR_CODE).value()));
        assertArrayEquals(new int[] {0x7777, 0x0042}, decodeUnknownAttributes(resp.first(UNKNOWN_ATTRIBUTES).value()));
        assertEquals(1, server.stats().errorResponses());
    }

    @Test
    void unknownComprehensionOptionalAttributeIsIgnored() throws Exception {
        StunServer server = server(testConfig());
        DatagramSocket c = client();
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(new Random(5)),
                List.of(new Attribute(0x8777, new byte[40]))), true), server.address());
        assertEquals(BINDING_SUCCESS, receiveMessage(c).type());
    }

    @Test
    void changeRequestWithoutAlternateAddressGets420() throws Exception {
        StunServer server = server(testConfig());
        DatagramSocket c = client();
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(new Random(6)),
                List.of(new Attribute(CHANGE_REQUEST, changeRequestValue(0)), padding(40))), true), server.address());
        Message resp = receiveMessage(c);
        assertEquals(420, decodeErrorCode(resp.first(ERROR_CODE).value()));
        assertArrayEquals(new int[] {CHANGE_REQUEST}, decodeUnknownAttributes(resp.first(UNKNOWN_ATTRIBUTES).value()));
    }

    @Test
    void responseIsNeverLargerThanTheRequest() throws Exception {
        StunServer server = server(testConfig());
        DatagramSocket c = client();
        // A bare 20-byte request: the smallest answer (XOR-MAPPED-ADDRESS + FINGERPRINT) is 40 bytes.
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(new Random(7)), List.of()), false), server.address());
        assertSilent(c);
        awaitStat("the drop counted", () -> server.stats().droppedAmplification() == 1);
        // 40 bytes: room for the answer but not for SOFTWARE too.
        byte[] req = encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(new Random(8)), List.of(padding(16))), false);
        assertEquals(40, req.length);
        send(c, req, server.address());
        DatagramPacket p = receive(c);
        assertEquals(40, p.getLength());
        Message resp = decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        assertNull(resp.first(SOFTWARE));
        assertNotNull(resp.first(XOR_MAPPED_ADDRESS));
        awaitStat("the response counted", () -> server.stats().responses() == 1);
    }

    /** Counters move on the server's thread, maybe just after the datagram left: wait a bounded while. */
    private static void awaitStat(String what, java.util.function.BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + " did not happen within 5 s");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void rateLimitPerSource() throws Exception {
        StunServer server = server(testConfig().withRate(20, 40));
        DatagramSocket c = client();
        c.setReceiveBufferSize(1 << 20);
        Random rnd = new Random(9);
        for (int i = 0; i < 200; i++) {
            send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(rnd), List.of(padding(40))), true), server.address());
        }
        int answered = 0;
        c.setSoTimeout(SILENCE_MILLIS);
        try {
            while (true) {
                receive(c);
                answered++;
            }
        } catch (SocketTimeoutException done) {
            // drained
        }
        StunStats st = server.stats();
        assertTrue(answered >= 40 && answered <= 40 + 5, "answered " + answered);
        assertEquals(200, st.datagrams());
        assertEquals(answered, st.responses());
        assertEquals(200 - answered, st.droppedRateLimited());
        assertEquals(1, st.sources());
    }

    @Test
    void rateLimiterForgetsTheLeastRecentlySeenAndGroupsIpv6By64() throws Exception {
        SourceRateLimiter rl = new SourceRateLimiter(1, 2, 2);
        InetAddress a = InetAddress.getByName("192.0.2.1"), b = InetAddress.getByName("192.0.2.2");
        InetAddress c = InetAddress.getByName("2001:db8::1"), c2 = InetAddress.getByName("2001:db8::ffff:2");
        assertTrue(rl.tryAcquire(a, 0));
        assertTrue(rl.tryAcquire(a, 0));
        assertFalse(rl.tryAcquire(a, 0));
        assertTrue(rl.tryAcquire(a, 1_000_000_000L), "one token back after a second");
        assertTrue(rl.tryAcquire(c, 0));
        assertTrue(rl.tryAcquire(c2, 0));
        assertFalse(rl.tryAcquire(c, 0), "same /64 shares a bucket");
        assertTrue(rl.tryAcquire(b, 0)); // evicts a (least recently seen)
        assertEquals(2, rl.size());
        assertTrue(rl.tryAcquire(a, 1_000_000_000L), "a was forgotten: full bucket again");
    }

    @Test
    void survivesGarbageAndStillAnswers() throws Exception {
        StunServer server = server(testConfig().withRate(1_000_000, 1_000_000));
        DatagramSocket c = client();
        c.setReceiveBufferSize(1 << 20);
        Random rnd = new Random(10);
        byte[] good = encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(rnd), List.of(padding(40))), true);
        List<byte[]> seeds = List.of(good, StunWireTest.RFC5769_IPV4, StunWireTest.RFC5769_REQUEST);
        for (int i = 0; i < 3_000; i++) {
            byte[] b = i % 10 == 0 ? randomBytes(rnd) : StunWireTest.mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            send(c, b, server.address());
        }
        send(c, new byte[0], server.address());
        send(c, new byte[4000], server.address()); // oversize
        // Drain whatever the valid mutants got, then ask properly.
        c.setSoTimeout(SILENCE_MILLIS);
        try {
            while (true) {
                receive(c);
            }
        } catch (SocketTimeoutException drained) {
            // fine
        }
        c.setSoTimeout(RECEIVE_MILLIS);
        byte[] id = txid(rnd);
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, id, List.of(padding(40))), true), server.address());
        Message resp = receiveMessage(c);
        assertArrayEquals(id, resp.transactionId());
        StunStats st = server.stats();
        // UDP: the kernel may drop some of the 3 000 datagrams before the server reads them, so count
        // against what arrived: most mutants are malformed.
        assertTrue(st.datagrams() > 100 && st.droppedMalformed() > st.datagrams() / 2, st.toString());
        assertEquals(0, st.sendFailures(), st.toString());
    }

    static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(100)];
        rnd.nextBytes(b);
        return b;
    }

    /** RFC 5780: with A1 = 127.0.0.1 and A2 = 127.0.0.2, CHANGE-REQUEST picks the answering socket. */
    @Test
    void alternateAddressAnswersFromTheRequestedSocket() throws Exception {
        StunServer server = alternateServer(testConfig());
        InetSocketAddress a1p1 = server.address(), a2p2 = server.alternateAddress();
        List<InetSocketAddress> all = server.addresses();
        DatagramSocket c = client();
        Random rnd = new Random(11);
        int[][] cases = {{0, 0}, {CHANGE_PORT, 1}, {CHANGE_IP, 2}, {CHANGE_IP | CHANGE_PORT, 3}};
        for (int[] cs : cases) {
            byte[] id = txid(rnd);
            send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, id,
                    List.of(new Attribute(CHANGE_REQUEST, changeRequestValue(cs[0])), padding(64))), true), a1p1);
            DatagramPacket p = receive(c);
            Message resp = decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            assertEquals(BINDING_SUCCESS, resp.type(), resp.toString());
            assertArrayEquals(id, resp.transactionId());
            assertEquals(all.get(cs[1]), p.getSocketAddress(), "flags " + cs[0]);
            assertEquals(all.get(cs[1]), decodeAddress(resp.first(RESPONSE_ORIGIN).value()));
            assertEquals(a2p2, decodeAddress(resp.first(OTHER_ADDRESS).value()));
            assertEquals(c.getLocalSocketAddress(),
                    decodeXorAddress(resp.first(XOR_MAPPED_ADDRESS).value(), resp.cookie(), resp.transactionId()));
        }
        // Asked on A2:P2, OTHER-ADDRESS is A1:P1.
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(rnd), List.of(padding(64))), true), a2p2);
        Message resp = receiveMessage(c);
        assertEquals(a1p1, decodeAddress(resp.first(OTHER_ADDRESS).value()));
        assertEquals(a2p2, decodeAddress(resp.first(RESPONSE_ORIGIN).value()));
        // Classic clients get the RFC 3489 names.
        send(c, encode(new Message(BINDING_REQUEST, 42, txid(rnd),
                List.of(new Attribute(CHANGE_REQUEST, changeRequestValue(CHANGE_IP)), padding(64))), false), a1p1);
        resp = receiveMessage(c);
        assertEquals(all.get(2), decodeAddress(resp.first(SOURCE_ADDRESS).value()));
        assertEquals(a2p2, decodeAddress(resp.first(CHANGED_ADDRESS).value()));
        assertEquals(c.getLocalSocketAddress(), decodeAddress(resp.first(MAPPED_ADDRESS).value()));
    }

    /** Starts with A2 = 127.0.0.2, retrying if an ephemeral port pair happens to be taken. */
    StunServer alternateServer(StunConfig base) throws Exception {
        InetSocketAddress a1 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
        InetSocketAddress a2 = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0);
        IOException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                return server(base.withBind(a1).withAlternate(a2));
            } catch (BindException e) {
                last = e;
            }
        }
        throw last;
    }

    @Test
    void closeStopsAnswering() throws Exception {
        StunServer server = StunServer.start(testConfig());
        InetSocketAddress at = server.address();
        server.close();
        server.close();
        DatagramSocket c = client();
        send(c, encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, txid(new Random(12)), List.of(padding(40))), true), at);
        assertSilent(c);
    }

    @Test
    void configIsValidated() throws Exception {
        StunConfig d = StunConfig.defaults();
        assertEquals(3478, d.bind().getPort());
        assertThrows(IllegalArgumentException.class, () -> d.withRate(0, 40));
        assertThrows(IllegalArgumentException.class, () -> d.withRate(20, 0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxSources(0));
        assertThrows(IllegalArgumentException.class, () -> d.withResponseSlack(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withSoftware("x".repeat(128)));
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 3478);
        InetSocketAddress lo2 = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 3479);
        assertThrows(IllegalArgumentException.class, () -> d.withAlternate(lo2), "wildcard bind");
        assertThrows(IllegalArgumentException.class, () -> d.withBind(lo).withAlternate(new InetSocketAddress(lo.getAddress(), 3479)));
        assertThrows(IllegalArgumentException.class, () -> d.withBind(lo).withAlternate(new InetSocketAddress(lo2.getAddress(), 3478)));
        assertThrows(IllegalArgumentException.class, () -> d.withBind(lo).withAlternate(new InetSocketAddress(InetAddress.getByName("::1"), 3479)));
        assertEquals(lo2, d.withBind(lo).withAlternate(lo2).alternate());
    }
}
