package dev.tryst.transfer;

import dev.tryst.wire.TransferWire;
import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.wire.TransferWire.*;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The receiver against a scripted malicious sender, in process over a real loopback channel:
 * every hostile offer is refused with a clear reason, nothing is written outside the target, and
 * no file that failed to verify appears under its final name.
 */
@Timeout(30)
class FileReceiverTest {
    private ExecutorService pool;
    @TempDir
    Path tmp;
    Path target;
    Path outside;
    private SecureChannel evil;
    private Session evilSession;
    private Session receiver;

    @BeforeEach
    void connect() throws Exception {
        pool = Executors.newVirtualThreadPerTaskExecutor();
        target = Files.createDirectory(tmp.resolve("target"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        LoopbackSessions both = LoopbackSessions.open(pool);
        evilSession = both.initiator();
        evil = evilSession.channel();
        receiver = both.responder();
    }

    @AfterEach
    void close() throws IOException {
        evilSession.close();
        receiver.close();
        pool.shutdownNow();
    }

    private Future<FileReceiver.Result> receive(boolean overwrite) {
        return receive(overwrite, FileReceiver.Checkpoints.NONE);
    }

    private Future<FileReceiver.Result> receive(boolean overwrite, FileReceiver.Checkpoints checkpoints) {
        return pool.submit(() -> {
            Message first = StreamTransfer.awaitOffer(receiver);
            return FileReceiver.receive(receiver, (OfferFiles) first,
                    new FileReceiver.Options(target, overwrite, s -> true), StreamTransfer.Progress.NONE, checkpoints);
        });
    }

    private void offer(Entry... entries) throws IOException {
        long total = 0;
        for (Entry e : entries) {
            total += e.size();
        }
        evil.send(TransferWire.encode(new OfferFiles(entries.length, total)));
        for (byte[] r : TransferWire.encodeEntries(List.of(entries))) {
            evil.send(r);
        }
    }

    /** Reads the receiver's answer: its asks up to ACCEPT, or the DECLINE / ABORT it sent instead. */
    private Message answer(List<Ask> asks) throws IOException {
        while (true) {
            Message m = TransferWire.decode(evil.receive());
            if (m instanceof Request r) {
                asks.addAll(r.asks());
            } else {
                return m;
            }
        }
    }

    private static Entry file(String path, long size) {
        return new Entry(path, false, size, 1_700_000_000_000_000_000L, false);
    }

    private static TransferException failure(Future<?> f) {
        var e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(TransferException.class, e.getCause(), () -> "got " + e.getCause());
    }

    private List<Path> everythingUnder(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(x -> !x.equals(p)).toList();
        }
    }

    private void assertNothingWritten() throws IOException {
        assertEquals(List.of(), everythingUnder(target));
        assertEquals(List.of(), everythingUnder(outside));
    }

    @Test
    void hostileNamesAreRefusedBeforeAnythingIsWritten() throws Exception {
        assertRefusedBeforeAnythingIsWritten(List.of("/etc/evil", "../outside/evil", "a/../../outside/evil", "a\u0000b",
                "C:evil", "c:evil", "CON", "aux.txt", "a//b", "a/./b", "a\\b", ".evil.tryst-part", "x\u001b[2J"));
    }

    /** Each name offered alone, in a fresh session: refused as unsafe, the sender told so, nothing written. */
    private void assertRefusedBeforeAnythingIsWritten(List<String> names) throws Exception {
        for (String name : names) {
            connectFresh();
            var f = receive(false);
            offer(file(name, 1));
            Message m = answer(new ArrayList<>());
            TransferException e = failure(f);
            assertEquals(TransferException.Reason.UNSAFE_OFFER, e.reason(), name);
            assertInstanceOf(Abort.class, m, name);
            assertNothingWritten();
        }
    }

    @Test
    void finding5_namesThatHideOrReorderWhatTheyShowAreRefusedBeforeAnythingIsWritten() throws Exception {
        assertRefusedBeforeAnythingIsWritten(List.of("invoice\u202Efdp.exe", "a\u200Bb", "x\u0378"));
        connectFresh();
        var f = receive(false);
        offer(file("\u2764\uFE0F.txt", 1), file("\u2764.txt", 1)); // one file where a file system ignores U+FE0F
        answer(new ArrayList<>());
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.UNSAFE_OFFER, e.reason());
        assertTrue(e.getMessage().contains("invisible characters are ignored"), e.getMessage());
        assertNothingWritten();
    }

