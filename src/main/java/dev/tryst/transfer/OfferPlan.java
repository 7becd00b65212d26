package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;
import static dev.tryst.wire.TransferWire.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.transfer.FileReceiver.Options;
import dev.tryst.transfer.FileReceiver.Summary;
import dev.tryst.transfer.TargetFolder.Folder;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The receiver's first half: the whole offer checked before anything is written — every name, the
 * sizes adding up, what is already in the target folder (conflicts, files to resume, files that may
 * be there already), free space — and the summary the user is asked to accept. Once accepted, it
 * makes the offered folders and asks the sender for the files.
 *
 * <p>Everything it looks at under the target goes through the {@link TargetFolder}, opened here for
 * the whole transfer and closed with this plan.
 *
 * @param entries the offer as sent
 * @param rels    each entry's checked relative path (NFC, '/'-separated)
 * @param items   the offered files, in offer order, each with what to ask for
 * @param summary what the user is asked to accept
 * @param target  the target folder, open for the whole transfer
 */
record OfferPlan(List<Entry> entries, List<String> rels, List<Item> items, Summary summary, TargetFolder target)
        implements AutoCloseable {
    /** Free space kept beyond what the offer needs, so a transfer does not fill a disk to the last byte. */
    static final long SPACE_MARGIN = 16L << 20;
    /** Most bytes of paths one offer may hold in memory (250 000 entries of 4 KiB would be 1 GB). */
    static final long MAX_OFFER_PATH_BYTES = 32L << 20;

    enum Plan { FRESH, RESUME, HAVE }

    /** One offered file and what we know of it locally. */
    static final class Item {
        final int index;
        final Entry entry;
        final String rel;
        /** Its name in its folder, and its part's and state's. */
        final String name;
        final String partName;
        final String stateName;
        /** Where its part is, for messages. */
        final Path part;
        Plan plan = Plan.FRESH;
        long offset;
        MessageDigest prefix;
        String haveHash;
        boolean replaces;
        /** The part file we created and locked, to be sure it is still ours when we rename it. */
        Object partKey;

        Item(int index, Entry entry, String rel, Path target) {
            this.index = index;
            this.entry = entry;
            this.rel = rel;
            this.name = rel.substring(rel.lastIndexOf('/') + 1);
            this.partName = "." + name + FileIntake.PART_SUFFIX;
            this.stateName = "." + name + FileIntake.STATE_SUFFIX;
            this.part = target.resolve(rel).resolveSibling(partName);
        }
    }

    /**
     * Reads the rest of the offer that began with {@code offer} and checks it all. A breach is
     * refused (the sender is told as little as {@link FileReceiver} documents) and thrown.
     *
     * @param handles whether to use directory handles where the platform has them (see {@link TargetFolder})
     */
    static OfferPlan make(Session session, OfferFiles offer, Options options, boolean handles) throws IOException {
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

        if (!Files.isDirectory(root)) {
            throw refuse(ch, TransferException.Reason.DECLINED, "the receiver's target folder does not exist");
        }
        TargetFolder target;
        try {
            target = TargetFolder.open(root, handles);
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not open the target folder " + root, "could not open its folder", e));
        }
        try {
            return planAll(session, ch, options, entries, rels, sum, root, target);
        } catch (IOException | RuntimeException e) {
            target.close();
            throw e;
        }
    }

    /** Looks at what the target holds for each checked entry, then at free space; makes the summary. */
    private static OfferPlan planAll(Session session, SecureChannel ch, Options options, List<Entry> entries,
                                     List<String> rels, long sum, Path root, TargetFolder target) throws IOException {
        List<Item> items = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        int directories = 0;
        long fetch = 0;
        long ifDifferent = 0;
        List<String> replaced = new ArrayList<>();
        int replacing = 0;
        int resumable = 0;
        int present = 0;
        try {
            Map<String, Boolean> folderChecked = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                String rel = rels.get(i);
                Item it = new Item(i, e, rel, target.path());
                try {
                    String blocked = fileInTheWay(target, rel, folderChecked);
                    if (blocked != null) {
                        conflicts.add(rel + " (" + blocked + " is a file, a folder is needed there)");
                        continue;
                    }
                    Folder folder = target.parentOf(rel, false);
                    BasicFileAttributes there = folder == null ? null : folder.attributes(it.name);
                    SafePaths.judge(rel, target.path().resolve(rel), there, true); // no link or special file
                    if (e.directory()) {
                        directories++;
                        if (there != null && !there.isDirectory()) {
                            conflicts.add(rel + " (a file is there, a folder is offered)");
                        }
                        continue;
                    }
                    planItem(session, folder, there, it, options.overwrite(), conflicts);
                } catch (UnsafePathException unsafe) {
                    throw unsafe;
                } catch (IOException io) {
                    throw abort(ch, new LocalIoException("could not read " + it.rel + " in " + root, "could not read " + it.rel, io));
                }
                switch (it.plan) {
                    case HAVE -> {
                        present++;
                        if (options.overwrite()) {
                            ifDifferent += e.size(); // same size, content compared once accepted: fetched whole if it differs
                        }
                    }
                    case RESUME -> {
                        resumable++;
                        fetch += e.size() - it.offset;
                    }
                    case FRESH -> fetch += e.size();
                }
                if (it.replaces) {
                    if (replaced.size() < FileReceiver.NAMED) {
                        replaced.add(it.rel);
                    }
                    replacing++;
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
                    + " in " + root + "; nothing was received");
        }
        long usable;
        try {
            usable = Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not read the free space of " + root, "could not read its free space", e));
        }
        if (fetch + ifDifferent > usable - SPACE_MARGIN) { // the worst case: every same-size file differs
            tryToSend(ch, new Decline("the receiver does not have enough free space"));
            throw new TransferException(TransferException.Reason.NO_SPACE, "not enough space in " + root + ": the transfer needs "
                    + Units.bytes(fetch + ifDifferent) + ", " + Units.bytes(Math.max(0, usable)) + " is free; nothing was received");
        }
        List<Entry> largest = entries.stream().filter(e -> !e.directory())
                .sorted(Comparator.comparingLong(Entry::size).reversed()).limit(3).toList();
        LinkedHashSet<String> top = new LinkedHashSet<>();
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
        Summary summary = new Summary(items.size(), directories, sum, fetch, ifDifferent, resumable, present, largest, root,
                List.copyOf(top), hidden, executables, List.copyOf(replaced), replacing, List.copyOf(entries));
        return new OfferPlan(entries, rels, items, summary, target);
    }

    @Override
    public void close() throws IOException {
        target.close();
    }

    /** Accepted: makes the offered folders, then asks for the files (REQUEST records, ACCEPT). */
    void accept(SecureChannel ch) throws IOException {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).directory()) {
                try {
                    target.folder(rels.get(i), rels.get(i), true);
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
                case RESUME -> new Ask(it.index, ASK_RESUME, it.offset, FileIntake.hex(it.prefix));
                case HAVE -> new Ask(it.index, ASK_HAVE, it.entry.size(), it.haveHash);
            });
        }
        for (byte[] r : encodeAsks(asks)) {
            ch.send(r);
        }
        ch.send(encode(new Accept()));
    }

    /**
     * The first existing regular file on the way to {@code rel} (where the offer needs a folder):
     * a conflict with what the user has, not an unsafe offer. Each folder prefix is looked at once;
     * {@code files} remembers which were files, for the other entries below them.
     */
    private static String fileInTheWay(TargetFolder target, String rel, Map<String, Boolean> files) throws IOException {
        int slash = rel.indexOf('/');
        while (slash > 0) {
            String prefix = rel.substring(0, slash);
            Boolean file = files.get(prefix);
            if (file == null) {
                Folder folder = target.parentOf(prefix, false);
                BasicFileAttributes there = folder == null ? null : folder.attributes(prefix.substring(prefix.lastIndexOf('/') + 1));
                file = there != null && there.isRegularFile();
                files.put(prefix, file);
            }
            if (file) {
                return prefix;
            }
            slash = rel.indexOf('/', slash + 1);
        }
        return null;
    }

    /** The peer hears which offered path was refused; the local user also hears why, with local detail. */
    static TransferException unsafe(SecureChannel ch, UnsafePathException e) {
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

    /**
     * Decides fresh, resume or have for one file, from what is on disk: in {@code folder} (null if
     * it does not exist yet), where {@code there} is what has the file's name (null if nothing).
     */
    private static void planItem(Session session, Folder folder, BasicFileAttributes there, Item it, boolean overwrite,
                                 List<String> conflicts) throws IOException {
        if (folder == null) {
            return; // nothing to compare or resume
        }
        Entry e = it.entry;
        if (there != null) {
            if (!there.isRegularFile()) {
                conflicts.add(it.rel + " (not a regular file)");
                return;
            }
            if (there.size() == e.size()) {
                MessageDigest d = sha256();
                hashFile(session, folder, it.name, e.size(), d);
                it.plan = Plan.HAVE;
                it.haveHash = FileIntake.hex(d);
                return;
            }
            if (!overwrite) {
                conflicts.add(it.rel);
                return;
            }
            it.replaces = true;
        }
        BasicFileAttributes part = folder.attributes(it.partName);
        if (part != null && part.isRegularFile() && stateMatches(folder, it)) {
            long held = part.size();
            if (held > 0 && held <= e.size()) {
                MessageDigest d = sha256();
                hashFile(session, folder, it.partName, held, d);
                it.plan = Plan.RESUME;
                it.offset = held;
                it.prefix = d;
            }
        }
    }

    /** Whether the part's state file is ours for this offer; read only if it is a regular file, never through a link. */
    private static boolean stateMatches(Folder folder, Item it) {
        try (FileChannel f = folder.open(it.stateName, StandardOpenOption.READ)) {
            return FileIntake.stateMatches(f, it.entry);
        } catch (IOException e) {
            return false;
        }
    }

    private static void hashFile(Session session, Folder folder, String name, long length, MessageDigest d) throws IOException {
        session.local(() -> {
            try (FileChannel f = folder.open(name, StandardOpenOption.READ)) {
                return hash(f, length, d);
            }
        });
    }
}
