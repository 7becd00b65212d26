package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.wire.TransferWire.Decline;
import dev.tryst.wire.TransferWire.Entry;
import dev.tryst.wire.TransferWire.OfferFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
 *
 * <p>The steps live in three package-private classes: {@link OfferPlan} checks the offer and makes
 * the summary, {@link FileIntake} receives the files into part files, {@link FilePlacement} puts
 * verified files in place. All of them reach the target folder through one {@link TargetFolder},
 * opened for the whole transfer: with directory handles where the platform has them, so that no
 * folder swapped for a link redirects a write, else by path with every folder checked right before
 * it is used.
 */
public final class FileReceiver {
    private FileReceiver() {}

    /**
     * What the user is asked to accept; {@code entries} is the whole offer as the sender described it
     * (paths, sizes, times, modes), so that an offer made again can be told from another.
     */
    /**
     * What an offer holds for this receiver. {@code bytesToFetch} is what must move for certain;
     * {@code bytesIfDifferent} what more moves if the files of the same name and size here (compared
     * by hash once accepted) differ: only with overwrite, else they are kept. {@code replaced}: the
     * files here of another size that overwrite replaces (up to {@value #NAMED}).
     */
    public record Summary(int files, int directories, long totalBytes, long bytesToFetch, long bytesIfDifferent,
                          int resumable, int present, List<Entry> largest, Path target, List<String> topLevel, int hidden,
                          int executables, List<String> replaced, int replacing, List<Entry> entries) {}

    /** How many replaced files a summary names. */
    public static final int NAMED = 10;

    public record Options(Path target, boolean overwrite, Predicate<Summary> confirm) {}

    public record Result(int files, int directories, long totalBytes, long bytesReceived, int skipped, int resumed) {}

    /**
     * Test seam: the moments between a check and the use it guards, where another local user could
     * swap what was checked, so that a test can do so at exactly that moment; and the choice of
     * {@link TargetFolder}'s fallback, so that it is tested where directory handles exist too.
     * {@link #NONE} in use.
     */
    interface Checkpoints {
        Checkpoints NONE = new Checkpoints() {};

        /** Whether to use directory handles where the platform has them (else the by-path fallback). */
        default boolean directoryHandles() {
            return true;
        }

        /** The folder of the file {@code rel} is ready (made where missing); its part is opened next. */
        default void partFolderReady(String rel) throws IOException {}

        /** The verified part of {@code rel} is synced; its identity, time, mode and rename come next. */
        default void partVerified(String rel) throws IOException {}
    }

    /** Receives the offer that began with {@code offer}. */
    public static Result receive(Session session, OfferFiles offer, Options options, StreamTransfer.Progress progress)
            throws IOException {
        return receive(session, offer, options, progress, Checkpoints.NONE);
    }

    static Result receive(Session session, OfferFiles offer, Options options, StreamTransfer.Progress progress,
                          Checkpoints checkpoints) throws IOException {
        SecureChannel ch = session.channel();
        try (OfferPlan plan = OfferPlan.make(session, offer, options, checkpoints.directoryHandles())) {
            Summary summary = plan.summary();
            // The user may take a while to answer: that is not the sender's silence.
            if (!session.local(() -> options.confirm().test(summary))) {
                tryToSend(ch, new Decline("")); // the sender says "the receiver declined"
                throw new TransferException(TransferException.Reason.DECLINED, "declined; nothing was received");
            }
            plan.accept(ch);
            FileIntake.Counts got = FileIntake.receive(session, plan.target(), plan.items(), options.overwrite(),
                    summary.totalBytes(), progress, checkpoints);
            FilePlacement.setFolderTimes(ch, plan.target(), plan.entries(), plan.rels());
            confirmDone(ch);
            return new Result(got.files(), summary.directories(), summary.totalBytes(), got.bytesReceived(), got.skipped(),
                    got.resumed());
        }
    }
}
