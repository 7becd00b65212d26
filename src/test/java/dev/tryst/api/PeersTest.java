package dev.tryst.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.net.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Pairing, listening and connecting between identities through a real server on loopback, in one JVM. */
@Timeout(120)
class PeersTest {
    @TempDir
    Path dir;
    private TrystServer server;
    private TrystOptions options;
    private ServerSocket echo;

    @BeforeEach
    void start() throws Exception {
        server = TrystServer.start(ServerConfig.loopback(dir.resolve("server")), n -> { });
        options = TrystOptions.defaults().withServer(server.controlTarget()).withPlainControl(true)
                .withKnownServers(dir.resolve("known_servers")).withWaitForPeer(Duration.ofSeconds(20));
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException ignored) {
                            // the test ended
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        echo.close();
        server.close();
    }

    private Peers peers(String who) throws TrystException {
        return new Peers(options, LocalIdentity.loadOrCreate(dir.resolve(who).resolve("identity")));
    }

    /** Pairs a and b: a makes the code. */
    private Paired[] pair(Peers a, String aCallsB, Peers b, String bCallsA) throws Exception {
        CompletableFuture<String> code = new CompletableFuture<>();
        CompletableFuture<Paired> first = CompletableFuture.supplyAsync(() -> {
            try {
                return a.pair(null, aCallsB, "a-host", e -> {
                    if (e instanceof TransferEvent.CodeReady c) {
                        code.complete(c.code());
                    }
                });
            } catch (TrystException e) {
                code.completeExceptionally(e);
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        Paired second = b.pair(code.get(20, TimeUnit.SECONDS), bCallsA, "b-host", e -> { });
        return new Paired[] {first.get(20, TimeUnit.SECONDS), second};
    }

    @Test
    void pairStoresEachUnderTheNamesGiven() throws Exception {
        Peers alice = peers("alice");
        Peers bob = peers("bob");
        Paired[] p = pair(alice, "laptop", bob, null);
        assertEquals("laptop", p[0].contact().name());
        assertEquals(bob.me().publicKey(), p[0].contact().publicKey());
        assertEquals("a-host", p[1].contact().name(), "without a name, the one the other side suggests");
        assertEquals(alice.me().publicKey(), p[1].contact().publicKey());
        assertTrue(p[0].storedThere() && p[1].storedThere());
        assertEquals(List.of(p[0].contact()), alice.contacts());
        assertEquals(List.of(p[1].contact()), bob.contacts());
    }

    @Test
    void aWrongCodeStoresNothing() throws Exception {
        Peers alice = peers("alice");
        Peers bob = peers("bob");
        CompletableFuture<String> code = new CompletableFuture<>();
        CompletableFuture<TrystException> first = CompletableFuture.supplyAsync(() -> {
            try {
                alice.pair(null, null, "a", e -> {
                    if (e instanceof TransferEvent.CodeReady c) {
                        code.complete(c.code());
                    }
                });
                return null;
            } catch (TrystException e) {
                return e;
            }
        }, r -> Thread.ofVirtual().start(r));
        String c = code.get(20, TimeUnit.SECONDS);
        String[] w = c.split("-");
        String wrong = w[0] + "-" + w[1] + "-" + w[3] + "-" + w[2]; // the same words, two swapped: another code
        org.junit.jupiter.api.Assumptions.assumeFalse(w[2].equals(w[3]), "the two last words are the same");
        TrystException theirs = assertThrows(TrystException.class, () -> bob.pair(wrong, null, "b", e -> { }));
        assertEquals(TrystException.Reason.WRONG_CODE, theirs.reason());
        assertEquals(TrystException.Reason.WRONG_CODE, first.get(20, TimeUnit.SECONDS).reason());
        assertTrue(alice.contacts().isEmpty());
        assertTrue(bob.contacts().isEmpty());
    }

    @Test
    void aContactConnectsToTheListenersPortsAndPipeAndAStrangerIsDenied() throws Exception {
        Peers alice = peers("alice");
        Peers bob = peers("bob");
        pair(alice, "bob", bob, "alice");
        PipedOutputStream toBobsPipe = new PipedOutputStream();
        PipedInputStream bobsStdin = new PipedInputStream(toBobsPipe, 1 << 16);
        ByteArrayOutputStream bobsStdout = new ByteArrayOutputStream();
        List<ListenEvent> seen = new CopyOnWriteArrayList<>();
        try (Listening l = bob.listen(ListenOptions.nothing().withPipe(bobsStdin, bobsStdout)
                .withExposed(2222, "127.0.0.1:" + echo.getLocalPort()), seen::add)) {
            Await.until("bob online", l::online);
            try (PeerSession s = alice.connect("bob", e -> { })) {
                byte[] data = new byte[3 << 20];
                new Random(7).nextBytes(data);
                try (PeerStream port = s.openPort(2222)) {
                    CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                        try {
                            return port.input().readAllBytes();
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    }, r -> Thread.ofVirtual().start(r));
                    port.output().write(data);
                    port.output().close();
                    assertArrayEquals(data, back.get(30, TimeUnit.SECONDS), "through the exposed port and back");
                }
                PeerStream notExposed = s.openPort(80);
                IOException refused = assertThrows(IOException.class, () -> notExposed.input().read());
                assertTrue(refused.getMessage().contains("port 80 is not exposed"), refused.getMessage());

                PeerStream pipe = s.openPipe();
                toBobsPipe.write("from bob\n".getBytes(StandardCharsets.UTF_8));
                toBobsPipe.close();
                pipe.output().write("from alice\n".getBytes(StandardCharsets.UTF_8));
                pipe.output().close();
                assertEquals("from bob\n", new String(pipe.input().readAllBytes(), StandardCharsets.UTF_8));
                assertTrue(l.awaitPipeDone(Duration.ofSeconds(20)));
                assertEquals("from alice\n", bobsStdout.toString(StandardCharsets.UTF_8));
            }

            // carol is no contact of bob's: denied, and bob's log says so
            Peers carol = peers("carol");
            Path carolsContacts = carol.contactsFile();
            carol.addContact("bob", bob.me().publicKey());
            TrystException e = assertThrows(TrystException.class,
                    () -> new Peers(options.withWaitForPeer(Duration.ofSeconds(3)), carol.me()).connect("bob", x -> { }));
            assertEquals(TrystException.Reason.PEER_UNAVAILABLE, e.reason(), e.getMessage());
            assertTrue(Files.exists(carolsContacts));
            String carolFp = carol.me().fingerprint();
            Await.until("bob logged the denial", () -> seen.stream().anyMatch(x -> x instanceof ListenEvent.Denied d
                    && d.fingerprint().equals(carolFp)));
        }
    }

    @Test
    void filesToAContactThatListensWithAFolder() throws Exception {
        Peers alice = peers("alice");
        Peers bob = peers("bob");
        pair(alice, "bob", bob, "alice");
        Path inbox = Files.createDirectories(dir.resolve("bob-inbox"));
        Path file = dir.resolve("report.bin");
        byte[] data = new byte[2 << 20];
        new Random(3).nextBytes(data);
        Files.write(file, data);
        List<ListenEvent> seen = new CopyOnWriteArrayList<>();
        try (Listening l = bob.listen(ListenOptions.nothing().withFolder(inbox, s -> true, false), seen::add)) {
            Await.until("bob online", l::online);
            Sent sent = alice.send("bob", Offer.files(file), e -> { });
            assertEquals(data.length, sent.bytes());
            assertArrayEquals(data, Files.readAllBytes(inbox.resolve("report.bin")));
            Await.until("bob logged it", () -> seen.stream().anyMatch(x -> x instanceof ListenEvent.FilesReceived));
            // streams are not offered by this listener
            TrystException no = assertThrows(TrystException.class, () -> alice.connect("bob", e -> { }));
            assertEquals(TrystException.Reason.DECLINED, no.reason());
            assertTrue(no.getMessage().contains("offers no streams"), no.getMessage());
        }
    }

    @Test
    void aListenerComesBackWhenItsServerDoes() throws Exception {
        Peers alice = peers("alice");
        Peers bob = peers("bob");
        pair(alice, "bob", bob, "alice");
        List<ListenEvent> seen = new CopyOnWriteArrayList<>();
        try (Listening l = bob.listen(ListenOptions.nothing().withExposed(2222, "127.0.0.1:" + echo.getLocalPort()), seen::add)) {
            Await.until("bob online", l::online);
            int control = server.controlAddress().getPort();
            server.close(); // the server goes away (a restart, a network gone): the listener says so and waits
            Await.until("bob offline", () -> seen.stream().anyMatch(e -> e instanceof ListenEvent.Offline));
            server = TrystServer.start(new ServerConfig("127.0.0.1", 0, control, -1, dir.resolve("server"), null, null, true,
                    null, null, null, null), n -> { });
            Await.until("bob online again", Duration.ofSeconds(90),
                    () -> seen.stream().filter(e -> e instanceof ListenEvent.Online).count() == 2);
            try (PeerSession s = alice.connect("bob", e -> { }); PeerStream port = s.openPort(2222)) {
                port.output().write("back\n".getBytes(StandardCharsets.UTF_8));
                port.output().close();
                assertEquals("back\n", new String(port.input().readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void anUnknownPeerIsRefusedBeforeAnythingIsSent() throws Exception {
        TrystException e = assertThrows(TrystException.class, () -> peers("alice").connect("nobody", x -> { }));
        assertEquals(TrystException.Reason.UNKNOWN_PEER, e.reason());
        assertFalse(e.getMessage().isEmpty());
    }
}
