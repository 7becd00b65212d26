package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.transfer.OfferPlan.Item;
import dev.tryst.transfer.TransferWire.Abort;
import dev.tryst.transfer.TransferWire.Entry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The receiver's last step for each verified file: synced, given its time and executable bit, and
 * renamed atomically onto its name, only if the part is still the file that was created and (without
 * {@code overwrite}) nothing appeared under the name meanwhile. Folder times are set last.
 */
final class FilePlacement {
    private FilePlacement() {}

    /** A verified file whose part is written but not yet synced and renamed. */
    record Pending(Item item, FileChannel out, boolean replace) {}

    /** {@link #place}, telling the sender why the transfer stops when a file cannot be placed. */
    static void placeOrAbort(Session session, SecureChannel ch, List<Pending> pending,
                             FileReceiver.Checkpoints checkpoints) throws IOException {
        try {
            place(session, pending, checkpoints);
        } catch (TransferException e) {
            tryToSend(ch, new Abort("the receiver could not place a received file"));
            throw e;
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not place the received files", e));
        }
    }

    /** Syncs every pending part, then gives each its time and mode and renames it into place. */
    private static void place(Session session, List<Pending> pending, FileReceiver.Checkpoints checkpoints)
            throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        session.local(() -> {
            for (Pending p : pending) {
                p.out().force(true);
                p.out().close();
            }
            for (Pending p : pending) {
                rename(p.item(), p.replace(), checkpoints);
            }
            return null;
        });
        pending.clear();
    }

    /**
     * When a transfer stops: verified files still waiting for their batch are placed even now;
     * what cannot be is removed.
     */
    static void placeWhatCan(List<Pending> pending, FileReceiver.Checkpoints checkpoints) {
        for (Pending p : pending) {
            try {
                p.out().force(true);
                p.out().close();
                rename(p.item(), p.replace(), checkpoints);
            } catch (IOException | RuntimeException e) {
                FileIntake.closeQuietly(p.out());
                FileIntake.deleteQuietly(p.item().part);
            }
        }
    }

    /**
     * Time, mode, then the atomic rename into place (the part is already synced). The part must
     * still be the file we created before anything about it is changed, and again before the rename;
     * time and mode are set without following a link, so a link swapped in is never written through.
     */
    private static void rename(Item it, boolean replace, FileReceiver.Checkpoints checkpoints) throws IOException {
        checkpoints.partVerified(it.rel);
        checkStillOurs(it);
        FileTime time = FileTime.from(it.entry.mtimeNanos(), TimeUnit.NANOSECONDS);
        PosixFileAttributeView posix = Files.getFileAttributeView(it.part, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (posix == null) { // not a POSIX file system: no executable bit to keep
            Files.getFileAttributeView(it.part, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(time, null, null);
        } else {
            posix.setTimes(time, null, null);
            if (it.entry.executable()) {
                posix.setPermissions(executable(posix.readAttributes().permissions()));
            }
        }
        checkStillOurs(it);
        if (!replace && Files.exists(it.target, LinkOption.NOFOLLOW_LINKS)) {
            throw new TransferException(TransferException.Reason.CONFLICT, it.rel + " appeared in the target folder"
                    + " during the transfer; not overwriting it (the received copy is " + it.part + ")");
        }
        try {
            Files.move(it.part, it.target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(it.part, it.target, StandardCopyOption.REPLACE_EXISTING);
        }
        if (it.entry.size() >= FileIntake.SMALL_FILE) {
            Files.deleteIfExists(it.state);
        }
    }

    private static void checkStillOurs(Item it) throws IOException {
        Object key = Files.readAttributes(it.part, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        if (it.partKey != null && !it.partKey.equals(key)) {
            throw new IOException(it.part + " was replaced by someone else during the transfer; not placing it");
        }
    }

    /** Executable for the owner, and for group and others where they may read. */
    private static Set<PosixFilePermission> executable(Set<PosixFilePermission> now) {
        Set<PosixFilePermission> p = new HashSet<>(now);
        p.add(PosixFilePermission.OWNER_EXECUTE);
        if (p.contains(PosixFilePermission.GROUP_READ)) {
            p.add(PosixFilePermission.GROUP_EXECUTE);
        }
        if (p.contains(PosixFilePermission.OTHERS_READ)) {
            p.add(PosixFilePermission.OTHERS_EXECUTE);
        }
        return p;
    }

    /** Folder times last, deepest first: writing into a folder changes its time. */
    static void setFolderTimes(Path root, List<Entry> entries, List<String> rels) throws IOException {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (e.directory()) {
                Files.setLastModifiedTime(SafePaths.resolve(root, rels.get(i)), FileTime.from(e.mtimeNanos(), TimeUnit.NANOSECONDS));
            }
        }
    }
}
