package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;
import static dev.tryst.transfer.TransferWire.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Receives files and directories into a target directory (see {@link TransferWire}).
 *
 * <p>Nothing is written before the whole offer has been checked: every name (no escape from the
 * target, no symbolic link followed, no duplicates), the sizes adding up, free space, existing files
 * (never replaced without {@code overwrite}), and the user's yes. Each file is written to
 * {@code .NAME.tryst-part} beside its target with a small {@code .NAME.tryst-state} describing the
 * offer it belongs to; when it is complete its SHA-256 is compared with the sender's, it is synced,
 * given its time and mode, and renamed into place atomically. An interrupted transfer leaves the
 * part file, and the next run asks only for what is missing.
 */
public final class FileReceiver {
    private FileReceiver() {}

    static final String PART_SUFFIX = ".tryst-part";
    static final String STATE_SUFFIX = ".tryst-state";
    /**
     * Files smaller than this are not resumable (no state file: a fresh copy costs less than the
     * bookkeeping) and are placed in batches: a batch is written, then synced together (one journal
     * commit flushes them all on ext4), then renamed; bigger files are placed one by one.
     */
    static final long SMALL_FILE = 1 << 20;
    static final int BATCH_FILES = 256;
    static final long BATCH_BYTES = 64L << 20;
    /** Free space kept beyond what the offer needs, so a transfer does not fill a disk to the last byte. */
    static final long SPACE_MARGIN = 16L << 20;

    /** What the user is asked to accept. */
    public record Summary(int files, int directories, long totalBytes, long bytesToFetch, int resumable, int present,
                          List<Entry> largest, Path target, List<String> topLevel, int hidden, int executables) {}

    /** Most bytes of paths one offer may hold in memory (250 000 entries of 4 KiB would be 1 GB). */
    static final long MAX_OFFER_PATH_BYTES = 32L << 20;

    public record Options(Path target, boolean overwrite, Predicate<Summary> confirm) {}

    public record Result(int files, int directories, long totalBytes, long bytesReceived, int skipped, int resumed) {}

    private enum Plan { FRESH, RESUME, HAVE }

    /** One offered file and what we know of it locally. */
    private static final class Item {
        final int index;
        final Entry entry;
        final String rel;
        Path target;
        Path part;
        Path state;
        Plan plan = Plan.FRESH;
        long offset;
        MessageDigest prefix;
        String haveHash;
        boolean replaces;
        /** The part file we created and locked, to be sure it is still ours when we rename it. */
        Object partKey;

        Item(int index, Entry entry, String rel) {
            this.index = index;
            this.entry = entry;
            this.rel = rel;
        }
    }

