package dev.tryst.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard; each deadline under test is asserted on its own
class TlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path shared;
    static ServerIdentity identity;

    @BeforeAll
    static void createIdentity() throws IOException {
        identity = ServerIdentity.loadOrCreate(shared.resolve("state"));
    }

    private static void assertRoundTrip(SSLSocket s) throws IOException {
        assertEquals("TLSv1.3", s.getSession().getProtocol());
        s.setSoTimeout(5000);
        byte[] msg = "hello over tls 1.3".getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(msg);
        s.getOutputStream().flush();
        assertArrayEquals(msg, s.getInputStream().readNBytes(msg.length));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /**
     * A server that sends a TLS record header and then one byte just inside every read timeout: the
     * per-read timeout alone would wait minutes; the whole handshake is bounded by the timeout.
     */
    @Test
    void aServerTricklingBytesCannotHoldTheHandshake() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread trickler = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    OutputStream out = s.getOutputStream();
                    out.write(new byte[] {0x16, 0x03, 0x03, 0x40, 0x00}); // handshake record of 16 KiB
                    for (int i = 0; i < 300; i++) {
                        out.write(0);
                        out.flush();
                        Thread.sleep(150);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client hung up: expected
                }
            });
            long t0 = System.nanoTime();
            var e = assertThrows(SocketTimeoutException.class, () -> Tls.openClient(
                    (InetSocketAddress) server.getLocalSocketAddress(), Pin.fingerprint("00".repeat(32)), Duration.ofMillis(600)));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(took < 15_000, "gave up after " + took + " ms, not after the 3 × 600 ms of the handshake's bound (trickling alone: 45 s)");
            assertTrue(e.getMessage().contains("took longer than " + 600 * Tls.HANDSHAKE_FACTOR + " ms"), e.getMessage());
            trickler.join(5000);
        }
    }

    @Test
    void loadOrCreateMakesPrivateFilesAndLoadsTheSameIdentityAgain() throws IOException {
        Path state = shared.resolve("state");
        assertTrue(identity.created());
        assertEquals("rw-------", mode(state.resolve("server.p12")));
        assertEquals("rw-------", mode(state.resolve("server.p12.pass")));
        try (var files = Files.list(state)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tls-")), "no temporary files left behind");
        }
        ServerIdentity again = ServerIdentity.loadOrCreate(state);
        assertFalse(again.created());
        assertEquals(identity.fingerprint(), again.fingerprint());
        assertEquals(Fingerprint.of(identity.certificate()), identity.fingerprint());
        assertEquals("CN=tryst", identity.certificate().getSubjectX500Principal().getName());
        assertEquals(64, identity.fingerprint().hex().length());
        assertEquals(19, identity.fingerprint().display().length());
    }

    @Test
    void tooOpenKeystoreIsRefused(@TempDir Path dir) throws IOException {
        Path state = shared.resolve("state");
        Path copy = dir.resolve("state");
        Files.createDirectories(copy);
        Files.copy(state.resolve("server.p12"), copy.resolve("server.p12"));
        Files.copy(state.resolve("server.p12.pass"), copy.resolve("server.p12.pass"));
        Files.setPosixFilePermissions(copy.resolve("server.p12"), PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> ServerIdentity.loadOrCreate(copy));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void fingerprintParsingAcceptsColonsAndCase() {
        String hex = identity.fingerprint().hex();
        StringBuilder colons = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 2) {
            colons.append(i == 0 ? "" : ":").append(hex, i, i + 2);
        }
        assertEquals(identity.fingerprint(), Fingerprint.parse(colons.toString().toUpperCase()));
        assertEquals(identity.fingerprint(), Fingerprint.parse("SHA256:" + hex));
        assertThrows(IllegalArgumentException.class, () -> Fingerprint.parse(hex.substring(1)));
        assertThrows(IllegalArgumentException.class, () -> Fingerprint.parse(hex.substring(1) + "g"));
    }

    @Test
    void bytesRoundTripOverTls13WithAnExplicitPin() throws Exception {
        try (TlsTestServer server = TlsTestServer.echo(identity, 0);
             SSLSocket s = Tls.openClient(server.address(), Pin.fingerprint(identity.fingerprint().hex().toUpperCase()), TIMEOUT)) {
            assertEquals(0, s.getSoTimeout(), "no read timeout after the handshake");
            assertRoundTrip(s);
        }
    }

    @Test
    void aWrongExplicitPinIsRefused() throws Exception {
        Fingerprint wrong = new Fingerprint("00".repeat(32));
        try (TlsTestServer server = TlsTestServer.echo(identity, 0)) {
            PinMismatchException e = assertThrows(PinMismatchException.class, () -> Tls.openClient(server.address(), Pin.fingerprint(wrong), TIMEOUT));
            String where = "127.0.0.1:" + server.socket.getLocalPort();
            assertEquals(where, e.server());
            assertTrue(e.getMessage().startsWith("the server at " + where + " presented certificate fingerprint "
                    + identity.fingerprint().hex() + ", but " + wrong.hex() + " was expected"), e.getMessage());
            assertTrue(e.getMessage().contains("someone may be intercepting"), e.getMessage());
            assertNull(e.knownServers());

            // the context alone (without Tls.openClient) refuses too, with the same message
            SSLContext ctx = Pinning.clientContext(Pin.fingerprint(wrong));
            try (SSLSocket raw = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.socket.getLocalPort())) {
                raw.setSoTimeout(5000);
                SSLException x = assertThrows(SSLException.class, raw::startHandshake);
                assertTrue(x.getMessage().contains("presented certificate fingerprint"), x.getMessage());
            }
        }
    }

    @Test
    void trustOnFirstUseRemembersAcceptsAgainAndRefusesANewIdentity(@TempDir Path dir) throws Exception {
        Path known = dir.resolve("client").resolve("known_servers");
        Pin tofu = Pin.trustOnFirstUse(known);
        int port;
        try (TlsTestServer server = TlsTestServer.echo(identity, 0)) {
            port = server.socket.getLocalPort();
            try (SSLSocket s = Tls.openClient(server.address(), tofu, TIMEOUT)) {
                assertFalse(Files.exists(known), "the handshake alone remembers nothing");
                assertRoundTrip(s); // stands in for the server's answer in tryst's protocol
                Pinning.remember(s, tofu);
            }
            assertEquals("rw-------", mode(known));
            assertEquals(List.of("127.0.0.1:" + port + " " + identity.fingerprint().hex()), Files.readAllLines(known));
            try (SSLSocket s = Tls.openClient(server.address(), tofu, TIMEOUT)) {
                assertRoundTrip(s);
                Pinning.remember(s, tofu);
            }
            assertEquals(1, Files.readAllLines(known).size(), "a known server is not remembered twice");
        }

        ServerIdentity reinstalled = ServerIdentity.loadOrCreate(dir.resolve("reinstalled"));
        try (TlsTestServer server = TlsTestServer.echo(reinstalled, port)) {
            PinMismatchException e = assertThrows(PinMismatchException.class, () -> Tls.openClient(server.address(), tofu, TIMEOUT));
            assertEquals("the server at 127.0.0.1:" + port + " presented certificate fingerprint " + reinstalled.fingerprint().hex()
                    + ", but " + identity.fingerprint().hex() + " was expected; if the server was reinstalled on purpose remove the line for 127.0.0.1:"
                    + port + " from " + known + ", otherwise someone may be intercepting the connection", e.getMessage());
            assertEquals(known, e.knownServers());
            assertEquals(1, Files.readAllLines(known).size(), "a refused server is not remembered");
        }
    }

    /**
     * Two first connections to one address met different certificates (the server was replaced
     * between them, or one was intercepted): both pass the handshake, as neither is known yet;
     * the first to be remembered wins and the other is refused then, not written beside it.
     */
    @Test
    void concurrentFirstConnectionsThatMetDifferentCertificatesAreSettledWhenRemembered(@TempDir Path dir) throws Exception {
        Path known = dir.resolve("known_servers");
        Pin tofu = Pin.trustOnFirstUse(known);
        ServerIdentity other = ServerIdentity.loadOrCreate(dir.resolve("other"));
        TlsTestServer first = TlsTestServer.echo(identity, 0);
        int port = first.socket.getLocalPort();
        SSLSocket early;
        try (first) {
            early = Tls.openClient(first.address(), tofu, TIMEOUT);
        }
        try (early;
             TlsTestServer second = TlsTestServer.echo(other, port); // the first is gone; another certificate at its address
             SSLSocket late = Tls.openClient(second.address(), tofu, TIMEOUT)) {
            assertFalse(Files.exists(known), "neither handshake wrote anything");
            Pinning.remember(early, tofu);
            PinMismatchException e = assertThrows(PinMismatchException.class, () -> Pinning.remember(late, tofu));
            assertEquals(other.fingerprint(), e.presented());
            assertEquals(identity.fingerprint(), e.expected());
            assertEquals(List.of("127.0.0.1:" + port + " " + identity.fingerprint().hex()), Files.readAllLines(known));
        }
    }

    @Test
    void fromPemLoadsAKeytoolMadePairWithAChainAndServesIt(@TempDir Path dir) throws Exception {
        KeyStore.PrivateKeyEntry made = keytoolPair(dir, "EC", "-groupname", "secp256r1");
        PrivateKey key = made.getPrivateKey();
        X509Certificate leaf = (X509Certificate) made.getCertificate();
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        // a chain: the leaf, then another certificate (stands in for an intermediate)
        Files.writeString(certPem, pem("CERTIFICATE", leaf.getEncoded()) + pem("CERTIFICATE", identity.certificate().getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));

        ServerIdentity fromPem = ServerIdentity.fromPem(certPem, keyPem);
        assertEquals(Fingerprint.of(leaf), fromPem.fingerprint());
        assertEquals(2, fromPem.chain().size());
        assertFalse(fromPem.created());
        try (TlsTestServer server = TlsTestServer.echo(fromPem, 0);
             SSLSocket s = Tls.openClient(server.address(), Pin.fingerprint(fromPem.fingerprint()), TIMEOUT)) {
            assertRoundTrip(s);
        }

        // a key that does not belong to the leaf is refused up front
        Files.writeString(certPem, pem("CERTIFICATE", identity.certificate().getEncoded()));
        IOException e = assertThrows(IOException.class, () -> ServerIdentity.fromPem(certPem, keyPem));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
        Files.writeString(keyPem, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        e = assertThrows(IOException.class, () -> ServerIdentity.fromPem(certPem, keyPem));
        assertTrue(e.getMessage().contains("PKCS#8"), e.getMessage());
    }

    @Test
    void fromPemServesAnEd25519Key(@TempDir Path dir) throws Exception {
        KeyStore.PrivateKeyEntry made = keytoolPair(dir, "Ed25519");
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", made.getCertificate().getEncoded()));
        Files.writeString(keyPem, "some comment before the key\n" + pem("PRIVATE KEY", made.getPrivateKey().getEncoded()));
        ServerIdentity ed = ServerIdentity.fromPem(certPem, keyPem);
        try (TlsTestServer server = TlsTestServer.echo(ed, 0);
             SSLSocket s = Tls.openClient(server.address(), Pin.fingerprint(ed.fingerprint()), TIMEOUT)) {
            assertRoundTrip(s);
        }
    }

    /** A key pair and self-signed certificate made by keytool, as a test's stand-in for an operator's PEM files. */
    private static KeyStore.PrivateKeyEntry keytoolPair(Path dir, String keyalg, String... extra) throws Exception {
        Path p12 = dir.resolve("other.p12");
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "x", "-keyalg", keyalg));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-dname", "CN=pem.example", "-validity", "30", "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", "changeit", "-keypass", "changeit", "-noprompt"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("keytool.log").toFile()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("keytool.log")));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "changeit".toCharArray());
        }
        return (KeyStore.PrivateKeyEntry) ks.getEntry("x", new KeyStore.PasswordProtection("changeit".toCharArray()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    @Test
    void aTls12OnlyClientIsRefused() throws Exception {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(null, new TrustManager[] {trustAll}, null);
        try (TlsTestServer server = TlsTestServer.echo(identity, 0);
             SSLSocket s = (SSLSocket) tls12.getSocketFactory().createSocket("127.0.0.1", server.socket.getLocalPort())) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setSoTimeout(5000);
            assertThrows(SSLException.class, s::startHandshake);
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> Tls.openClient(
                    new InetSocketAddress("127.0.0.1", silent.getLocalPort()), Pin.fingerprint(identity.fingerprint()), Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("handshake"), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
            try (Socket ignored = silent.accept()) {
                // drain the backlog
            }
        }
    }
}
