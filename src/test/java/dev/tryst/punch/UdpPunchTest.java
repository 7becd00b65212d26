package dev.tryst.punch;

import dev.tryst.wire.PunchWire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.channel.Handshake;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class UdpPunchTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final SecureRandom random = new SecureRandom();

    private static Handshake.Agreed[] agree(String a, String b) throws Exception {
        SecureRandom r = new SecureRandom();
        Handshake.Start i = Handshake.start(Handshake.Role.INITIATOR, a.getBytes(), r);
        Handshake.Start j = Handshake.start(Handshake.Role.RESPONDER, b.getBytes(), r);
        return new Handshake.Agreed[] {Handshake.agree(i, j.hello()), Handshake.agree(j, i.hello())};
    }

    private static DatagramSocket socket() throws Exception {
        return new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
    }

    private UdpPunch.Path[] punch(Handshake.Agreed[] keys, DatagramSocket a, DatagramSocket b, Duration window) throws Exception {
        var pa = new UdpPunch.Plan(Handshake.Role.INITIATOR, (InetSocketAddress) b.getLocalSocketAddress(), List.of(),
                Duration.ofSeconds(10), 0, window);
        var pb = new UdpPunch.Plan(Handshake.Role.RESPONDER, (InetSocketAddress) a.getLocalSocketAddress(), List.of(),
                Duration.ofSeconds(10), 0, window);
        CompletableFuture<UdpPunch.Path> rb = CompletableFuture.supplyAsync(() -> UdpPunch.punch(b, pb, keys[1], random));
        UdpPunch.Path ra = UdpPunch.punch(a, pa, keys[0], random);
        return new UdpPunch.Path[] {ra, rb.get(20, TimeUnit.SECONDS)};
    }

    @Test
    void bothSidesProveTheSamePairOfSockets() throws Exception {
        DatagramSocket a = socket();
        DatagramSocket b = socket();
        UdpPunch.Path[] p = punch(agree("5-x", "5-x"), a, b, Duration.ofSeconds(5));
        assertNotNull(p[0]);
        assertNotNull(p[1]);
        assertEquals(b.getLocalSocketAddress(), p[0].peer());
        assertEquals(a.getLocalSocketAddress(), p[1].peer());
        assertTrue(!a.isClosed() && !b.isClosed(), "the proven sockets are handed over open");
        // and they carry datagrams both ways
        byte[] hi = "hi".getBytes();
        a.send(new DatagramPacket(hi, hi.length, p[0].peer()));
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        b.setSoTimeout(2000);
        do {
            b.receive(in); // late probes may still be in the queue
        } while (in.getLength() != 2);
        assertEquals("hi", new String(in.getData(), 0, 2));
        a.close();
        b.close();
        assertEquals(0, UdpPunch.LIVE_THREADS.get(), "no receiver thread left");
    }

    @Test
    void differentCodesNeverProveAPathAndEverySocketIsClosed() throws Exception {
        DatagramSocket a = socket();
        DatagramSocket b = socket();
        UdpPunch.Path[] p = punch(agree("5-x", "5-y"), a, b, Duration.ofMillis(800));
        assertNull(p[0]);
        assertNull(p[1]);
        assertTrue(a.isClosed() && b.isClosed());
    }

    @Test
    void forgedAndReflectedPacketsAreIgnored() throws Exception {
        var keys = agree("5-x", "5-x");
        DatagramSocket a = socket();
        DatagramSocket attacker = socket();
        attacker.setSoTimeout(300);
        // A probes the attacker's address (say, it was given as the peer); the attacker answers with
        // a forged ack (wrong key), a reflection of A's own probe, and junk: none proves a path
        var plan = new UdpPunch.Plan(Handshake.Role.INITIATOR, (InetSocketAddress) attacker.getLocalSocketAddress(),
                List.of(), Duration.ofSeconds(10), 0, Duration.ofMillis(1500));
        CompletableFuture<UdpPunch.Path> r = CompletableFuture.supplyAsync(() -> UdpPunch.punch(a, plan, keys[0], random));
        byte[] wrongKey = new byte[32];
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
        int answered = 0;
        while (System.nanoTime() < until) {
            try {
                attacker.receive(in);
            } catch (java.net.SocketTimeoutException e) {
                continue;
            }
            byte[] packet = java.util.Arrays.copyOf(in.getData(), in.getLength());
            long id = java.nio.ByteBuffer.wrap(packet, 6, 8).getLong();
            InetSocketAddress back = (InetSocketAddress) in.getSocketAddress();
            byte[] forged = UdpPunch.packet(wrongKey, PunchWire.ACK, 2, id);
            attacker.send(new DatagramPacket(forged, forged.length, back));
            // a mirror: every packet of A's comes back unchanged, acks included. Without the role check,
            // A would ack its own reflected probe and then take the reflected ack as proof.
            attacker.send(new DatagramPacket(packet, packet.length, back));
            attacker.send(new DatagramPacket(new byte[30], 30, back));
            answered++;
        }
        assertTrue(answered > 3, "A kept probing");
        assertNull(r.get(10, TimeUnit.SECONDS), "no path from forged, reflected or junk packets");
        attacker.close();
    }

    /** A valid probe replayed from another address is not answered: it cannot aim our probes anywhere. */
    @Test
    void aReplayedProbeFromElsewhereIsNotAnswered() throws Exception {
        var keys = agree("5-x", "5-x");
        DatagramSocket a = socket();
        DatagramSocket first = socket();
        DatagramSocket replayer = socket();
        first.setSoTimeout(2000);
        replayer.setSoTimeout(700);
        var plan = new UdpPunch.Plan(Handshake.Role.INITIATOR, new InetSocketAddress(LOOPBACK, 9), List.of(),
                Duration.ofSeconds(10), 0, Duration.ofMillis(1500));
        CompletableFuture<UdpPunch.Path> r = CompletableFuture.supplyAsync(() -> UdpPunch.punch(a, plan, keys[0], random));
        byte[] probe = UdpPunch.packet(keys[1].punchKey(), PunchWire.PROBE, 2, 7);
        first.send(new DatagramPacket(probe, probe.length, a.getLocalSocketAddress()));
        DatagramPacket in = new DatagramPacket(new byte[64], 64);
        first.receive(in);
        assertEquals(PunchWire.ACK, in.getData()[4], "the first copy is answered");
        replayer.send(new DatagramPacket(probe, probe.length, a.getLocalSocketAddress()));
        assertThrows(java.net.SocketTimeoutException.class, () -> replayer.receive(in), "the replay is not");
        r.get(10, TimeUnit.SECONDS);
        first.close();
        replayer.close();
    }
}
