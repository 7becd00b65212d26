package dev.tryst.e2e;

import static dev.tryst.e2e.TextTransferIT.sha256;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files and folders as a user meets them: a real server, and sender and receiver processes on
 * loopback, with trees, resume after a killed process, refusals and a full disk.
 */
class FileTransferIT {
    private static final Duration T = Duration.ofSeconds(90);
    private static final long MIB = 1L << 20;
    private static final long BIG = 256 * MIB;
    private static final Pattern PAIR_ENDED =
            Pattern.compile("event=pair_ended pair=(\\d+) duration_ms=\\d+ bytes_first_to_second=(\\d+) bytes_second_to_first=(\\d+)"
                    + " reason=\"?([^\"\\n]*)\"?");

    @TempDir
    static Path dir;
    /** The relay of the tests that do not count bytes. */
    static Relay shared;
    private static int logs;

    @BeforeAll
    static void startServer() throws Exception {
        shared = Relay.start();
    }

    @AfterAll
    static void stopServer() {
        shared.close();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * A real {@code tryst server}. Tests that count bytes use one of their own, so its N-th session
     * is its pair N (pairs are numbered as they are stapled, and a test runs its sessions one after
     * the other).
     */
    record Relay(TrystProcess server, String address) implements AutoCloseable {
        static Relay start() throws Exception {
            TrystProcess p = tryst("server", "server", "--bind", "127.0.0.1", "--relay-port", "0", "--control-port", "-1",
                    "--stun-port", "-1", "--admin", "off");
            return new Relay(p, "127.0.0.1:" + p.awaitStderr("tryst relay listening on tcp \\S*:(\\d+)", T));
        }

        /** Waits for pair {@code id}'s end line: the bytes the first comer (the sender) pushed through, and back. */
        Pair pair(int id) throws Exception {
            long deadline = System.nanoTime() + T.toNanos();
            while (System.nanoTime() < deadline) {
                Matcher m = PAIR_ENDED.matcher(server.stderr());
                while (m.find()) {
                    if (Integer.parseInt(m.group(1)) == id) {
                        return new Pair(id, Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), m.group(4));
                    }
                }
                Thread.sleep(50);
            }
            throw new AssertionError("relay pair " + id + " did not end; server stderr:\n" + server.stderr());
        }

        @Override
        public void close() {
            server.close();
        }
    }

    record Pair(int id, long senderBytes, long backBytes, String reason) {}

    /** A process's output files go to the class directory, never into a tree being compared. */
    private static TrystProcess tryst(String name, String... args) throws IOException {
        return TrystProcess.start(dir, name + "-" + (++logs), args);
    }

    private static TrystProcess send(Relay relay, String name, Path... paths) throws IOException {
        List<String> args = new ArrayList<>(List.of("send", "--relay", relay.address()));
        for (Path p : paths) {
            args.add(p.toString());
        }
        return tryst(name, args.toArray(String[]::new));
    }

