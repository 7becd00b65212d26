package dev.tryst.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.session.Session;
import dev.tryst.wire.TransferWire.OfferFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real sender and the real receiver, in process over a loopback channel, on real files: what
 * arrives is what was sent (bytes, times, executable bits, folder times), batches of small files and
 * big files placed alone alike, a big part file with its state is resumed, an identical file is
 * skipped, and no working file is left behind.
 */
@Timeout(60)
class FileRoundTripTest {
    private static final long MTIME = 1_650_000_000_123_456_789L;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    @TempDir
    Path tmp;
    Path source;
    Path target;
    private Session sender;
    private Session receiver;

    @BeforeEach
    void connect() throws Exception {
        source = Files.createDirectory(tmp.resolve("source"));
        target = Files.createDirectory(tmp.resolve("target"));
        LoopbackSessions both = LoopbackSessions.open(pool);
        sender = both.initiator();
        receiver = both.responder();
    }

    @AfterEach
    void close() throws IOException {
        sender.close();
        receiver.close();
        pool.shutdownNow();
    }

    /** Sends {@code sent}; the receiver uses directory handles where the platform has them if {@code handles}, else paths. */
    private FileReceiver.Result transfer(boolean handles, Path... sent) throws Exception {
        Future<FileReceiver.Result> got = pool.submit(() -> FileReceiver.receive(receiver,
                (OfferFiles) StreamTransfer.awaitOffer(receiver),
                new FileReceiver.Options(target, false, s -> true), StreamTransfer.Progress.NONE,
                new FileReceiver.Checkpoints() {
                    @Override
                    public boolean directoryHandles() {
                        return handles;
                    }
                }));
        FileSender.send(sender, FileSender.scan(List.of(sent), w -> fail(w)), StreamTransfer.Progress.NONE);
        return got.get(30, TimeUnit.SECONDS);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static Path write(Path p, byte[] b) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, b);
        Files.setLastModifiedTime(p, FileTime.from(MTIME, TimeUnit.NANOSECONDS));
        return p;
    }

    private List<String> names(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @ParameterizedTest(name = "directory handles: {0}")
    @ValueSource(booleans = {true, false})
    void aTreeArrivesWithItsBytesTimesAndModes(boolean handles) throws Exception {
        Path tree = source.resolve("tree");
        List<byte[]> small = new ArrayList<>();
        for (int i = 0; i < 300; i++) { // more than one batch of small files
            small.add(random(i * 7, i));
            write(tree.resolve("many/f" + i), small.get(i));
        }
        byte[] big = random((3 << 20) / 2, 99); // placed alone
        write(tree.resolve("big.bin"), big);
        write(tree.resolve("empty"), new byte[0]);
        Path tool = write(tree.resolve("bin/tool"), "#!/bin/sh\necho hi\n".getBytes());
        Files.setPosixFilePermissions(tool, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(tool, FileTime.from(MTIME, TimeUnit.NANOSECONDS));
        for (String d : List.of("many", "bin", "")) {
            Files.setLastModifiedTime(tree.resolve(d), FileTime.from(MTIME + 1_000_000_000L, TimeUnit.NANOSECONDS));
        }

        FileReceiver.Result r = transfer(handles, tree);

        assertEquals(303, r.files());
        assertEquals(3, r.directories());
        assertEquals(0, r.skipped());
        assertEquals(names(source), names(target), "the same tree, no working file left");
        Path got = target.resolve("tree");
        for (int i = 0; i < 300; i++) {
            assertArrayEquals(small.get(i), Files.readAllBytes(got.resolve("many/f" + i)));
        }
        assertArrayEquals(big, Files.readAllBytes(got.resolve("big.bin")));
        assertEquals(0, Files.size(got.resolve("empty")));
        assertEquals(FileTime.from(MTIME, TimeUnit.NANOSECONDS), Files.getLastModifiedTime(got.resolve("big.bin")));
        assertEquals(FileTime.from(MTIME, TimeUnit.NANOSECONDS), Files.getLastModifiedTime(got.resolve("many/f7")));
        assertEquals(FileTime.from(MTIME + 1_000_000_000L, TimeUnit.NANOSECONDS), Files.getLastModifiedTime(got.resolve("many")));
        assertEquals(FileTime.from(MTIME + 1_000_000_000L, TimeUnit.NANOSECONDS), Files.getLastModifiedTime(got));
        assertTrue(Files.getPosixFilePermissions(got.resolve("bin/tool")).contains(PosixFilePermission.OWNER_EXECUTE));
        assertFalse(Files.getPosixFilePermissions(got.resolve("big.bin")).contains(PosixFilePermission.OWNER_EXECUTE));
    }

    @ParameterizedTest(name = "directory handles: {0}")
    @ValueSource(booleans = {true, false})
    void aBigPartWithItsStateIsResumedAndAnIdenticalFileSkipped(boolean handles) throws Exception {
        byte[] big = random(3 << 20, 5);
        write(source.resolve("big.bin"), big);
        byte[] same = random(1000, 6);
        write(source.resolve("same"), same);
        Files.write(target.resolve(".big.bin.tryst-part"), java.util.Arrays.copyOf(big, 1 << 20));
        Files.writeString(target.resolve(".big.bin.tryst-state"),
                "tryst partial file v1\nsize=" + big.length + "\nmtime=" + MTIME + "\n");
        Files.write(target.resolve("same"), same);

        FileReceiver.Result r = transfer(handles, source.resolve("big.bin"), source.resolve("same"));

        assertEquals(1, r.resumed());
        assertEquals(1, r.skipped());
        assertEquals(big.length - (1 << 20), r.bytesReceived());
        assertArrayEquals(big, Files.readAllBytes(target.resolve("big.bin")));
        assertEquals(List.of("big.bin", "same"), names(target), "the part and its state are gone");
        assertTrue(Files.isRegularFile(target.resolve("big.bin"), LinkOption.NOFOLLOW_LINKS));
    }
}
