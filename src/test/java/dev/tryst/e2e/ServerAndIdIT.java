package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.wire.StunWire;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `tryst id` and the STUN responder of `tryst server`, as real processes. */
@Timeout(60)
class ServerAndIdIT {
    private static final Duration T = Duration.ofSeconds(30);

    @Test
    void idIsCreatedPrivateAndStable(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", dir.toString());
        String first;
        try (var id = TrystProcess.start(dir, "id1", null, env, "id")) {
            assertEquals(0, id.await(T), id.stderr());
            first = id.stdout();
            assertTrue(first.matches("(?s)fingerprint [a-z2-7]{4}(-[a-z2-7]{4}){7}\npublic key  [0-9a-f]{64}\n"), first);
            assertTrue(id.stderr().contains("Created a new identity"), id.stderr());
        }
        Path file = dir.resolve("tryst/identity");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var id = TrystProcess.start(dir, "id2", null, env, "id")) {
            assertEquals(0, id.await(T), id.stderr());
            assertEquals(first, id.stdout(), "the same identity the second time");
            assertEquals("", id.stderr());
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (var id = TrystProcess.start(dir, "id3", null, env, "id")) {
            assertEquals(2, id.await(T), id.stderr());
            assertTrue(id.stderr().contains("chmod 600"), id.stderr());
            assertEquals("", id.stdout());
        }
    }

    @Test
    void serverAnswersStunWithTheClientsAddress(@TempDir Path dir) throws Exception {
        try (var server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                "--stun-port", "0", "--control-port", "-1", "--admin", "off")) {
            int port = Integer.parseInt(server.awaitStderr("tryst stun listening on udp \\S*:(\\d+)", T));
            try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                c.setSoTimeout(5000);
                byte[] txid = new byte[12];
                new Random(1).nextBytes(txid);
                // Padded with an optional attribute: the server never answers with more bytes than it got.
                var padding = new StunWire.Attribute(0x8000, new byte[64]);
                byte[] req = StunWire.encode(new StunWire.Message(StunWire.BINDING_REQUEST, StunWire.MAGIC_COOKIE, txid,
                        List.of(padding)), true);
                c.send(new DatagramPacket(req, req.length, new InetSocketAddress("127.0.0.1", port)));
                DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
                c.receive(p);
                var resp = StunWire.decode(Arrays.copyOf(p.getData(), p.getLength()));
                assertArrayEquals(txid, resp.transactionId());
                var mapped = resp.attributes().stream().filter(a -> a.type() == StunWire.XOR_MAPPED_ADDRESS).findFirst()
                        .orElseThrow();
                assertEquals(c.getLocalSocketAddress(), StunWire.decodeXorAddress(mapped.value(), resp.cookie(), txid));
            }
        }
    }

    @Test
    void controlPortSpeaksTls13WithThePrintedFingerprintAndOpensRooms(@TempDir Path dir) throws Exception {
        try (var server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                "--stun-port", "-1", "--control-port", "0", "--admin", "off")) {
            String line = server.awaitStderr("(tryst control listening on tls \\S+, certificate fingerprint [0-9a-f]{64})", T);
            int port = Integer.parseInt(line.replaceAll(".*:(\\d+),.*", "$1"));
            String fingerprint = line.replaceAll(".* ", "");
            assertTrue(server.stderr().contains("created a self-signed certificate"), server.stderr());
            var addr = new InetSocketAddress("127.0.0.1", port);
            try (var s = dev.tryst.tls.Tls.openClient(addr, dev.tryst.tls.Pin.fingerprint(fingerprint), T)) {
                assertEquals("TLSv1.3", s.getSession().getProtocol());
                var out = s.getOutputStream();
                var in = s.getInputStream();
                dev.tryst.wire.ControlWire.write(out, dev.tryst.wire.ControlWire.Connect.anonymous());
                out.flush();
                assertInstanceOf(dev.tryst.wire.ControlWire.Connected.class, dev.tryst.wire.ControlWire.read(in));
                dev.tryst.wire.ControlWire.write(out, new dev.tryst.wire.ControlWire.RoomCreate(""));
                out.flush();
                dev.tryst.wire.ControlWire.Frame f;
                do {
                    f = dev.tryst.wire.ControlWire.read(in);
                } while (f instanceof dev.tryst.wire.ControlWire.Ping);
                var created = assertInstanceOf(dev.tryst.wire.ControlWire.RoomCreated.class, f);
                assertTrue(created.nameplate().matches("\\d+"), created.nameplate());
            }
            // A client that expects another certificate refuses, and says why.
            String wrong = fingerprint.substring(0, 63) + (fingerprint.endsWith("0") ? "1" : "0");
            var e = assertThrows(java.io.IOException.class,
                    () -> dev.tryst.tls.Tls.openClient(addr, dev.tryst.tls.Pin.fingerprint(wrong), T).close());
            assertTrue(e.getMessage().contains("presented certificate fingerprint " + fingerprint)
                    && e.getMessage().contains(wrong), e.getMessage());
        }
    }
}
