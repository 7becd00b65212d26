package dev.tryst.cli;

import dev.tryst.api.LocalIdentity;
import dev.tryst.api.Mailbox;
import dev.tryst.api.Offer;
import dev.tryst.api.ReceiveOptions;
import dev.tryst.api.ServerConfig;
import dev.tryst.api.TransferEvent;
import dev.tryst.api.Tryst;
import dev.tryst.api.TrystOptions;
import dev.tryst.api.TrystServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What the launcher runs once after a build to train the JDK 25 AOT cache: the classes a real
 * send/receive, msg and inbox load (command line, code words, TLS 1.3, the control framing, SPAKE2,
 * HKDF, AES-GCM, sockets, SQLite), through the public API against an in-process server on loopback.
 */
final class AotTraining {
    private AotTraining() {}

    static int run() throws Exception {
        StringWriter sink = new StringWriter();
        Main.commandLine().setOut(new PrintWriter(sink)).setErr(new PrintWriter(sink)).execute("send", "--help");
        Path dir = Files.createTempDirectory("tryst-aot");
        try {
            ServerConfig config = new ServerConfig("127.0.0.1", 0, 0, -1, dir, null, null, false, null, null, null, null);
            try (TrystServer server = TrystServer.start(config, n -> { })) {
                TrystOptions options = TrystOptions.defaults().withServer(server.controlTarget())
                        .withKnownServers(dir.resolve("known_servers")).withWaitForPeer(Duration.ofSeconds(30));
                Tryst tryst = new Tryst(options);
                CompletableFuture<String> code = new CompletableFuture<>();
                CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                    try {
                        tryst.send(Offer.text("hello"), e -> {
                            if (e instanceof TransferEvent.CodeReady c) {
                                code.complete(c.code());
                            }
                        });
                    } catch (Exception e) {
                        code.completeExceptionally(e);
                        throw new IllegalStateException(e);
                    }
                });
                tryst.receive(code.get(), ReceiveOptions.into(dir, new ByteArrayOutputStream()), e -> { });
                sent.get();
                LocalIdentity me = LocalIdentity.ephemeral();
                try (Mailbox box = Mailbox.open(options, me, dir)) {
                    box.send(me.publicKey(), "note");
                    box.read(new Mailbox.Reading(1, false, Duration.ofSeconds(10)), m -> { }, n -> { });
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        return 0;
    }
}
