package dev.tryst.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.session.Session;
import dev.tryst.transfer.FileSender;
import dev.tryst.transfer.LoopbackSessions;
import dev.tryst.transfer.StreamTransfer;
import dev.tryst.wire.TransferWire;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a receiver accepts after its direct path died and the sender offers again through the
 * relay: the same offer goes on without asking twice; another one is asked about again.
 */
@Timeout(60)
class FallbackOfferTest {
    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static FileSender.Source source(Path file, String offeredAs, boolean executable) throws Exception {
        var e = new TransferWire.Entry(offeredAs, false, Files.size(file),
                Files.getLastModifiedTime(file).to(java.util.concurrent.TimeUnit.NANOSECONDS), executable);
        return new FileSender.Source(e, file);
    }

    /** What a receiver did across a fallback: how often it was asked, and how it ended. */
    private record Outcome(int asked, Exception failure) {}

    /**
     * A receiver accepts the first offer, whose direct path the sender then drops (no CLOSE); the
     * sender offers {@code second} through the relay; the receiver says {@code yesAgain} if asked again.
     */
    private Outcome fallBack(Path target, FileSender.Source first, FileSender.Source second, boolean yesAgain) throws Exception {
        LoopbackSessions direct = LoopbackSessions.open(pool);
        LoopbackSessions relay = LoopbackSessions.open(pool);
        try {
            Session receiver = direct.responder().withFallback(relay::responder);
            AtomicInteger asked = new AtomicInteger();
            var options = new ReceiveOptions(target, false, summary -> {
                if (asked.incrementAndGet() == 1) {
                    pool.submit(() -> {
                        direct.initiator().channel().transport().close(); // the sender drops the direct path
                        return null;
                    });
                    return true;
                }
                return yesAgain;
            }, new ByteArrayOutputStream());
            pool.submit(() -> FileSender.send(direct.initiator(), List.of(first), StreamTransfer.Progress.NONE));
            pool.submit(() -> FileSender.send(relay.initiator(), List.of(second), StreamTransfer.Progress.NONE));
            var offer = (TransferWire.OfferFiles) StreamTransfer.awaitOffer(receiver);
            try {
                Tryst.receiveFiles(receiver, offer, options, e -> { });
                return new Outcome(asked.get(), null);
            } catch (java.io.IOException e) {
                return new Outcome(asked.get(), e);
            }
        } finally {
            direct.close();
            relay.close();
        }
    }

    /**
     * Finding 2: a sender has a harmless file approved, drops the direct path on purpose, then
     * offers through the relay another path with the same count and total — an executable
     * {@code .git/hooks/pre-commit} — which used to be written without a prompt.
     */
    @Test
    void finding2_aDifferentOfferAfterTheFallbackIsAskedAboutAgain() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(2).nextBytes(data);
        Path photo = dir.resolve("photo.jpg");
        Files.write(photo, data);
        Path hook = dir.resolve("hook");
        Files.write(hook, data);
        Path target = Files.createDirectories(dir.resolve("target"));
        Outcome o = fallBack(target, source(photo, "photo.jpg", false), source(hook, ".git/hooks/pre-commit", true), false);
        assertEquals(2, o.asked(), "the second, different offer was asked about");
        assertTrue(o.failure() != null, "and declined");
        assertFalse(Files.exists(target.resolve(".git/hooks/pre-commit")), "and nothing of it was written");
    }

    /** Only a broken path is mended through the relay: the peer's broken messages and our own disk are not. */
    @Test
    void onlyABrokenPathFallsBack() {
        org.junit.jupiter.api.Assertions.assertTrue(Tryst.pathBroke(new dev.tryst.channel.ChannelCutException("cut")));
        org.junit.jupiter.api.Assertions.assertTrue(Tryst.pathBroke(new java.net.SocketException("Connection reset")));
        assertFalse(Tryst.pathBroke(new dev.tryst.wire.WireException("a bad zstd frame")));
        assertFalse(Tryst.pathBroke(new dev.tryst.transfer.TransferException(dev.tryst.transfer.TransferException.Reason.DECLINED, "no")));
        assertFalse(Tryst.pathBroke(new dev.tryst.transfer.LocalIoException("disk", new java.io.IOException("full"))));
    }

    /** The same offer again after a fallback resumes without asking twice. */
    @Test
    void theSameOfferAfterTheFallbackIsNotAskedTwice() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(3).nextBytes(data);
        Path photo = dir.resolve("photo.jpg");
        Files.write(photo, data);
        Path target = Files.createDirectories(dir.resolve("target"));
        var source = source(photo, "photo.jpg", false);
        Outcome o = fallBack(target, source, source, false);
        assertEquals(null, o.failure());
        assertEquals(1, o.asked(), "accepted once");
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, Files.readAllBytes(target.resolve("photo.jpg")));
    }
}