    /** Each case in a fresh session: the previous one ended in a refusal. */
    private void connectFresh() throws Exception {
        close();
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(tmp)).forEach(p -> p.toFile().delete());
        connect();
    }

    @Test
    void duplicateEntriesAreRefused() throws Exception {
        var f = receive(false);
        offer(file("a", 1), file("a", 1));
        answer(new ArrayList<>());
        assertEquals(TransferException.Reason.UNSAFE_OFFER, failure(f).reason());
        assertNothingWritten();
    }

    @Test
    void aSymlinkInTheTargetIsNotFollowed() throws Exception {
        Files.createSymbolicLink(target.resolve("link"), outside);
        var f = receive(false);
        offer(file("link/evil", 1));
        answer(new ArrayList<>());
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.UNSAFE_OFFER, e.reason());
        assertEquals(List.of(), everythingUnder(outside));
    }

    @Test
    void sizesThatDoNotAddUpAreRefused() throws Exception {
        var f = receive(false);
        evil.send(TransferWire.encode(new OfferFiles(1, 5)));
        evil.send(TransferWire.encodeEntries(List.of(file("a", 10))).getFirst());
        answer(new ArrayList<>());
        assertEquals(TransferException.Reason.UNSAFE_OFFER, failure(f).reason());
    }

    @Test
    void moreEntriesThanAnnouncedAreRefused() throws Exception {
        var f = receive(false);
        evil.send(TransferWire.encode(new OfferFiles(1, 2)));
        evil.send(TransferWire.encodeEntries(List.of(file("a", 1), file("b", 1))).getFirst());
        answer(new ArrayList<>());
        assertEquals(TransferException.Reason.UNSAFE_OFFER, failure(f).reason());
    }

    @Test
    void anOfferOfMillionsOfEntriesIsRefusedBeforeAllocating() throws Exception {
        Future<Message> f = pool.submit(() -> StreamTransfer.awaitOffer(receiver));
        ByteBuffer huge = ByteBuffer.allocate(13).put(TransferWire.OFFER_FILES).putInt(5_000_000).putLong(1);
        evil.send(huge.array());
        var e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertInstanceOf(dev.tryst.wire.WireException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("5000000 entries exceeds the limit"), e.getCause().getMessage());
    }

    @Test
    void aPetabyteFileIsRefusedForSpace() throws Exception {
        var f = receive(false);
        offer(file("big", 1L << 50));
        Message m = answer(new ArrayList<>());
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.NO_SPACE, e.reason());
        assertTrue(e.getMessage().contains("1.1 PB"), e.getMessage());
        assertInstanceOf(Decline.class, m);
        assertNothingWritten();
    }

    private void start(int index, long offset) throws IOException {
        evil.send(TransferWire.encode(new FileStart(index, offset)));
    }

    private void data(byte[] b) throws IOException {
        evil.send(TransferWire.encode(new Data(ByteBuffer.wrap(b))));
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void moreBytesThanClaimedAreRefusedAndNoFinalFileAppears() throws Exception {
        var f = receive(false);
        offer(file("a", 10));
        answer(new ArrayList<>());
        start(0, 0);
        data(new byte[20]);
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, failure(f).reason());
        assertFalse(Files.exists(target.resolve("a")));
    }

    @Test
    void fewerBytesThanClaimedAreRefused() throws Exception {
        var f = receive(false);
        offer(file("a", 10));
        answer(new ArrayList<>());
        start(0, 0);
        data(new byte[5]);
        evil.send(TransferWire.encode(new FileEnd(0, sha(new byte[5]))));
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, failure(f).reason());
        assertFalse(Files.exists(target.resolve("a")));
    }

    @Test
    void bytesThatDoNotMatchTheAnnouncedHashAreRejectedAndDiscarded() throws Exception {
        var f = receive(false);
        offer(file("a", 3));
        answer(new ArrayList<>());
        start(0, 0);
        data("abc".getBytes());
        evil.send(TransferWire.encode(new FileEnd(0, sha("abd".getBytes()))));
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.VERIFICATION_FAILED, e.reason());
        assertTrue(e.getMessage().contains("did not verify"), e.getMessage());
        assertNothingWritten(); // neither the final file nor the part file stays
    }

    @Test
    void dataOutsideAFileOrOutOfOrderIsRefused() throws Exception {
        var f = receive(false);
        offer(file("a", 3), file("b", 3));
        answer(new ArrayList<>());
        start(1, 0); // b before a
        assertEquals(TransferException.Reason.UNEXPECTED_MESSAGE, failure(f).reason());
    }

    @Test
    void aResumeOffsetThatWasNotAskedForIsRefused() throws Exception {
        var f = receive(false);
        offer(file("a", 100));
        answer(new ArrayList<>());
        start(0, 50);
        assertEquals(TransferException.Reason.UNEXPECTED_MESSAGE, failure(f).reason());
        assertFalse(Files.exists(target.resolve("a")));
    }

    @Test
    void aZstdBombIsRefused() throws Exception {
        var f = receive(false);
        offer(file("a", 1 << 20));
        answer(new ArrayList<>());
        start(0, 0);
        byte[] bomb = com.github.luben.zstd.Zstd.compress(new byte[1 << 20]);
        byte[] rec = new byte[1 + bomb.length];
        rec[0] = TransferWire.DATA_ZSTD;
        System.arraycopy(bomb, 0, rec, 1, bomb.length);
        evil.send(rec);
        var e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertInstanceOf(dev.tryst.wire.WireException.class, e.getCause());
        assertFalse(Files.exists(target.resolve("a")));
    }

    @Test
    void anExistingDifferentFileIsNotOverwrittenWithoutTheFlag() throws Exception {
        Files.writeString(target.resolve("a"), "mine, longer");
        var f = receive(false);
        offer(file("a", 3));
        Message m = answer(new ArrayList<>());
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.CONFLICT, e.reason());
        assertTrue(e.getMessage().contains("not overwriting existing a in ") && e.getMessage().contains("nothing was received"),
                e.getMessage()); // the remedy is the caller's to give (the command line: --overwrite or --out)
        assertInstanceOf(Decline.class, m);
        assertEquals("mine, longer", Files.readString(target.resolve("a")));
    }

    @Test
    void aFileWhereTheOfferNeedsAFolderIsAConflictNotAnUnsafeOffer() throws Exception {
        Files.writeString(target.resolve("a"), "mine");
        var f = receive(false);
        offer(file("a/b", 1));
        answer(new ArrayList<>());
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.CONFLICT, e.reason());
        assertTrue(e.getMessage().contains("a is a file"), e.getMessage());
        assertEquals("mine", Files.readString(target.resolve("a")));
    }

    /** Sends one whole file as the sender would: FILE_START, its bytes in chunks, FILE_END. */
    private void sendFile(int index, byte[] b) throws Exception {
        start(index, 0);
        for (int off = 0; off < b.length; off += TransferWire.MAX_CHUNK) {
            data(java.util.Arrays.copyOfRange(b, off, Math.min(b.length, off + TransferWire.MAX_CHUNK)));
        }
        evil.send(TransferWire.encode(new FileEnd(index, sha(b))));
    }

    /** FILES_DONE, then the receiver's verdict (DONE or ABORT) past its PROGRESS reports. */
    private Message filesDone() throws IOException {
        evil.send(TransferWire.encode(new FilesDone()));
        Message m;
        do {
            m = TransferWire.decode(evil.receive());
        } while (m instanceof TransferWire.Progress);
        evil.shutdownOutput();
        return m;
    }

    /** Directory handles where the platform has them (Linux), or the by-path fallback (what macOS and Windows get). */
    private static FileReceiver.Checkpoints handles(boolean handles) {
        return new FileReceiver.Checkpoints() {
            @Override
            public boolean directoryHandles() {
                return handles;
            }
        };
    }

    @ParameterizedTest(name = "directory handles: {0}")
    @ValueSource(booleans = {true, false})
    void finding3_stateFileSymlinkIsNotFollowed(boolean handles) throws Exception {
        Path victim = Files.writeString(outside.resolve("bashrc"), "mine");
        Files.createSymbolicLink(target.resolve(".big.tryst-state"), victim); // planted by another local user
        byte[] big = new byte[1 << 20]; // big enough to have a state file
        new java.util.Random(3).nextBytes(big);
        var f = receive(false, handles(handles));
        offer(file("big", big.length));
        assertInstanceOf(Accept.class, answer(new ArrayList<>()));
        sendFile(0, big);
        assertInstanceOf(Done.class, filesDone());
        assertEquals(1, f.get(10, TimeUnit.SECONDS).files());
        assertEquals("mine", Files.readString(victim), "the link's target was written");
        assertArrayEquals(big, Files.readAllBytes(target.resolve("big")));
        assertEquals(List.of(target.resolve("big")), everythingUnder(target), "the planted link is gone, nothing else left");
    }

    @ParameterizedTest(name = "directory handles: {0}")
    @ValueSource(booleans = {true, false})
    void finding3_stateFileSymlinkIsNotReadForAResume(boolean handles) throws Exception {
        Entry big = file("big", (1 << 20) + 10);
        Files.write(target.resolve(".big.tryst-part"), new byte[1000]);
        Path elsewhere = Files.writeString(outside.resolve("state"),
                "tryst partial file v1\nsize=" + big.size() + "\nmtime=" + big.mtimeNanos() + "\n");
        Files.createSymbolicLink(target.resolve(".big.tryst-state"), elsewhere);
        var f = receive(false, handles(handles));
        offer(big);
        List<Ask> asks = new ArrayList<>();
        assertInstanceOf(Accept.class, answer(asks));
        assertEquals(List.of(new Ask(0, TransferWire.ASK_FRESH, 0, TransferWire.NO_HASH)), asks,
                "a state file read through a link made the part look resumable");
        evil.send(TransferWire.encode(new Abort("test over")));
        assertEquals(TransferException.Reason.ABORTED_BY_PEER, failure(f).reason());
    }

    @ParameterizedTest(name = "directory handles: {0}")
    @ValueSource(booleans = {true, false})
    void finding3_partSwappedBeforeRenameGetsNoMetadata(boolean handles) throws Exception {
        Path victim = Files.writeString(outside.resolve("victim"), "mine");
        Files.setPosixFilePermissions(victim, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        java.nio.file.attribute.FileTime before = java.nio.file.attribute.FileTime.fromMillis(1_500_000_000_000L);
        Files.setLastModifiedTime(victim, before);
        Path part = target.resolve(".tool.tryst-part");
        var f = receive(false, new FileReceiver.Checkpoints() {
            @Override
            public boolean directoryHandles() {
                return handles;
            }

            @Override
            public void partVerified(String rel) throws IOException {
                Files.move(part, tmp.resolve("taken"));
                Files.createSymbolicLink(part, victim);
            }
        });
        offer(new Entry("tool", false, 3, 1_700_000_000_000_000_000L, true));
        assertInstanceOf(Accept.class, answer(new ArrayList<>()));
        sendFile(0, "abc".getBytes());
        assertInstanceOf(Abort.class, filesDone());
        var e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertInstanceOf(LocalIoException.class, e.getCause());
        assertTrue(e.getCause().getCause().getMessage().contains("replaced"), e.getCause().getCause().getMessage());
        assertEquals(before, Files.getLastModifiedTime(victim), "the victim's time was set");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)),
                "the victim was made executable");
        assertEquals("mine", Files.readString(victim));
        assertFalse(Files.exists(target.resolve("tool"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void finding3_intermediateFolderSwappedForSymlinkBeforeThePartOpensWritesNothingOutside() throws Exception {
        try (TargetFolder t = TargetFolder.open(target, true)) { // the fallback cannot do this: see TargetFolder
            if (System.getProperty("os.name").startsWith("Linux")) {
                assertTrue(t.handles(), "Linux has SecureDirectoryStream");
            }
            Assumptions.assumeTrue(t.handles(), "no directory handles on this platform");
        }
        Files.createDirectory(target.resolve("a"));
        Path moved = tmp.resolve("moved");
        var f = receive(false, new FileReceiver.Checkpoints() {
            @Override
            public void partFolderReady(String rel) throws IOException {
                Files.move(target.resolve("a"), moved);
                Files.createSymbolicLink(target.resolve("a"), outside);
            }
        });
        offer(file("a/f", 3));
        assertInstanceOf(Accept.class, answer(new ArrayList<>()));
        sendFile(0, "abc".getBytes());
        Message verdict = filesDone();
        assertEquals(List.of(), everythingUnder(outside), "written through the swapped-in link");
        assertInstanceOf(Done.class, verdict);
        assertEquals(1, f.get(10, TimeUnit.SECONDS).files());
        assertEquals("abc", Files.readString(moved.resolve("f")), "the file is in the folder that was checked");
    }

    @Test
    void twoFilesUnderAFileInTheWayAreBothConflictsNotAnUnsafeOffer() throws Exception {
        Files.writeString(target.resolve("a"), "mine");
        var f = receive(false);
        offer(file("a/b", 1), file("a/c", 1));
        assertInstanceOf(Decline.class, answer(new ArrayList<>()));
        TransferException e = failure(f);
        assertEquals(TransferException.Reason.CONFLICT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("a/b (a is a file") && e.getMessage().contains("a/c (a is a file"), e.getMessage());
        assertEquals("mine", Files.readString(target.resolve("a")));
    }

    @Test
    void anHonestTransferStillWorksAfterAllThat() throws Exception {
        var f = receive(false);
        offer(new Entry("d", true, 0, 1_600_000_000_000_000_000L, false), file("d/a", 3));
        List<Ask> asks = new ArrayList<>();
        assertInstanceOf(Accept.class, answer(asks));
        assertEquals(List.of(new Ask(1, TransferWire.ASK_FRESH, 0, TransferWire.NO_HASH)), asks);
        start(1, 0);
        data("abc".getBytes());
        evil.send(TransferWire.encode(new FileEnd(1, sha("abc".getBytes()))));
        evil.send(TransferWire.encode(new FilesDone()));
        Message m;
        do {
            m = TransferWire.decode(evil.receive());
        } while (m instanceof TransferWire.Progress);
        assertInstanceOf(Done.class, m);
        evil.shutdownOutput();
        FileReceiver.Result r = f.get(10, TimeUnit.SECONDS);
        assertEquals(1, r.files());
        assertEquals("abc", Files.readString(target.resolve("d/a")));
        assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(target.resolve("d/a")).toMillis());
        assertEquals(1_600_000_000_000L, Files.getLastModifiedTime(target.resolve("d")).toMillis());
        assertEquals(List.of(target.resolve("d"), target.resolve("d/a")), everythingUnder(target));
    }
}
