package dev.tryst.cli;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.client.Session;
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
        return 0;
    }

    private static Session session(SecureChannel ch) {
        return Session.start(ch, Watchdog.watch(ch, Duration.ofSeconds(30)), Duration.ofSeconds(30), "loopback");
    }

    private static picocli.CommandLine CommandLine() {
        return Main.commandLine();
    }
}
