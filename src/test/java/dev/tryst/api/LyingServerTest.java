package dev.tryst.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.identity.Identity;
import dev.tryst.net.Await;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.ClientInfo;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestAccept;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.Packet;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that lies: a proxy in front of a real server's control port rewrites what it forwards.
 * Whatever it swaps, the connection fails on both sides with a message that names the problem, and
 * nobody talks to anyone but the identity they named.
 */
@Timeout(120)
class LyingServerTest {
    @TempDir
    Path dir;
    private TrystServer server;
    private ServerSocket proxy;
    private volatile UnaryOperator<Packet> toClients = p -> p;
    private volatile UnaryOperator<Packet> toServer = p -> p;
    private Peers alice;
    private Peers bob;
    private Bytes aliceId;
    private Bytes bobId;
    private Bytes carolId;

    @BeforeEach
    void start() throws Exception {
        server = TrystServer.start(ServerConfig.loopback(dir.resolve("server")), n -> { });
        proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::proxyLoop);
        TrystOptions o = TrystOptions.defaults().withServer("127.0.0.1:" + proxy.getLocalPort()).withPlainControl(true)
                .withKnownServers(dir.resolve("known_servers")).withWaitForPeer(Duration.ofSeconds(15));
        alice = new Peers(o, LocalIdentity.loadOrCreate(dir.resolve("alice/identity")));
        bob = new Peers(o, LocalIdentity.loadOrCreate(dir.resolve("bob/identity")));
        Identity carol = Identity.generate();
        aliceId = Bytes.fromHex(alice.me().publicKey());
        bobId = Bytes.fromHex(bob.me().publicKey());
        carolId = Bytes.of(carol.publicKey().bytes());
        alice.addContact("bob", bob.me().publicKey());
        bob.addContact("alice", alice.me().publicKey());
        bob.addContact("carol", carol.publicKey().toHex());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        server.close();
    }

    private void proxyLoop() {
        while (true) {
            Socket c;
            try {
                c = proxy.accept();
            } catch (IOException e) {
                return;
            }
            Thread.ofVirtual().start(() -> {
                try (c; Socket s = new Socket(server.controlAddress().getAddress(), server.controlAddress().getPort())) {
                    Thread up = Thread.ofVirtual().start(() -> pump(c, s, () -> toServer));
                    pump(s, c, () -> toClients);
                    up.join();
                } catch (IOException | InterruptedException e) {
                    // one side went
                }
            });
        }
    }

    private static void pump(Socket from, Socket to, java.util.function.Supplier<UnaryOperator<Packet>> rewrite) {
        try {
            InputStream in = new BufferedInputStream(from.getInputStream());
            OutputStream out = to.getOutputStream();
            for (Frame f; (f = ControlWire.read(in)) != null; ) {
                if (f instanceof Packet p) {
                    ControlWire.write(out, rewrite.get().apply(p));
                    out.flush();
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    @Test
    void aServerThatAnswersForAnotherIdentityIsCaught() throws Exception {
        // alice asks for bob; the server answers her with CLIENT_INFO naming carol
        toClients = p -> p instanceof ClientInfo i && i.peer().equals(bobId)
                ? new ClientInfo(carolId, i.publicAddress(), i.privateAddresses(), i.relayPairingKey(), i.relayPort()) : p;
        List<ListenEvent> seen = new CopyOnWriteArrayList<>();
        try (Listening l = bob.listen(ListenOptions.nothing().withExposed(9, "127.0.0.1:9"), seen::add)) {
            Await.until("bob online", l::online);
            TrystException e = assertThrows(TrystException.class, () -> alice.connect("bob", x -> { }));
            assertEquals(TrystException.Reason.NOT_AUTHENTICATED, e.reason());
            assertTrue(e.getMessage().contains("the server answered for another identity"), e.getMessage());
            Await.until("bob's side failed too", () -> seen.stream().anyMatch(x -> x instanceof ListenEvent.Failed));
        }
    }

    @Test
    void aServerThatNamesTheRequesterFalselyGetsNoPathProven() throws Exception {
        // bob is told carol (a contact of his) asks, when it is alice: he accepts "carol"
        toClients = p -> switch (p) {
            case ConnectionRequest r when r.peer().equals(aliceId) -> new ConnectionRequest(carolId, r.privateAddresses());
            case ClientInfo i when i.peer().equals(aliceId) ->
                new ClientInfo(carolId, i.publicAddress(), i.privateAddresses(), i.relayPairingKey(), i.relayPort());
            default -> p;
        };
        toServer = p -> p instanceof ConnectionRequestAccept a && a.requester().equals(carolId)
                ? new ConnectionRequestAccept(aliceId, a.privateAddresses()) : p;
        List<ListenEvent> seen = new CopyOnWriteArrayList<>();
        try (Listening l = bob.listen(ListenOptions.nothing().withExposed(9, "127.0.0.1:9"), seen::add)) {
            Await.until("bob online", l::online);
            TrystException e = assertThrows(TrystException.class, () -> alice.connect("bob", x -> { }));
            assertEquals(TrystException.Reason.NOT_AUTHENTICATED, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("could not prove to be bob"), e.getMessage());
            Await.until("bob refused the proof of someone who is not carol", () -> seen.stream().anyMatch(x ->
                    x instanceof ListenEvent.Failed f && f.peer().equals("carol") && f.why().contains("could not prove to be carol")));
            assertTrue(seen.stream().noneMatch(x -> x instanceof ListenEvent.Connected), "nobody connected: " + seen);
        }
    }
}
