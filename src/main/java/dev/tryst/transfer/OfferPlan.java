package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;
import static dev.tryst.transfer.TransferWire.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import dev.tryst.transfer.FileReceiver.Options;
import dev.tryst.transfer.FileReceiver.Summary;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The receiver's first half: the whole offer checked before anything is written — every name, the
 * sizes adding up, what is already in the target folder (conflicts, files to resume, files that may
 * be there already), free space — and the summary the user is asked to accept. Once accepted, it
 * makes the offered folders and asks the sender for the files.
 *
 * @param entries the offer as sent
 * @param rels    each entry's checked relative path (NFC, '/'-separated)
 * @param items   the offered files, in offer order, each with what to ask for
 * @param summary what the user is asked to accept
 */
record OfferPlan(List<Entry> entries, List<String> rels, List<Item> items, Summary summary) {
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

    /** The target folder, absolute and normalised. */
    Path root() {
        return summary.target();
    }

    /**
     * Reads the rest of the offer that began with {@code offer} and checks it all. A breach is
     * refused (the sender is told as little as {@link FileReceiver} documents) and thrown.
     */
    static OfferPlan make(Session session, OfferFiles offer, Options options) throws IOException {
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
            Set<String> folderChecked = new HashSet<>();
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
                it.part = target.resolveSibling("." + name + FileIntake.PART_SUFFIX);
                it.state = target.resolveSibling("." + name + FileIntake.STATE_SUFFIX);
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
        Summary summary = new Summary(items.size(), directories, sum, fetch, resumable, present, largest, root,
                List.copyOf(top), hidden, executables);
        return new OfferPlan(entries, rels, items, summary);
    }

    /** Accepted: makes the offered folders, then asks for the files (REQUEST records, ACCEPT). */
    void accept(SecureChannel ch) throws IOException {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).directory()) {
                try {
                    Path dir = SafePaths.prepareParent(root(), rels.get(i));
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
     * a conflict with what the user has, not an unsafe offer. Each folder prefix is looked at once.
     */
    private static String fileInTheWay(Path root, String rel, Set<String> checked) {
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
                it.haveHash = FileIntake.hex(d);
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

    /** Whether the part's state file is ours for this offer; read without following a link. */
    private static boolean stateMatches(Item it) {
        try (FileChannel f = Peer.openRegular(it.state, StandardOpenOption.READ)) {
            return FileIntake.stateMatches(f, it.entry);
        } catch (IOException e) {
            return false;
        }
    }

    private static void hashFile(Session session, Path p, long length, MessageDigest d) throws IOException {
        session.local(() -> hash(p, length, d));
    }
}
