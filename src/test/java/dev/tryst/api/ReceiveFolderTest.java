package dev.tryst.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's folder (issue 15, bug 1): what cannot hold files is said before the network is
 * touched; a missing folder is made when files are offered, and only then.
 */
@Timeout(120)
class ReceiveFolderTest {
    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private TrystServer server;
    private TrystOptions options;

    @BeforeEach
    void start() throws Exception {
        server = TrystServer.start(ServerConfig.loopback(dir.resolve("server")), n -> { });
        options = TrystOptions.defaults().withServer(server.controlTarget()).withPlainControl(true)
                .withKnownServers(dir.resolve("known_servers")).withWaitForPeer(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        server.close();
    }

    /** A folder that cannot be made fails at once, even with no server to reach: the code is not spent. */
    @Test
    void aFolderThatCannotBeMadeIsRefusedBeforeConnecting() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Tryst nowhere = new Tryst(options.withServer("127.0.0.1:" + closed));
        for (Path bad : new Path[] {file, file.resolve("below")}) {
            var e = assertThrows(TrystException.class, () -> nowhere.receive("7-pelican-walnut-glider",
                    ReceiveOptions.into(bad, new ByteArrayOutputStream()), ev -> { }));
            assertEquals(TrystException.Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        }
    }

    @Test
    void aMissingFolderIsMadeWhenFilesArrive() throws Exception {
        Path src = Files.write(dir.resolve("photo.jpg"), new byte[] {1, 2, 3, 4});
        Path out = dir.resolve("new/deeper/folder");
        Received got = transfer(Offer.files(src), ReceiveOptions.into(out, new ByteArrayOutputStream()));
        assertEquals(Received.Kind.FILES, got.kind());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, Files.readAllBytes(out.resolve("photo.jpg")));
    }

    @Test
    void aTextMakesNoFolder() throws Exception {
        Path out = dir.resolve("not-needed");
        var text = new ByteArrayOutputStream();
        Received got = transfer(Offer.text("hello"), ReceiveOptions.into(out, text));
        assertEquals(Received.Kind.TEXT, got.kind());
        assertEquals("hello", text.toString());
        assertFalse(Files.exists(out), "no folder for a text");
    }

    @Test
    void aDeclinedOfferLeavesNoFolderBehind() throws Exception {
        Path src = Files.write(dir.resolve("photo.jpg"), new byte[] {1, 2, 3, 4});
        Path out = dir.resolve("declined");
        var options = new ReceiveOptions(out, false, summary -> false, new ByteArrayOutputStream());
        assertThrows(TrystException.class, () -> transfer(Offer.files(src), options));
        assertFalse(Files.exists(out), "the folder made for the offer is gone again");
    }

    private Received transfer(Offer offer, ReceiveOptions receive) throws Exception {
        var code = new LinkedBlockingQueue<String>();
        Future<Sent> sent = pool.submit(() -> new Tryst(options).send(offer, e -> {
            if (e instanceof TransferEvent.CodeReady c) {
                code.add(c.code());
            }
        }));
        String c = code.poll(60, TimeUnit.SECONDS);
        try {
            return new Tryst(options).receive(c, receive, e -> { });
        } finally {
            try {
                sent.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException ignored) {
                // a declined offer fails the sender too
            }
        }
    }
}
