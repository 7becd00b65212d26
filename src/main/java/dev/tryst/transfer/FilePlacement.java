package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.transfer.OfferPlan.Item;
import dev.tryst.transfer.TargetFolder.Folder;
import dev.tryst.wire.TransferWire.Abort;
import dev.tryst.wire.TransferWire.Entry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The receiver's last step for each verified file: synced, given its time and executable bit, and
 * renamed atomically onto its name, only if the part is still the file that was created and (without
 * {@code overwrite}) nothing appeared under the name meanwhile. Folder times are set last. All of it
 * goes through the transfer's {@link TargetFolder}, so no link is followed.
 */
final class FilePlacement {
    private final TargetFolder target;
    private final FileReceiver.Checkpoints checkpoints;

    FilePlacement(TargetFolder target, FileReceiver.Checkpoints checkpoints) {
        this.target = target;
        this.checkpoints = checkpoints;
    }

    /** A verified file whose part is written but not yet synced and renamed. */
    record Pending(Item item, FileChannel out, boolean replace) {}

    /** {@link #place}, telling the sender why the transfer stops when a file cannot be placed. */
    void placeOrAbort(Session session, SecureChannel ch, List<Pending> pending) throws IOException {
        try {
            place(session, pending);
        } catch (TransferException e) {
            tryToSend(ch, new Abort("the receiver could not place a received file"));
            throw e;
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not place the received files", e));
        }
    }

    /** Syncs every pending part, then gives each its time and mode and renames it into place. */
    private void place(Session session, List<Pending> pending) throws IOException {
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

    /**
     * When a transfer stops: verified files still waiting for their batch are placed even now;
     * what cannot be is removed.
     */
    void placeWhatCan(List<Pending> pending) {
        for (Pending p : pending) {
            try {
                p.out().force(true);
                p.out().close();
                rename(p.item(), p.replace());
            } catch (IOException | RuntimeException e) {
                FileIntake.closeQuietly(p.out());
                FileIntake.deleteQuietly(target, p.item());
            }
        }
    }

    /**
     * Time, mode, then the atomic rename into place (the part is already synced). The part must
     * still be the file we created before anything about it is changed, and again before the rename;
     * time and mode are set without following a link, so a link swapped in is never written through.
     */
    private void rename(Item it, boolean replace) throws IOException {
        Folder folder = target.parentOf(it.rel, false);
        if (folder == null) {
            throw new NoSuchFileException(it.part.toString(), null, "its folder is gone");
        }
        checkpoints.partVerified(it.rel);
        checkStillOurs(folder, it);
        folder.setTimeAndMode(it.partName, FileTime.from(it.entry.mtimeNanos(), TimeUnit.NANOSECONDS), it.entry.executable());
        checkStillOurs(folder, it);
        if (!replace && folder.attributes(it.name) != null) {
            throw new TransferException(TransferException.Reason.CONFLICT, it.rel + " appeared in the target folder"
                    + " during the transfer; not overwriting it (the received copy is " + it.part + ")");
        }
        folder.rename(it.partName, it.name);
        if (it.entry.size() >= FileIntake.SMALL_FILE) {
            folder.delete(it.stateName);
        }
    }

    private static void checkStillOurs(Folder folder, Item it) throws IOException {
        if (it.partKey != null && !it.partKey.equals(folder.fileKey(it.partName))) {
            throw new IOException(it.part + " was replaced by someone else during the transfer; not placing it");
        }
    }

    /** Folder times last, deepest first: writing into a folder changes its time. */
    static void setFolderTimes(SecureChannel ch, TargetFolder target, List<Entry> entries, List<String> rels) throws IOException {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (e.directory()) {
                String rel = rels.get(i);
                try {
                    Folder parent = target.parentOf(rel, false);
                    String name = rel.substring(rel.lastIndexOf('/') + 1);
                    if (parent == null || !SafePaths.judge(rel, target.path().resolve(rel), parent.attributes(name), false)) {
                        throw new NoSuchFileException(target.path().resolve(rel).toString());
                    }
                    parent.setTimeAndMode(name, FileTime.from(e.mtimeNanos(), TimeUnit.NANOSECONDS), false);
                } catch (IOException x) {
                    throw abort(ch, new LocalIoException("could not set the time of the folder " + rel, x));
                }
            }
        }
    }
}
