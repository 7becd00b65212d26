package dev.tryst.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import dev.tryst.tls.Pin;
import dev.tryst.tls.PinMismatchException;
import dev.tryst.tls.ServerIdentity;
import dev.tryst.tls.Tls;
import dev.tryst.tls.TlsTestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trust on first use, end to end over real TLS sockets on loopback: a server's certificate is
 * remembered only once the server has proven it holds the certificate's key (TLS 1.3
 * CertificateVerify) and answered in tryst's protocol (CONNECTED), so a failed or half-done first
 * meeting leaves nothing behind that would lock the real server out.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TrustOnFirstUseTest {
    private static final Duration T = Duration.ofSeconds(5);

    @TempDir
    static Path shared;
    /** The certificate the impostor presents (A), and a real server's identity. */
    static ServerIdentity a;
    /** Another real server's identity (R). */
    static ServerIdentity r;

    @TempDir
    Path dir;

    @BeforeAll
    static void identities() throws IOException {
        a = ServerIdentity.loadOrCreate(shared.resolve("a"));
        r = ServerIdentity.loadOrCreate(shared.resolve("r"));
    }

    /** Reads what the client sends until it hangs up, answering nothing. */
    private static void silent(SSLSocket s) throws IOException {
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
            // swallow
        }
    }

    /** A TLS 1.3 server for {@code context} on loopback {@code port} (0: any) that serves each connection with {@code behaviour}. */
    private static TlsTestServer serve(SSLContext context, int port, TlsTestServer.Behaviour behaviour) throws IOException {
        SSLServerSocket socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return new TlsTestServer(socket, behaviour);
    }

    /**
     * A server context whose key manager (the JDK's own, over a key store entry) serves
     * certificate chain {@code chain} but signs with {@code key}, which does not belong to it:
     * the client sees a certificate the server cannot prove it holds.
     */
    private static SSLContext presentingButNotHolding(X509Certificate[] chain, PrivateKey key) throws Exception {
        char[] password = "test".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("impostor", key, password, chain); // the key store does not check that key and certificate match
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    private RendezvousServer rendezvous(ServerIdentity id, int port, EventStore store) throws IOException {
        return RendezvousServer.start(RendezvousConfig.defaults().withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)),
                Tls.serverSocketFactory(id), store == null ? RendezvousBackend.roomsOnly() : new RendezvousBackend(id.fingerprint().hex(), 0, store));
    }

    private static ControlClient.Server tofu(InetSocketAddress address, Path known) {
        return new ControlClient.Server(address, Pin.trustOnFirstUse(known), false);
    }

    /** Every test addresses its servers as 127.0.0.1, so all speak of one known_servers entry per port. */
    private static InetSocketAddress at(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private static String line(int port, ServerIdentity id) {
        return "127.0.0.1:" + port + " " + id.fingerprint().hex();
    }

    @Test
    void finding1_aServerPresentingCertificateAButHoldingKeyBIsNotPinnedAndTheRealServerIsStillAccepted() throws Exception {
        Path known = dir.resolve("known_servers");
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1")); // the same kind of key as A's, so the server signs with it
        PrivateKey b = ec.generateKeyPair().getPrivate();
        SSLContext impostor = presentingButNotHolding(a.chain().toArray(X509Certificate[]::new), b);
        int port;
        try (TlsTestServer fake = serve(impostor, 0, TrustOnFirstUseTest::silent)) {
            port = fake.address().getPort();
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> ControlClient.connect(tofu(fake.address(), known), null, T));
            System.out.println("finding1 handshake refused: " + e.getMessage());
            assertTrue(e.getMessage().contains("CertificateVerify"), e.getMessage());
            // the lower level, without the control protocol, writes nothing either
            assertThrows(SSLHandshakeException.class, () -> Tls.openClient(fake.address(), Pin.trustOnFirstUse(known), T).close());
            System.out.println("finding1 known_servers after the failed handshakes: "
                    + (Files.exists(known) ? Files.readAllLines(known) : "(no file)"));
            assertFalse(Files.exists(known) && !Files.readString(known).isBlank(),
                    "a certificate whose key the server never proved was remembered: " + (Files.exists(known) ? Files.readString(known) : ""));
        }
        // the real server, another certificate, on the same address: trusted on first use as if nothing had happened
        try (RendezvousServer real = rendezvous(r, port, null)) {
            assertEquals(port, real.address().getPort());
            ControlClient.connect(tofu(at(port), known), null, T).close();
            assertEquals(List.of(line(port, r)), Files.readAllLines(known));
        }
    }

    @Test
    void finding1_aServerThatCompletesTlsButNeverAnswersConnectIsNotPinned() throws Exception {
        Path known = dir.resolve("known_servers");
        try (TlsTestServer mute = serve(a.serverContext(), 0, TrustOnFirstUseTest::silent)) {
            IOException e = assertThrows(IOException.class, () -> ControlClient.connect(tofu(mute.address(), known), null, Duration.ofMillis(500)));
            System.out.println("finding1 mute server: " + e);
            assertTrue(e.getMessage().contains("sent nothing"), e.getMessage());
            assertFalse(Files.exists(known), "remembered a server that never answered: "
                    + (Files.exists(known) ? Files.readString(known) : ""));
        }
    }

    @Test
    void finding1_aServerThatAnswersConnectWithGarbageIsNotPinned() throws Exception {
        Path known = dir.resolve("known_servers");
        TlsTestServer.Behaviour http = s -> {
            s.getInputStream().read(); // the client's CONNECT has begun to arrive
            s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        };
        try (TlsTestServer web = serve(a.serverContext(), 0, http)) {
            IOException e = assertThrows(IOException.class, () -> ControlClient.connect(tofu(web.address(), known), null, T));
            System.out.println("finding1 garbage server: " + e);
            assertFalse(Files.exists(known), "remembered a server that does not speak tryst: "
                    + (Files.exists(known) ? Files.readString(known) : ""));
        }
    }

    @Test
    void finding1_aGoodFirstConnectionIsPinnedPrivatelyAndAnotherCertificateIsThenRefused() throws Exception {
        Path known = dir.resolve("config").resolve("known_servers");
        int port;
        try (EventStore store = EventStore.open(dir.resolve("store"), EventLimits.defaults(), InstantSource.system());
             RendezvousServer real = rendezvous(a, 0, store)) {
            port = real.address().getPort();
            try (EventClient c = EventClient.login(tofu(at(port), known), Identity.generate(), InstantSource.system(), T)) {
                assertEquals(0, c.lastOrderAtLogin());
            }
            assertEquals(List.of(line(port, a)), Files.readAllLines(known));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(known)));
            ControlClient.connect(tofu(at(port), known), null, T).close();
            assertEquals(1, Files.readAllLines(known).size(), "a known server is not remembered twice");
        }
        try (RendezvousServer other = rendezvous(r, port, null)) {
            assertEquals(port, other.address().getPort());
            PinMismatchException e = assertThrows(PinMismatchException.class, () -> ControlClient.connect(tofu(at(port), known), null, T));
            assertEquals(a.fingerprint(), e.expected());
            assertEquals(r.fingerprint(), e.presented());
            assertEquals(List.of(line(port, a)), Files.readAllLines(known), "a refused server is not remembered");
        }
    }

    @Test
    void finding1_concurrentFirstConnectionsRememberTheServerOnce() throws Exception {
        Path known = dir.resolve("known_servers");
        int n = 8;
        try (RendezvousServer real = rendezvous(a, 0, null)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ControlClient>> all = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < n; i++) {
                    all.add(pool.submit(() -> {
                        go.await();
                        return ControlClient.connect(tofu(at(real.address().getPort()), known), null, T);
                    }));
                }
                go.countDown();
                for (Future<ControlClient> f : all) {
                    f.get().close();
                }
            }
            assertEquals(List.of(line(real.address().getPort(), a)), Files.readAllLines(known));
        }
    }
}