    private static TrystProcess receive(Relay relay, String name, String code, Path out, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of("receive", "--relay", relay.address(), "--out", out.toString()));
        args.addAll(List.of(flags));
        args.add(code);
        return tryst(name, args.toArray(String[]::new));
    }

    private static String code(TrystProcess sender) throws Exception {
        return sender.awaitStderr("Code: (\\S+)", T);
    }

    /** A file of seeded random bytes (incompressible), written a mebibyte at a time. */
    private static Path randomFile(Path p, long size, long seed) throws IOException {
        Random r = new Random(seed);
        byte[] b = new byte[(int) MIB];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long left = size; left > 0; left -= b.length) {
                r.nextBytes(b);
                out.write(b, 0, (int) Math.min(b.length, left));
            }
        }
        return p;
    }

    private static Path part(Path out, String name) {
        return out.resolve("." + name + ".tryst-part");
    }

    private static Path state(Path out, String name) {
        return out.resolve("." + name + ".tryst-state");
    }

    private static long sizeOr0(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Waits until the receiver's part file of {@code name} holds more than {@code bytes}, the transfer still running. */
    private static long awaitPartAbove(Path out, String name, long bytes, TrystProcess send, TrystProcess recv) throws Exception {
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline) {
            long n = sizeOr0(part(out, name));
            if (n > bytes) {
                return n;
            }
            if (!send.process.isAlive() || !recv.process.isAlive()) {
                fail("a side ended before " + bytes + " bytes arrived; sender:\n" + send.stderr() + "\nreceiver:\n" + recv.stderr());
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the part file did not pass " + bytes + " bytes; receiver:\n" + recv.stderr());
    }

    private static List<Path> leftovers(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".tryst-part") || n.endsWith(".tryst-state");
            }).toList();
        }
    }

    /** What must survive a transfer, per relative path: kind, content, time, owner-executable bit. */
    record Node(boolean directory, String sha256, long mtimeMillis, boolean ownerExecutable) {}

    private static Map<String, Node> snapshot(Path root) throws IOException {
        Map<String, Node> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue; // the caller checks links on its own
                }
                boolean d = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                m.put(root.relativize(p).toString(), new Node(d, d ? null : sha256(p),
                        Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis(),
                        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE)));
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- 1. a tree

    @Test
    @Timeout(120)
    void treeArrivesIdentical(@TempDir Path tmp) throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("src/tree"));
        Path nested = Files.createDirectories(tree.resolve("a/b/c"));
        Files.createDirectories(tree.resolve("empty"));
        Files.createDirectories(tree.resolve("a/empty inside"));
        Path uni = Files.createDirectories(tree.resolve("ünïcødé 目录"));
        Files.createFile(tree.resolve("a/empty.txt"));
        Files.writeString(tree.resolve("héllo 日本.txt"), "こんにちは, wörld\n");
        Files.writeString(uni.resolve("🎉 party 🚀.md"), "# 🎉\n");
        Path script = tree.resolve("a/run.sh");
        Files.writeString(script, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        randomFile(nested.resolve("random.bin"), 3_000_000, 1);
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 5_000_000; i++) {
            text.append("line ").append(i).append(": the quick brown fox jumps over the lazy dog\n");
        }
        Files.writeString(tree.resolve("a/b/big.txt"), text);
        Files.createSymbolicLink(tree.resolve("a/link"), Path.of("../héllo 日本.txt"));

        // Distinct, old times with sub-millisecond parts; folders last, deepest first.
        long base = Instant.parse("2001-02-03T04:05:06Z").toEpochMilli() * 1_000_000L;
        List<Path> all;
        try (Stream<Path> s = Files.walk(tree)) {
            all = new ArrayList<>(s.filter(p -> !Files.isSymbolicLink(p)).toList());
        }
        all.sort((x, y) -> Boolean.compare(Files.isDirectory(x), Files.isDirectory(y)) != 0
                ? Boolean.compare(Files.isDirectory(x), Files.isDirectory(y))
                : Integer.compare(y.getNameCount(), x.getNameCount()));
        long step = 0;
        for (Path p : all) {
            Files.setLastModifiedTime(p, FileTime.from(base + (step++) * 3_600_123_456_789L, TimeUnit.NANOSECONDS));
        }
        Map<String, Node> expected = snapshot(tree);

        Path out = Files.createDirectories(tmp.resolve("out"));
        try (var relay = Relay.start();
             var send = send(relay, "send-tree", tree);
             var recv = receive(relay, "recv-tree", code(send), out, "--yes")) {
            assertEquals(0, recv.await(T), recv.stderr());
            assertEquals(0, send.await(T), send.stderr());
            assertTrue(send.stderr().contains("skipping symbolic link"), send.stderr());
            assertTrue(send.stderr().contains("skipping symbolic link a/link"), send.stderr());
            // The text went compressed: far fewer bytes through the relay than the 8 MB offered.
            Pair p = relay.pair(1);
            assertTrue(p.senderBytes() < 3_000_000 + 2_500_000, p.toString());
        }
        Path got = out.resolve("tree");
        assertFalse(Files.exists(got.resolve("a/link"), LinkOption.NOFOLLOW_LINKS), "a symbolic link must not arrive");
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(List.of(), s.filter(Files::isSymbolicLink).toList());
        }
        assertEquals(expected, snapshot(got));
        assertEquals(List.of(), leftovers(out));
        assertFalse(Files.getPosixFilePermissions(got.resolve("a/b/big.txt")).contains(PosixFilePermission.OWNER_EXECUTE));
    }

    // ---------------------------------------------------------------- 2–4. resume

    /**
     * Sends a 256 MiB file, kills one side with SIGKILL once more than 32 MiB have arrived, and
     * checks the leftovers. Returns the part file's size.
     */
    private static long interrupted(Relay relay, Path src, Path out, boolean killSender) throws Exception {
        String name = src.getFileName().toString();
        try (var send = send(relay, "send-cut", src);
             var recv = receive(relay, "recv-cut", code(send), out, "--yes")) {
            awaitPartAbove(out, name, 32 * MIB, send, recv);
            TrystProcess victim = killSender ? send : recv;
            TrystProcess survivor = killSender ? recv : send;
            victim.process.destroyForcibly();
            victim.process.waitFor(30, TimeUnit.SECONDS);
            int code = survivor.await(T);
            // 5: the other side went away (whichever side survived).
            assertEquals(5, code, survivor.stderr());
        }
        long held = Files.size(part(out, name));
        assertTrue(held > 32 * MIB && held < BIG, "part file of " + held + " bytes");
        assertTrue(Files.exists(state(out, name)));
        assertFalse(Files.exists(out.resolve(name)), "an unfinished file must not be in place");
        return held;
    }

    /**
     * The most the sender may push through the relay to finish a file of which the receiver holds
     * {@code held} bytes: the missing bytes, plus 0.1 % for record framing (each ≤ 64 KiB chunk is
     * one record with a few bytes of header and a 16-byte tag, about 0.03 %), plus one whole record
     * of slack, plus 70 000 bytes for the handshake, the offer, FILE_START/FILE_END, FILES_DONE and
     * the end records. Sending the file again from the start would exceed it by ~32 MiB.
     */
    private static long resumeBound(long held) {
        return (long) ((BIG - held) * 1.001) + 70_000 + 64 * 1024;
    }

    private static void resumesAfterKilling(Path tmp, boolean killSender) throws Exception {
        Path src = randomFile(tmp.resolve("big.bin"), BIG, 256);
        Path out = Files.createDirectories(tmp.resolve("out"));
        try (var relay = Relay.start()) {
            long held = interrupted(relay, src, out, killSender);
            try (var send = send(relay, "send-resume", src);
                 var recv = receive(relay, "recv-resume", code(send), out, "--yes")) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals(0, send.await(T), send.stderr());
                assertTrue(recv.stderr().contains("resumed"), recv.stderr());
            }
            Pair p = relay.pair(2);
            assertTrue(p.senderBytes() >= BIG - held, "the missing bytes must all pass: " + p + ", held " + held);
            assertTrue(p.senderBytes() <= resumeBound(held),
                    "sent " + p.senderBytes() + " bytes, at most " + resumeBound(held) + " expected for " + held + " held");
        }
        assertEquals(sha256(src), sha256(out.resolve("big.bin")));
        assertEquals(Files.getLastModifiedTime(src).toMillis(), Files.getLastModifiedTime(out.resolve("big.bin")).toMillis());
        assertEquals(List.of(), leftovers(out));
    }

    @Test
    @Timeout(180)
    void resumesAfterTheSenderIsKilled(@TempDir Path tmp) throws Exception {
        resumesAfterKilling(tmp, true);
    }

    @Test
    @Timeout(180)
    void resumesAfterTheReceiverIsKilled(@TempDir Path tmp) throws Exception {
        resumesAfterKilling(tmp, false);
    }

    @Test
    @Timeout(180)
    void aSourceChangedBetweenRunsIsSentFromTheStart(@TempDir Path tmp) throws Exception {
        Path src = randomFile(tmp.resolve("big.bin"), BIG, 257);
        Path out = Files.createDirectories(tmp.resolve("out"));
        Relay relay = Relay.start();
        try (relay) {
            interrupted(relay, src, out, true);
            // Same size, same time: only the content tells the difference.
            FileTime mtime = Files.getLastModifiedTime(src);
            byte[] head = new byte[4096];
            new Random(4096).nextBytes(head);
            try (FileChannel f = FileChannel.open(src, StandardOpenOption.WRITE)) {
                f.write(ByteBuffer.wrap(head), 0);
            }
            Files.setLastModifiedTime(src, mtime);
            assertEquals(BIG, Files.size(src));

            try (var send = send(relay, "send-changed", src);
                 var recv = receive(relay, "recv-changed", code(send), out, "--yes")) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals(0, send.await(T), send.stderr());
                assertFalse(recv.stderr().contains("resumed"), recv.stderr());
            }
            Pair p = relay.pair(2);
            assertTrue(p.senderBytes() >= BIG, "the whole file must go again: " + p);
        }
        assertEquals(sha256(src), sha256(out.resolve("big.bin")));
        assertEquals(List.of(), leftovers(out));
    }

    // ---------------------------------------------------------------- 5–7. refusals

    /**
     * Without --yes and a terminal to ask on, files for an explicit --out are refused before the code
     * is spent (issue 15, bug 7): the same code then still works with --yes.
     */
    @Test
    @Timeout(120)
    void withoutYesAndWithoutATerminalFilesForOutAreRefusedBeforeConnecting(@TempDir Path tmp) throws Exception {
        Path src = Files.writeString(tmp.resolve("note.txt"), "wanted after all\n");
        Path out = Files.createDirectories(tmp.resolve("out"));
        try (var send = send(shared, "send-noterm", src)) {
            String code = code(send);
            try (var recv = receive(shared, "recv-noterm", code, out)) {
                assertEquals(2, recv.await(T), recv.stderr());
                assertTrue(recv.stderr().contains("no terminal to ask on; add --yes to accept them"), recv.stderr());
                assertFalse(recv.stderr().contains("Connected"), recv.stderr());
            }
            try (var recv = receive(shared, "recv-noterm-yes", code, out, "--yes")) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals(0, send.await(T), send.stderr());
            }
        }
        assertEquals("wanted after all\n", Files.readString(out.resolve("note.txt")));
    }

    /** With no --out, it is said before connecting that files would be declined; a text is received all the same. */
    @Test
    @Timeout(60)
    void withoutATerminalTheReceiverSaysFirstThatFilesWouldBeDeclined(@TempDir Path tmp) throws Exception {
        try (var send = tryst("send-noterm-text", "send", "--relay", shared.address(), "--text", "hello there");
             var recv = tryst("recv-noterm-text", "receive", "--relay", shared.address(), code(send))) {
            assertEquals(0, recv.await(T), recv.stderr());
            assertEquals(0, send.await(T), send.stderr());
            assertEquals("hello there\n", recv.stdout());
            String err = recv.stderr();
            int notice = err.indexOf("no terminal to ask on: an offer of files will be declined (--yes accepts)");
            assertTrue(notice >= 0, err);
        }
    }

    @Test
    @Timeout(120)
    void existingFilesAreNeverReplacedUnasked(@TempDir Path tmp) throws Exception {
        Path src = randomFile(Files.createDirectories(tmp.resolve("src")).resolve("doc.bin"), 8 * MIB, 6);
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path existing = Files.writeString(out.resolve("doc.bin"), "an older, shorter doc.bin\n");
        FileTime oldTime = FileTime.from(Instant.parse("2010-01-01T00:00:00Z"));
        Files.setLastModifiedTime(existing, oldTime);
        String oldHash = sha256(existing);

        // A different size: refused before anything is sent.
        try (var send = send(shared, "send-conflict", src);
             var recv = receive(shared, "recv-conflict", code(send), out, "--yes")) {
            assertEquals(10, recv.await(T), recv.stderr());
            assertEquals(7, send.await(T), send.stderr());
            assertTrue(recv.stderr().contains("doc.bin"), recv.stderr());
            assertTrue(recv.stderr().contains("--overwrite"), recv.stderr());
        }
        assertEquals(oldHash, sha256(existing));
        assertEquals(oldTime, Files.getLastModifiedTime(existing));
        assertEquals(List.of(), leftovers(out));

        // --overwrite names the file of another size it will replace, before asking.
        try (var send = send(shared, "send-replace-named", src);
             var recv = tryst("recv-replace-named", "receive", "--relay", shared.address(), "--out", out.toString(),
                     "--overwrite", "--yes", code(send))) {
            assertEquals(0, recv.await(T), recv.stderr());
            assertEquals(0, send.await(T), send.stderr());
            assertTrue(recv.stderr().contains("  will replace: doc.bin"), recv.stderr());
            assertTrue(recv.stderr().contains("; 8.4 MB to fetch into"), recv.stderr());
        }
        Files.writeString(existing, "an older, shorter doc.bin\n");
        Files.setLastModifiedTime(existing, oldTime);

        // The same size and different content: found out only once the sender's hash differs.
        byte[] same = new byte[(int) (8 * MIB)];
        Files.write(existing, same);
        Files.setLastModifiedTime(existing, oldTime);
        oldHash = sha256(existing);
        try (var send = send(shared, "send-conflict-same-size", src);
             var recv = receive(shared, "recv-conflict-same-size", code(send), out, "--yes")) {
            assertEquals(10, recv.await(T), recv.stderr());
            assertEquals(7, send.await(T), send.stderr());
            assertTrue(recv.stderr().contains("doc.bin"), recv.stderr());
            assertTrue(recv.stderr().contains("--overwrite"), recv.stderr());
        }
        assertEquals(oldHash, sha256(existing));
        assertEquals(oldTime, Files.getLastModifiedTime(existing));
        assertEquals(List.of(), leftovers(out));

        // --overwrite replaces it.
        try (var relay = Relay.start()) {
            try (var send = send(relay, "send-overwrite", src);
                 var recv = receive(relay, "recv-overwrite", code(send), out, "--yes", "--overwrite")) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals(0, send.await(T), send.stderr());
                // What moves for certain, and what more only if the same-size file differs (issue 15, bug 8)
                assertTrue(recv.stderr().contains("; 0 B to fetch (up to 8.4 MB if those of the same size differ)"),
                        recv.stderr());
            }
            assertEquals(sha256(src), sha256(existing));
            assertEquals(Files.getLastModifiedTime(src).toMillis(), Files.getLastModifiedTime(existing).toMillis());
            assertEquals(List.of(), leftovers(out));
            relay.pair(1);

            // An identical file is left alone and not sent again.
            try (var send = send(relay, "send-identical", src);
                 var recv = receive(relay, "recv-identical", code(send), out, "--yes")) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals(0, send.await(T), send.stderr());
                assertTrue(recv.stderr().contains("already there"), recv.stderr());
            }
            assertEquals(sha256(src), sha256(existing));
            Pair p = relay.pair(2);
            assertTrue(p.senderBytes() < 100_000, "an identical file must not be sent: " + p);
        }
    }

    /** A small tmpfs at {@code dir} for the body; the test is skipped where mounting is not permitted. */
    private static void onTmpfs(Path dir, String size, ThrowingConsumer<Path> body) throws Throwable {
        Files.createDirectories(dir);
        boolean mounted;
        try {
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            mounted = mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
        } catch (IOException e) {
            mounted = false;
        }
        Assumptions.assumeTrue(mounted, "needs root to mount a small tmpfs");
        try {
            body.accept(dir);
        } finally {
            new ProcessBuilder("umount", dir.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(60)
    void notEnoughSpaceIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws Throwable {
        Path src = randomFile(tmp.resolve("sixteen.bin"), 16 * MIB, 7);
        onTmpfs(tmp.resolve("small"), "4m", small -> {
            try (var send = send(shared, "send-full", src);
                 var recv = receive(shared, "recv-full", code(send), small, "--yes")) {
                assertEquals(11, recv.await(T), recv.stderr());
                assertEquals(7, send.await(T), send.stderr());
                String err = recv.stderr();
                assertTrue(err.matches("(?s).*not enough space in \\S*small: the transfer needs 16\\.8 MB, [0-9.]+ [kM]?B is free.*"), err);
                assertTrue(send.stderr().contains("the receiver does not have enough free space"), send.stderr());
            }
            try (Stream<Path> s = Files.list(small)) {
                assertEquals(List.of(), s.toList());
            }
        });
    }

    @Test
    @Timeout(60)
    void spaceForReplacingASameSizeFileIsCheckedUpFront(@TempDir Path tmp) throws Throwable {
        Path src = randomFile(tmp.resolve("doc.bin"), 32 * MIB, 8);
        // 56 MiB, 32 of them taken by a different doc.bin of the same size: 24 MiB free, fewer than the
        // 32 MiB of the part file that replacing it needs (plus tryst's 16 MiB margin).
        onTmpfs(tmp.resolve("small"), "56m", small -> {
            Path existing = small.resolve("doc.bin");
            Files.write(existing, new byte[(int) (32 * MIB)]);
            String oldHash = sha256(existing);
            try (var send = send(shared, "send-replace-full", src);
                 var recv = receive(shared, "recv-replace-full", code(send), small, "--yes", "--overwrite")) {
                assertEquals(11, recv.await(T), recv.stderr());
                assertEquals(7, send.await(T), send.stderr());
                assertTrue(recv.stderr().contains("not enough space"), recv.stderr());
            }
            assertEquals(oldHash, sha256(existing));
            assertEquals(List.of(), leftovers(small));
        });
    }

    @FunctionalInterface
    interface ThrowingConsumer<T> {
        void accept(T t) throws Throwable;
    }
}
