package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;
import static dev.tryst.wire.TransferWire.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Sends files and directories (see {@link TransferWire} for the messages).
 *
 * <ol>
 *   <li>OFFER_FILES and the entries: relative paths, sizes, times, executable bits;</li>
 *   <li>the receiver's REQUEST: per file fresh, resume (with the hash of what it holds) or have
 *       (with the hash of its existing file); then ACCEPT — or DECLINE;</li>
 *   <li>a reader collects PROGRESS and the final verdict, so an ABORT is heard at once;</li>
 *   <li>per file: FILE_SKIP when the receiver's copy is identical; else FILE_START at the resume
 *       offset when our prefix hashes the same (else at 0), the data in ≤ 64 KiB chunks, zstd where
 *       it helps, and FILE_END with the whole file's SHA-256; files follow each other with no
 *       round trip;</li>
 *   <li>FILES_DONE, then success only on the receiver's DONE.</li>
 * </ol>
 */
public final class FileSender {
    private FileSender() {}

    /** One offered entry and, for a file, where its bytes come from. */
    public record Source(Entry entry, Path file) {}

    /**
     * Walks the given paths into an offer: each argument is offered under its own name, a
     * directory with everything below it. Symbolic links are not followed (they are skipped, and
     * {@code warn} says so), nor are devices, sockets and pipes.
     */
    public static List<Source> scan(List<Path> paths, Consumer<String> warn) throws IOException {
        List<Source> out = new ArrayList<>();
        Set<String> topNames = new HashSet<>();
        for (Path given : paths) {
            Path p = given.toAbsolutePath().normalize();
            Path nameOf = p.getFileName();
            if (nameOf == null) {
                throw new IllegalArgumentException("cannot send '" + given + "' itself: name a file or folder inside it");
            }
            String top = nfc(nameOf.toString());
            if (!topNames.add(top)) {
                throw new IllegalArgumentException("two of the paths given are both called '" + top + "'");
            }
            BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isSymbolicLink()) {
                throw new IllegalArgumentException("'" + given + "' is a symbolic link; tryst does not follow links:"
                        + " name its target instead");
            }
            if (attrs.isRegularFile()) {
                out.add(fileSource(p, top, attrs));
            } else if (attrs.isDirectory()) {
                walk(p, top, out, warn);
            } else {
                throw new IllegalArgumentException("'" + given + "' is neither a file nor a folder");
            }
        }
        if (out.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(out.size() + " entries are more than one transfer carries ("
                    + MAX_ENTRIES + "); send them in parts, or as an archive");
        }
        // The receiver will refuse names it cannot write safely everywhere; say so now, not after the code exchange.
        try {
            SafePaths.checkAll(out.stream().map(s -> s.entry().path()).toList(),
                    out.stream().map(s -> s.entry().directory()).toList());
        } catch (UnsafePathException e) {
            throw new IllegalArgumentException("cannot send this name safely: " + e.getMessage()
                    + "; rename it, or send the folder as an archive");
        }
        return out;
    }

    private static void walk(Path root, String top, List<Source> out, Consumer<String> warn) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                out.add(new Source(new Entry(relative(root, dir, top), true, 0, attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), false), null));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    out.add(fileSource(file, relative(root, file, top), attrs));
                } else if (attrs.isSymbolicLink()) {
                    warn.accept("skipping symbolic link " + root.relativize(file) + " (links are not followed)");
                } else {
                    warn.accept("skipping " + root.relativize(file) + " (not a regular file)");
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        });
    }

    private static Source fileSource(Path p, String rel, BasicFileAttributes attrs) {
        boolean exec;
        try {
            exec = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
        } catch (IOException | UnsupportedOperationException e) {
            exec = Files.isExecutable(p);
        }
        return new Source(new Entry(rel, false, attrs.size(), attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), exec), p);
    }

    private static String relative(Path root, Path p, String top) {
        Path r = root.relativize(p);
        StringBuilder b = new StringBuilder(top);
        for (Path part : r) {
            if (!part.toString().isEmpty()) {
                b.append('/').append(part);
            }
        }
        return nfc(b.toString());
    }

    private static String nfc(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFC);
    }

    /** What a sender did, for its summary line. */
    public record Sent(int files, long bytesOffered, long bytesSent, int skipped, int resumed) {}

    /** Offers {@code sources} and sends what the receiver asks for; returns once the receiver confirmed everything. */
    public static Sent send(Session session, List<Source> sources, StreamTransfer.Progress progress) throws IOException {
        SecureChannel ch = session.channel();
        long total = 0;
        List<Entry> entries = new ArrayList<>(sources.size());
        for (Source s : sources) {
            entries.add(s.entry());
            total += s.entry().size();
        }
        ch.send(encode(new OfferFiles(entries.size(), total)));
        for (byte[] r : encodeEntries(entries)) {
            ch.send(r);
        }
        List<Ask> asks = answer(ch, entries);

        CompletableFuture<Message> verdict = verdict(ch, progress);

        long sent = 0;
        int skipped = 0;
        int resumed = 0;
        byte[] buf = new byte[1 + MAX_CHUNK];
        buf[0] = DATA;
        try (Compressor zstd = new Compressor()) {
            for (Ask ask : asks) {
                if (verdict.isDone()) {
                    break;
                }
                Source src = sources.get(ask.index());
                long size = src.entry().size();
                MessageDigest sha = sha256();
                long start = 0;
                if (ask.mode() == ASK_HAVE && ask.offset() == size
                        && hashPrefix(session, src, size, sha256()).equals(ask.sha256Hex())) {
                    ch.send(encode(new FileSkip(ask.index())));
                    skipped++;
                    continue;
                }
                if (ask.mode() == ASK_RESUME && ask.offset() <= size) {
                    MessageDigest prefix = sha256();
                    if (hashPrefix(session, src, ask.offset(), prefix).equals(ask.sha256Hex())) {
                        start = ask.offset();
                        sha = prefix;
                        resumed++;
                    }
                }
                ch.send(encode(new FileStart(ask.index(), start)));
                zstd.newFile();
                sent += stream(session, ch, src, start, size, sha, buf, zstd);
                ch.send(encode(new FileEnd(ask.index(), HexFormat.of().formatHex(sha.digest()))));
            }
            if (!verdict.isDone()) {
                ch.send(encode(new FilesDone()));
            }
        } catch (LocalIoException e) {
            throw abort(ch, e);
        } catch (IOException e) {
            throw failedSend(verdict, e);
        }
        finishSending(ch, verdict);
        return new Sent(asks.size(), total, sent, skipped, resumed); // answer() checked: one ask per offered file
    }

    /** Reads the receiver's REQUEST records up to its ACCEPT; checks there is one ask per file, in order. */
    private static List<Ask> answer(SecureChannel ch, List<Entry> entries) throws IOException {
        List<Ask> asks = new ArrayList<>();
        while (true) {
            switch (expect(ch, "an answer to the offer")) {
                case Request r -> {
                    asks.addAll(r.asks());
                    if (asks.size() > entries.size()) {
                        throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE, "more asks than offered files");
                    }
                }
                case Accept a -> {
                    int next = 0;
                    for (Ask ask : asks) {
                        while (next < entries.size() && entries.get(next).directory()) {
                            next++;
                        }
                        if (ask.index() != next) {
                            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE,
                                    "ask for entry " + ask.index() + " where entry " + next + " was due");
                        }
                        next++;
                    }
                    long files = entries.stream().filter(e -> !e.directory()).count();
                    if (asks.size() != files) {
                        throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE,
                                asks.size() + " asks for " + files + " offered files");
                    }
                    return asks;
                }
                case Decline d -> throw declined(d);
                case Abort a -> throw aborted(a);
                case Message m -> throw unexpected(ch, m, "REQUEST or ACCEPT");
            }
        }
    }

    /** Hashes the first {@code length} bytes of the file into {@code sha}; the hex digest of that, or "" if shorter. */
    private static String hashPrefix(Session session, Source src, long length, MessageDigest sha) throws IOException {
        return session.local(() -> {
            try {
                if (hash(src.file(), length, sha) < length) {
                    return ""; // shorter than asked: cannot match
                }
                return HexFormat.of().formatHex(((MessageDigest) sha.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            } catch (IOException e) {
                throw new LocalIoException("could not read " + src.file(), "could not read " + src.entry().path(), e);
            }
        });
    }

    /** Sends bytes [start, size) of one file; returns how many went out. */
    private static long stream(Session session, SecureChannel ch, Source src, long start, long size, MessageDigest sha,
                               byte[] buf, Compressor zstd) throws IOException {
        try (FileChannel f = session.local(() -> open(src.file()))) {
            f.position(start);
            long pos = start;
            while (pos < size) {
                int want = (int) Math.min(MAX_CHUNK, size - pos);
                ByteBuffer b = ByteBuffer.wrap(buf, 1, want);
                int n = session.local(() -> {
                    try {
                        while (b.hasRemaining()) {
                            if (f.read(b) < 0) {
                                break;
                            }
                        }
                        return b.position() - 1;
                    } catch (IOException e) {
                        throw new LocalIoException("could not read " + src.file(), "could not read " + src.entry().path(), e);
                    }
                });
                if (n < want) {
                    throw new LocalIoException("could not send " + src.entry().path(),
                            new IOException("it shrank while being sent (" + (pos + n) + " of " + size + " bytes)"));
                }
                sha.update(buf, 1, n);
                int z = zstd.compress(buf, 1, n);
                if (z > 0) {
                    ch.send(zstd.record(), 0, z);
                } else {
                    ch.send(buf, 0, 1 + n);
                }
                pos += n;
            }
            // A file that grew or was rewritten while being read would still "verify" (the hash is of
            // what was sent): compare size and time with the offer instead.
            BasicFileAttributes now = Files.readAttributes(src.file(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (now.size() != size || now.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS) != src.entry().mtimeNanos()) {
                throw new LocalIoException("could not send " + src.entry().path(),
                        new IOException("it changed while being sent; send it again once it is complete"));
            }
            return size - start;
        }
    }

    private static FileChannel open(Path p) throws LocalIoException {
        try {
            return Peer.openRegular(p, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new LocalIoException("could not open " + p, "could not open a file it offered", e);
        }
    }

}
