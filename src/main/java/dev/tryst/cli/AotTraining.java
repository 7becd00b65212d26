package dev.tryst.cli;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.code.Code;
import dev.tryst.net.Watchdog;
import java.time.Duration;
import dev.tryst.transfer.StreamTransfer;
import dev.tryst.transfer.TransferWire;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import dev.tryst.client.ControlClient;
import dev.tryst.client.Connector;
import dev.tryst.client.EventClient;
import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import dev.tryst.identity.Sealed;
import dev.tryst.relay.RelayConfig;
import dev.tryst.relay.RelayServer;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import dev.tryst.tls.Pin;
import dev.tryst.tls.ServerIdentity;
import dev.tryst.tls.Tls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * What the launcher runs once after a build to train the JDK 25 AOT cache: the classes a real
 * send/receive loads (command line, code words, SPAKE2, HKDF, AES-GCM, sockets), over loopback.
 */
final class AotTraining {
    private AotTraining() {}

    static int run() throws Exception {
        StringWriter sink = new StringWriter();
        CommandLine().setOut(new PrintWriter(sink)).setErr(new PrintWriter(sink)).execute("send", "--help");
        SecureRandom random = new SecureRandom();
        Code code = Code.parse(Code.generate(random, Code.DEFAULT_WORDS).phrase());
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<Long> sender = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel s = SocketChannel.open(server.getLocalAddress());
                     Session session = session(Handshake.run(s, Handshake.Role.INITIATOR, code.password(), random))) {
                    byte[] text = "hello".getBytes();
                    return StreamTransfer.send(session, TransferWire.KIND_TEXT, new ByteArrayInputStream(text), text.length,
                            StreamTransfer.Progress.NONE);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SocketChannel s = server.accept();
                 Session session = session(Handshake.run(s, Handshake.Role.RESPONDER, code.password(), random))) {
                StreamTransfer.receive(session, new ByteArrayOutputStream(), StreamTransfer.Progress.NONE);
            }
            sender.get();
        }
        rendezvous(random);
        return 0;
    }

    /**
     * A room meeting and a sealed message over TLS against an in-process server, as send,
     * receive, msg and inbox do them: TLS 1.3, the control framing, identity login, SQLite.
     */
    private static void rendezvous(SecureRandom random) throws Exception {
        Path dir = Files.createTempDirectory("tryst-aot");
        try {
            ServerIdentity tls = ServerIdentity.loadOrCreate(dir);
            InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            try (EventStore store = EventStore.open(dir, EventLimits.defaults(), InstantSource.system());
                 RelayServer relay = RelayServer.start(RelayConfig.defaults().withBind(loopback));
                 RendezvousServer server = RendezvousServer.start(RendezvousConfig.defaults().withBind(loopback),
                         Tls.serverSocketFactory(tls), new RendezvousBackend(tls.fingerprint().hex(),
                                 relay.address().getPort(), store))) {
                ControlClient.Server where = new ControlClient.Server(server.address(),
                        Pin.trustOnFirstUse(dir.resolve("known_servers")), false);
                var timeouts = Connector.Timeouts.defaults(Handshake.Role.INITIATOR);
                try (ControlClient a = ControlClient.connect(where, null, Duration.ofSeconds(10));
                     ControlClient b = ControlClient.connect(where, null, Duration.ofSeconds(10))) {
                    Code code = Connector.createRoom(a, null, Code.DEFAULT_WORDS, random);
                    CompletableFuture<Session> sender = CompletableFuture.supplyAsync(() -> {
                        try {
                            return Connector.viaRoom(a, code, Handshake.Role.INITIATOR, timeouts, null, Connector.Direct.defaults(), random);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    Connector.joinRoom(b, Code.parse(code.phrase()));
                    try (Session r = Connector.viaRoom(b, code, Handshake.Role.RESPONDER, timeouts, null, Connector.Direct.defaults(), random);
                         Session s = sender.get()) {
                        byte[] text = "hello".getBytes();
                        CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                            try {
                                return StreamTransfer.send(s, TransferWire.KIND_TEXT, new ByteArrayInputStream(text),
                                        text.length, StreamTransfer.Progress.NONE);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        StreamTransfer.receive(r, new ByteArrayOutputStream(), StreamTransfer.Progress.NONE);
                        sent.get();
                    }
                }
                Identity me = Identity.generate();
                try (EventClient c = EventClient.login(where, me, InstantSource.system(), Duration.ofSeconds(10))) {
                    c.sendMessage(me.publicKey(), "note".getBytes(), Duration.ofSeconds(10));
                    c.resume(0);
                    Sealed.open(me, c.nextEvent(Duration.ofSeconds(10)).data().toByteArray());
                    c.ack(1);
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static Session session(SecureChannel ch) {
        return Session.start(ch, Watchdog.watch(ch, Duration.ofSeconds(30)), Duration.ofSeconds(30), "loopback");
    }

    private static picocli.CommandLine CommandLine() {
        return Main.commandLine();
    }
}