    /** Receives the offer that began with {@code offer}. */
    public static Result receive(Session session, OfferFiles offer, Options options, StreamTransfer.Progress progress)
            throws IOException {
        SecureChannel ch = session.channel();
        List<Entry> entries = readEntries(ch, offer);
        Path root = options.target().toAbsolutePath().normalize();
        List<String> rels = new ArrayList<>(entries.size());
        List<Boolean> dirs = new ArrayList<>(entries.size());
        long sum = 0;
        try {
            for (Entry e : entries) {
                rels.add(SafePaths.check(e.path()));
                dirs.add(e.directory());
                sum = Math.addExact(sum, e.size());
            }
            SafePaths.checkAll(rels, dirs);
        } catch (UnsafePathException e) {
            throw unsafe(ch, e);
        } catch (ArithmeticException e) {
            throw refuse(ch, TransferException.Reason.UNSAFE_OFFER, "unsafe offer: the sizes overflow");
        }
        if (sum != offer.totalBytes()) {
            throw refuse(ch, TransferException.Reason.UNSAFE_OFFER,
                    "unsafe offer: the entries add up to " + sum + " bytes, the offer said " + offer.totalBytes());
        }

        List<Item> items = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        int directories = 0;
        long fetch = 0;
        int resumable = 0;
        int present = 0;
        try {
            if (!Files.isDirectory(root)) {
                throw refuse(ch, TransferException.Reason.DECLINED, "the receiver's target folder does not exist");
            }
            java.util.Set<String> folderChecked = new java.util.HashSet<>();
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                String rel = rels.get(i);
                String blocked = fileInTheWay(root, rel, folderChecked);
                if (blocked != null) {
                    conflicts.add(rel + " (" + blocked + " is a file, a folder is needed there)");
                    continue;
                }
                Path target = SafePaths.resolve(root, rel);
                if (e.directory()) {
                    directories++;
                    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                        conflicts.add(rel + " (a file is there, a folder is offered)");
                    }
                    continue;
                }
                Item it = new Item(i, e, rel);
                it.target = target;
                String name = target.getFileName().toString();
                it.part = target.resolveSibling("." + name + PART_SUFFIX);
                it.state = target.resolveSibling("." + name + STATE_SUFFIX);
                try {
                    planItem(session, it, options.overwrite(), conflicts);
                } catch (UnsafePathException unsafe) {
                    throw unsafe;
                } catch (IOException io) {
                    throw abort(ch, new LocalIoException("could not read " + it.rel + " in " + root, io));
                }
                switch (it.plan) {
                    case HAVE -> {
                        present++;
                        if (options.overwrite()) {
                            fetch += e.size(); // same size, content not yet compared: it may have to be fetched whole
                        }
                    }
                    case RESUME -> {
                        resumable++;
                        fetch += e.size() - it.offset;
                    }
                    case FRESH -> fetch += e.size();
                }
                items.add(it);
            }
        } catch (UnsafePathException e) {
            throw unsafe(ch, e);
        }
        if (!conflicts.isEmpty()) {
            String list = String.join(", ", conflicts.subList(0, Math.min(5, conflicts.size())))
                    + (conflicts.size() > 5 ? " and " + (conflicts.size() - 5) + " more" : "");
            tryToSend(ch, new Decline("")); // which names exist under the target is the receiver's business
            throw new TransferException(TransferException.Reason.CONFLICT, "not overwriting existing " + list
                    + " in " + root + "; nothing was received. Use --overwrite to replace them, or --out to choose another folder");
        }
        long usable;
        try {
            usable = Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not read the free space of " + root, e));
        }
        if (fetch > usable - SPACE_MARGIN) {
            tryToSend(ch, new Decline("the receiver does not have enough free space"));
            throw new TransferException(TransferException.Reason.NO_SPACE, "not enough space in " + root + ": the transfer needs "
                    + Units.bytes(fetch) + ", " + Units.bytes(Math.max(0, usable)) + " is free; nothing was received");
        }
        List<Entry> largest = entries.stream().filter(e -> !e.directory())
                .sorted(Comparator.comparingLong(Entry::size).reversed()).limit(3).toList();
        java.util.LinkedHashSet<String> top = new java.util.LinkedHashSet<>();
        int hidden = 0;
        int executables = 0;
        for (int i = 0; i < entries.size(); i++) {
            String rel = rels.get(i);
            int slash = rel.indexOf('/');
            top.add(slash < 0 ? rel + (entries.get(i).directory() ? "/" : "") : rel.substring(0, slash + 1));
            if (rel.startsWith(".") || rel.contains("/.")) {
                hidden++;
            }
            if (entries.get(i).executable()) {
                executables++;
            }
        }
        Summary summary = new Summary(items.size(), directories, sum, fetch, resumable, present, largest, root,
                List.copyOf(top), hidden, executables);
        // The user may take a while to answer: that is not the sender's silence.
        if (!session.local(() -> options.confirm().test(summary))) {
            tryToSend(ch, new Decline("")); // the sender says "the receiver declined"
            throw new TransferException(TransferException.Reason.DECLINED, "declined; nothing was received");
        }

        // Accepted: make the folders, ask for the files.
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).directory()) {
                try {
                    Path dir = SafePaths.prepareParent(root, rels.get(i));
                    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createDirectory(dir);
                    }
                } catch (UnsafePathException e) {
                    throw unsafe(ch, e);
                } catch (IOException e) {
                    throw abort(ch, new LocalIoException("could not create the folder " + rels.get(i), e));
                }
            }
        }
        List<Ask> asks = new ArrayList<>(items.size());
        for (Item it : items) {
            asks.add(switch (it.plan) {
                case FRESH -> new Ask(it.index, ASK_FRESH, 0, NO_HASH);
                case RESUME -> new Ask(it.index, ASK_RESUME, it.offset, hex(it.prefix));
                case HAVE -> new Ask(it.index, ASK_HAVE, it.entry.size(), it.haveHash);
            });
        }
        for (byte[] r : encodeAsks(asks)) {
            ch.send(r);
        }
        ch.send(encode(new Accept()));

        Counts result = receiveFiles(session, root, items, options.overwrite(), sum, progress);
        // Folder times last: writing into a folder changes its time. Deepest first.
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (e.directory()) {
                Files.setLastModifiedTime(SafePaths.resolve(root, rels.get(i)), FileTime.from(e.mtimeNanos(), java.util.concurrent.TimeUnit.NANOSECONDS));
            }
        }
        confirmDone(ch);
        return new Result(result.files(), directories, sum, result.bytesReceived(), result.skipped(), result.resumed());
    }

    /**
     * The first existing regular file on the way to {@code rel} (where the offer needs a folder):
     * a conflict with what the user has, not an unsafe offer. Each folder prefix is looked at once.
     */
    private static String fileInTheWay(Path root, String rel, java.util.Set<String> checked) {
        int slash = rel.indexOf('/');
        while (slash > 0) {
            String prefix = rel.substring(0, slash);
            if (checked.add(prefix) && Files.isRegularFile(root.resolve(prefix), LinkOption.NOFOLLOW_LINKS)) {
                return prefix;
            }
            slash = rel.indexOf('/', slash + 1);
        }
        return null;
    }

    /** The peer hears which offered path was refused; the local user also hears why, with local detail. */
    private static TransferException unsafe(SecureChannel ch, UnsafePathException e) {
        return refuse(ch, TransferException.Reason.UNSAFE_OFFER, "unsafe offer: the receiver refuses \"" + e.shownPath() + "\"",
                "unsafe offer: " + e.getMessage());
    }

    private static List<Entry> readEntries(SecureChannel ch, OfferFiles offer) throws IOException {
        List<Entry> entries = new ArrayList<>(Math.min(offer.entries(), 4096));
        long pathBytes = 0;
        while (entries.size() < offer.entries()) {
            switch (expect(ch, "the rest of the offer")) {
                case Entries e -> {
                    if (entries.size() + e.entries().size() > offer.entries()) {
                        throw refuse(ch, TransferException.Reason.UNSAFE_OFFER,
                                "unsafe offer: more entries than the " + offer.entries() + " announced");
                    }
                    for (Entry x : e.entries()) {
                        pathBytes += x.path().length();
                    }
                    if (pathBytes > MAX_OFFER_PATH_BYTES) {
                        throw refuse(ch, TransferException.Reason.UNSAFE_OFFER, "unsafe offer: its paths take more than "
                                + (MAX_OFFER_PATH_BYTES >> 20) + " MiB");
                    }
                    entries.addAll(e.entries());
                }
                case Abort a -> throw aborted(a);
                case Message m -> throw unexpected(ch, m, "ENTRIES");
            }
        }
        return entries;
    }

    /** Decides fresh, resume or have for one file, from what is on disk. */
    private static void planItem(Session session, Item it, boolean overwrite, List<String> conflicts) throws IOException {
        Entry e = it.entry;
        if (Files.exists(it.target, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(it.target, LinkOption.NOFOLLOW_LINKS)) {
                conflicts.add(it.rel + " (not a regular file)");
                return;
            }
            if (Files.size(it.target) == e.size()) {
                MessageDigest d = sha256();
                hashFile(session, it.target, e.size(), d);
                it.plan = Plan.HAVE;
                it.haveHash = hex(d);
                return;
            }
            if (!overwrite) {
                conflicts.add(it.rel);
                return;
            }
            it.replaces = true;
        }
        if (Files.isRegularFile(it.part, LinkOption.NOFOLLOW_LINKS) && stateMatches(it)) {
            long held = Files.size(it.part);
            if (held > 0 && held <= e.size()) {
                MessageDigest d = sha256();
                hashFile(session, it.part, held, d);
                it.plan = Plan.RESUME;
                it.offset = held;
                it.prefix = d;
            }
        }
    }

    private static String stateText(Entry e) {
        return "tryst partial file v1\nsize=" + e.size() + "\nmtime=" + e.mtimeNanos() + "\n";
    }

    private static boolean stateMatches(Item it) {
        try {
            if (Files.size(it.state) > 256) {
                return false;
            }
            return Files.readString(it.state, StandardCharsets.UTF_8).equals(stateText(it.entry));
        } catch (IOException e) {
            return false;
        }
    }

    private static void hashFile(Session session, Path p, long length, MessageDigest d) throws IOException {
        session.local(() -> hash(p, length, d));
    }

    private record Counts(int files, long bytesReceived, int skipped, int resumed) {}

    private static Counts receiveFiles(Session session, Path root, List<Item> items, boolean overwrite, long total,
                                       StreamTransfer.Progress progress) throws IOException {
        SecureChannel ch = session.channel();
        long held = 0;
        for (Item it : items) {
            held += switch (it.plan) {
                case HAVE -> 0;
                case RESUME -> it.offset;
                case FRESH -> 0;
            };
        }
        byte[] plain = new byte[MAX_CHUNK];
        byte[] copy = new byte[1 << 16];
        int next = 0;
        long received = 0;
        int skipped = 0;
        int resumed = 0;
        long lastProgress = System.nanoTime();
        Item open = null;
        FileChannel out = null;
        List<Pending> pending = new ArrayList<>();
        long pendingBytes = 0;
        MessageDigest sha = null;
        long written = 0;
        try (Compressor.Decompressor zstd = new Compressor.Decompressor()) {
            while (true) {
                Message m = expect(ch, "the rest of the files");
                switch (m) {
                    case FileStart f -> {
                        if (open != null) {
                            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE, "FILE_START inside a file");
                        }
                        Item it = due(ch, items, next, f.index());
                        if (it.plan == Plan.HAVE) {
                            if (!overwrite) {
                                tryToSend(ch, new Abort("the receiver already has a different " + it.rel));
                                throw new TransferException(TransferException.Reason.CONFLICT, "not overwriting the existing "
                                        + it.rel + ", which differs from the one offered. Use --overwrite to replace it");
                            }
                            it.replaces = true;
                        }
                        long offset = f.offset();
                        if (offset != 0 && !(it.plan == Plan.RESUME && offset == it.offset)) {
                            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE,
                                    "FILE_START at " + offset + " for " + it.rel + ", which was not asked for");
                        }
                        if (it.plan == Plan.RESUME) {
                            held -= it.offset;
                        }
                        out = openPart(session, ch, root, it, offset);
                        sha = offset == 0 ? sha256() : it.prefix;
                        written = offset;
                        held += offset;
                        if (offset > 0) {
                            resumed++;
                        }
                        open = it;
                    }
                    case Data d -> {
                        int n = d.payload().remaining();
                        d.payload().get(copy, 0, n);
                        written = write(session, ch, open, out, sha, copy, n, written);
                        received += n;
                        held += n;
                    }
                    case DataZstd z -> {
                        ByteBuffer frame = z.frame();
                        int len = frame.remaining();
                        frame.get(copy, 0, len);
                        int n = zstd.decompress(copy, 0, len, plain);
                        written = write(session, ch, open, out, sha, plain, n, written);
                        received += n;
                        held += n;
                    }
                    case FileEnd f -> {
                        if (open == null || f.index() != open.index) {
                            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE, "FILE_END for a file not being sent");
                        }
                        if (written != open.entry.size()) {
                            throw refuse(ch, TransferException.Reason.VERIFICATION_FAILED, open.rel + ": got " + written
                                    + " bytes of the " + open.entry.size() + " offered");
                        }
                        String got = hex(sha);
                        if (!got.equals(f.sha256Hex())) {
                            out.close();
                            out = null;
                            Files.deleteIfExists(open.part);
                            Files.deleteIfExists(open.state);
                            throw refuse(ch, TransferException.Reason.VERIFICATION_FAILED, open.rel
                                    + " did not verify (its SHA-256 differs from the sender's); it was not kept");
                        }
                        pending.add(new Pending(open, out, overwrite || open.replaces));
                        pendingBytes += open.entry.size();
                        out = null;
                        if (open.entry.size() >= SMALL_FILE || pending.size() >= BATCH_FILES || pendingBytes >= BATCH_BYTES) {
                            placeOrAbort(session, ch, pending);
                            pendingBytes = 0;
                        }
                        open = null;
                        next++;
                    }
                    case FileSkip s -> {
                        Item it = due(ch, items, next, s.index());
                        if (open != null || it.plan != Plan.HAVE) {
                            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE, "FILE_SKIP for " + it.rel
                                    + ", which the receiver does not have");
                        }
                        held += it.entry.size();
                        skipped++;
                        next++;
                    }
                    case FilesDone f -> {
                        if (open != null || next != items.size()) {
                            throw refuse(ch, TransferException.Reason.VERIFICATION_FAILED, "the sender stopped after "
                                    + next + " of " + items.size() + " files");
                        }
                        placeOrAbort(session, ch, pending);
                        progress.bytes(total);
                        tryToSend(ch, new TransferWire.Progress(total));
                        return new Counts(items.size(), received, skipped, resumed);
                    }
                    case Abort a -> throw aborted(a);
                    default -> throw unexpected(ch, m, "file data");
                }
                long now = System.nanoTime();
                if (now - lastProgress > 1_000_000_000L) {
                    lastProgress = now;
                    progress.bytes(held);
                    ch.send(encode(new TransferWire.Progress(held)));
                }
            }
        } finally {
            // Verified files still waiting for their batch are placed even now; what cannot be is removed.
            for (Pending p : pending) {
                try {
                    p.out().force(true);
                    p.out().close();
                    rename(p.item(), p.replace());
                } catch (IOException | RuntimeException e) {
                    closeQuietly(p.out());
                    deleteQuietly(p.item().part);
                }
            }
            if (out != null) {
                closeQuietly(out); // a big file's part stays with its state: the next run resumes from it
                if (open != null && open.entry.size() < SMALL_FILE) {
                    deleteQuietly(open.part); // small parts have no state and would never be resumed
                }
            }
        }
    }

    private static Item due(SecureChannel ch, List<Item> items, int next, int index) throws TransferException {
        if (next >= items.size() || items.get(next).index != index) {
            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE, "entry " + index + " came out of order");
        }
        return items.get(next);
    }

    private static FileChannel openPart(Session session, SecureChannel ch, Path root, Item it, long offset) throws IOException {
        try {
            return session.local(() -> {
                SafePaths.prepareParent(root, it.rel); // a file's folders need not all be in the offer
                return openPartFile(it, offset);
            });
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not write " + it.part, e));
        }
    }

    /**
     * Opens the part file for writing, locked for as long as it is open, so that two receivers
     * into one folder cannot interleave one file. A fresh start never writes through an existing
     * part: one that another run holds is refused, one with other hard links is replaced, not
     * truncated. The part's file key is kept, so the rename later moves our own file only.
     */
    private static FileChannel openPartFile(Item it, long offset) throws IOException {
        FileChannel f = null;
        try {
            if (offset == 0) {
                if (Files.exists(it.part, LinkOption.NOFOLLOW_LINKS)) {
                    try (FileChannel old = Peer.openRegular(it.part, StandardOpenOption.WRITE)) {
                        if (old.tryLock() == null) {
                            throw busy(it);
                        }
                        Files.delete(it.part);
                    }
                }
                f = FileChannel.open(it.part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                if (f.tryLock() == null) {
                    throw busy(it);
                }
                if (it.entry.size() >= SMALL_FILE) {
                    Files.writeString(it.state, stateText(it.entry), StandardCharsets.UTF_8);
                } else {
                    Files.deleteIfExists(it.state);
                }
            } else {
                f = Peer.openRegular(it.part, StandardOpenOption.WRITE);
                if (f.tryLock() == null) {
                    throw busy(it);
                }
                Object links = Files.getAttribute(it.part, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
                if (f.size() < offset || (links instanceof Integer n && n > 1)) {
                    throw new IOException(it.part + " changed since it was planned");
                }
                f.truncate(offset);
                f.position(offset);
            }
            it.partKey = Files.readAttributes(it.part, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            return f;
        } catch (IOException | RuntimeException e) {
            if (f != null) {
                f.close();
            }
            throw e;
        }
    }

    private static IOException busy(Item it) {
        return new IOException("another tryst receive is writing " + it.part.getFileName() + "; let it finish or stop it first");
    }

    private static long write(Session session, SecureChannel ch, Item open, FileChannel out, MessageDigest sha,
                              byte[] b, int n, long written) throws IOException {
        if (open == null) {
            throw refuse(ch, TransferException.Reason.UNEXPECTED_MESSAGE, "file data outside a file");
        }
        if (written + n > open.entry.size()) {
            throw refuse(ch, TransferException.Reason.VERIFICATION_FAILED, open.rel + ": the sender sent more than the "
                    + open.entry.size() + " bytes it offered");
        }
        sha.update(b, 0, n);
        try {
            session.local(() -> {
                ByteBuffer bb = ByteBuffer.wrap(b, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                return null;
            });
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not write " + open.part, e));
        }
        return written + n;
    }

    private static void placeOrAbort(Session session, SecureChannel ch, List<Pending> pending) throws IOException {
        try {
            place(session, pending);
        } catch (TransferException e) {
            tryToSend(ch, new Abort("the receiver could not place a received file"));
            throw e;
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not place the received files", e));
        }
    }

    private static void closeQuietly(FileChannel f) {
        try {
            f.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** A verified file whose part is written but not yet synced and renamed. */
    private record Pending(Item item, FileChannel out, boolean replace) {}

    /** Syncs every pending part, then gives each its time and mode and renames it into place. */
    private static void place(Session session, List<Pending> pending) throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        session.local(() -> {
            for (Pending p : pending) {
                p.out().force(true);
                p.out().close();
            }
            for (Pending p : pending) {
                rename(p.item(), p.replace());
            }
            return null;
        });
        pending.clear();
    }

    /** Time, mode, then the atomic rename into place (the part is already synced). */
    private static void rename(Item it, boolean replace) throws IOException {
        Files.setLastModifiedTime(it.part, FileTime.from(it.entry.mtimeNanos(), java.util.concurrent.TimeUnit.NANOSECONDS));
        if (it.entry.executable()) {
            try {
                Set<PosixFilePermission> p = Files.getPosixFilePermissions(it.part);
                p.add(PosixFilePermission.OWNER_EXECUTE);
                if (p.contains(PosixFilePermission.GROUP_READ)) {
                    p.add(PosixFilePermission.GROUP_EXECUTE);
                }
                if (p.contains(PosixFilePermission.OTHERS_READ)) {
                    p.add(PosixFilePermission.OTHERS_EXECUTE);
                }
                Files.setPosixFilePermissions(it.part, p);
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: no executable bit to keep
            }
        }
        Object key = Files.readAttributes(it.part, java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).fileKey();
        if (it.partKey != null && !it.partKey.equals(key)) {
            throw new IOException(it.part + " was replaced by someone else during the transfer; not placing it");
        }
        if (!replace && Files.exists(it.target, LinkOption.NOFOLLOW_LINKS)) {
            throw new TransferException(TransferException.Reason.CONFLICT, it.rel + " appeared in the target folder"
                    + " during the transfer; not overwriting it (the received copy is " + it.part + ")");
        }
        try {
            Files.move(it.part, it.target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(it.part, it.target, StandardCopyOption.REPLACE_EXISTING);
        }
        if (it.entry.size() >= SMALL_FILE) {
            Files.deleteIfExists(it.state);
        }
    }

    private static String hex(MessageDigest d) {
        try {
            return HexFormat.of().formatHex(((MessageDigest) d.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
