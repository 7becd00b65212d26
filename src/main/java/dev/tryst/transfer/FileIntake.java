package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;
import static dev.tryst.wire.TransferWire.*;

import dev.tryst.wire.TransferWire;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.transfer.OfferPlan.Item;
import dev.tryst.transfer.OfferPlan.Plan;
import dev.tryst.transfer.TargetFolder.Folder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The receiver's second half: the files the sender sends, in the order they were asked for, each
 * written to {@code .NAME.tryst-part} (with a {@code .NAME.tryst-state} beside a big one, so an
 * interrupted transfer can be resumed) and checked against the sender's SHA-256; verified files are
 * handed to {@link FilePlacement}, small ones in batches.
 */
final class FileIntake {
    private FileIntake() {}

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

    /** What was received. */
    record Counts(int files, long bytesReceived, int skipped, int resumed) {}

    /** Receives the asked files up to FILES_DONE; every verified file is in place when this returns. */
    static Counts receive(Session session, TargetFolder target, List<Item> items, boolean overwrite, long total,
                          StreamTransfer.Progress progress, FileReceiver.Checkpoints checkpoints) throws IOException {
        SecureChannel ch = session.channel();
        FilePlacement placement = new FilePlacement(target, checkpoints);
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
        List<FilePlacement.Pending> pending = new ArrayList<>();
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
                                        + it.rel + ", which differs from the one offered");
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
                        out = openPart(session, ch, target, it, offset, checkpoints);
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
                            Folder folder = target.parentOf(open.rel, false);
                            if (folder != null) {
                                folder.delete(open.partName);
                                folder.delete(open.stateName);
                            }
                            throw refuse(ch, TransferException.Reason.VERIFICATION_FAILED, open.rel
                                    + " did not verify (its SHA-256 differs from the sender's); it was not kept");
                        }
                        pending.add(new FilePlacement.Pending(open, out, overwrite || open.replaces));
                        pendingBytes += open.entry.size();
                        out = null;
                        if (open.entry.size() >= SMALL_FILE || pending.size() >= BATCH_FILES || pendingBytes >= BATCH_BYTES) {
                            placement.placeOrAbort(session, ch, pending);
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
                        placement.placeOrAbort(session, ch, pending);
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
            placement.placeWhatCan(pending);
            if (out != null) {
                closeQuietly(out); // a big file's part stays with its state: the next run resumes from it
                if (open != null && open.entry.size() < SMALL_FILE) {
                    deleteQuietly(target, open); // small parts have no state and would never be resumed
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

    private static FileChannel openPart(Session session, SecureChannel ch, TargetFolder target, Item it, long offset,
                                        FileReceiver.Checkpoints checkpoints) throws IOException {
        try {
            return session.local(() -> {
                Folder folder = target.parentOf(it.rel, true); // a file's folders need not all be in the offer
                checkpoints.partFolderReady(it.rel);
                return openPartFile(folder, it, offset);
            });
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not write " + it.part, "could not write " + it.rel, e));
        }
    }

    /**
     * Opens the part file for writing, locked for as long as it is open, so that two receivers
     * into one folder cannot interleave one file. A fresh start never writes through an existing
     * part: one that another run holds is refused, one with other hard links is replaced, not
     * truncated. The part's file key is kept, so the rename later moves our own file only.
     */
    private static FileChannel openPartFile(Folder folder, Item it, long offset) throws IOException {
        FileChannel f = null;
        try {
            if (offset == 0) {
                if (folder.attributes(it.partName) != null) {
                    try (FileChannel old = folder.open(it.partName, StandardOpenOption.WRITE)) {
                        if (old.tryLock() == null) {
                            throw busy(it);
                        }
                        folder.delete(it.partName);
                    }
                }
                f = folder.createNew(it.partName);
                if (f.tryLock() == null) {
                    throw busy(it);
                }
                if (it.entry.size() >= SMALL_FILE) {
                    writeState(folder, it);
                } else {
                    folder.delete(it.stateName);
                }
            } else {
                f = folder.open(it.partName, StandardOpenOption.WRITE);
                if (f.tryLock() == null) {
                    throw busy(it);
                }
                if (f.size() < offset || folder.links(it.partName) > 1) {
                    throw new IOException(it.part + " changed since it was planned");
                }
                f.truncate(offset);
                f.position(offset);
            }
            it.partKey = folder.fileKey(it.partName);
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

    /** What a state file says: the part beside it belongs to a file of this size and time. */
    static String stateText(Entry e) {
        return "tryst partial file v1\nsize=" + e.size() + "\nmtime=" + e.mtimeNanos() + "\n";
    }

    /**
     * Writes a new state file: whatever has the name is removed (a link itself, never its target),
     * and the file is created new, so nothing planted under the name is written through.
     */
    private static void writeState(Folder folder, Item it) throws IOException {
        folder.delete(it.stateName);
        try (FileChannel f = folder.createNew(it.stateName)) {
            ByteBuffer b = ByteBuffer.wrap(stateText(it.entry).getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                f.write(b);
            }
        }
    }

    /** Whether the state file open in {@code f} is the one {@link #writeState} writes for {@code e}. */
    static boolean stateMatches(FileChannel f, Entry e) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(257); // a state is far shorter: one that fills this is not ours
        while (b.hasRemaining() && f.read(b) >= 0) {
            // until full or at the end
        }
        return b.hasRemaining() && new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).equals(stateText(e));
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
            throw abort(ch, new LocalIoException("could not write " + open.part, "could not write " + open.rel, e));
        }
        return written + n;
    }

    static void closeQuietly(FileChannel f) {
        try {
            f.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Removes the part of {@code it}, if it can. */
    static void deleteQuietly(TargetFolder target, Item it) {
        try {
            Folder folder = target.parentOf(it.rel, false);
            if (folder != null) {
                folder.delete(it.partName);
            }
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** The hex SHA-256 of what {@code d} has seen so far; {@code d} goes on. */
    static String hex(MessageDigest d) {
        try {
            return HexFormat.of().formatHex(((MessageDigest) d.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
