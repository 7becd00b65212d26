package dev.tryst.identity;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The identities this one knows by name: who may connect to it, and whom it can reach by name.
 * Kept beside the identity file ({@link #fileFor}), mode 0600, replaced atomically on every change.
 *
 * <p><b>File format</b>: UTF-8 text; the first line {@code tryst/v1 contacts}; then one contact per
 * line, {@code NAME KEY}, the key as 64 lowercase hex digits (the Ed25519 public key). Blank lines
 * and lines starting with {@code #} are ignored (and not kept when tryst rewrites the file). A name
 * is 1 to 63 characters of {@code a-z 0-9 . _ -}, starting with a letter or digit, and is never 64
 * hex digits or a fingerprint, so that a name, a key and a fingerprint can never be mistaken for
 * each other. Names and keys are each unique; a file that breaks a rule is refused with its line
 * number, never half-read. A file that others may write is refused, as ssh refuses such keys.
 *
 * <p>Every change ({@link #add}, {@link #rename}, {@link #remove}) holds a lock on
 * {@code .NAME.lock} beside the file, reads it again, and writes a new file that is synced and
 * renamed over the old one: two commands at once never lose each other's change, and a crash
 * leaves the old file or the new one.
 */
public final class Contacts {
    static final String HEADER = "tryst/v1 contacts";
    public static final int MAX_NAME = 63;
    /** More than anyone pairs by hand; bounds what a damaged or hostile file can make us hold. */
    public static final int MAX_CONTACTS = 4096;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final Pattern HEX_KEY = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern FINGERPRINT = Pattern.compile("([a-z2-7]{4}-){7}[a-z2-7]{4}");
    private static final Set<PosixFilePermission> OTHERS_WRITE = EnumSet.of(
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    /** One contact: its name here and its key. */
    public record Contact(String name, IdentityKey key) {
        public Contact {
            checkName(name);
            java.util.Objects.requireNonNull(key, "key");
        }
    }

    /** A change that cannot be made, or a file that cannot be read: the message says which and why. */
    public static final class ContactsException extends IOException {
        private static final long serialVersionUID = 1L;

        public ContactsException(String message) {
            super(message);
        }
    }

    private final Path file;
    private final List<Contact> contacts;

    private Contacts(Path file, List<Contact> contacts) {
        this.file = file;
        this.contacts = List.copyOf(contacts);
    }

    /** The contacts file of the identity in {@code identityFile}: {@code contacts} beside the default {@code identity}, else {@code FILE.contacts}. */
    public static Path fileFor(Path identityFile) {
        Path abs = identityFile.toAbsolutePath();
        String name = abs.getFileName().toString();
        return abs.resolveSibling(name.equals("identity") ? "contacts" : name + ".contacts");
    }

    /** Reads {@code file}; a file that does not exist is an empty list. */
    public static Contacts load(Path file) throws IOException {
        List<String> lines;
        try {
            checkTrust(file);
            try (var ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                long size = ch.size();
                if (size > (long) MAX_CONTACTS * 160 + 4096) {
                    throw new ContactsException(file + " is too large to be a contacts file");
                }
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) size);
                while (b.hasRemaining() && ch.read(b) >= 0) {
                    // until the whole file is read
                }
                lines = StandardCharsets.UTF_8.decode(b.flip()).toString().lines().toList();
            }
        } catch (NoSuchFileException e) {
            return new Contacts(file, List.of());
        }
        if (lines.isEmpty() || !lines.getFirst().strip().equals(HEADER)) {
            throw new ContactsException(file + " is not a tryst contacts file (its first line is not '" + HEADER + "')");
        }
        List<Contact> read = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            String where = file + " line " + (i + 1);
            if (parts.length != 2) {
                throw new ContactsException(where + ": expected 'NAME KEY', found '" + line + "'");
            }
            Contact c;
            try {
                c = new Contact(parts[0], IdentityKey.fromHex(parts[1]));
            } catch (IllegalArgumentException e) {
                throw new ContactsException(where + ": " + e.getMessage());
            }
            for (Contact other : read) {
                if (other.name.equals(c.name)) {
                    throw new ContactsException(where + ": the name '" + c.name + "' is there twice");
                }
                if (other.key.equals(c.key)) {
                    throw new ContactsException(where + ": the key of '" + c.name + "' is also '" + other.name + "''s");
                }
            }
            if (read.size() == MAX_CONTACTS) {
                throw new ContactsException(file + " has more than " + MAX_CONTACTS + " contacts");
            }
            read.add(c);
        }
        return new Contacts(file, read);
    }

    /**
     * Whoever can change this file decides who may connect: it must be a file of ours (not a
     * symbolic link, not another user's), that nobody else may write, in a folder nobody else may
     * change — unless that folder is sticky (like /tmp), where others cannot replace our file.
     */
    private static void checkTrust(Path file) throws IOException {
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            throw new ContactsException(file + " is a symbolic link; the contacts file must be a file of its own");
        }
        Integer me = currentUid();
        if (me != null) {
            int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != me) {
                throw new ContactsException(file + " belongs to another user (" + a.owner().getName() + "); anyone who can"
                        + " change it can connect as a contact. Remove it, or make it yours");
            }
        }
        if (!Collections.disjoint(a.permissions(), OTHERS_WRITE)) {
            throw new ContactsException(file + " may be changed by other users (mode "
                    + PosixFilePermissions.toString(a.permissions()) + "); anyone who can add a key there can connect as a contact."
                    + " Make it private: chmod 600 " + file);
        }
        Path dir = file.toAbsolutePath().getParent();
        int mode = (Integer) Files.getAttribute(dir, "unix:mode");
        boolean othersWrite = (mode & 0022) != 0;
        boolean sticky = (mode & 01000) != 0;
        if (othersWrite && !sticky) {
            throw new ContactsException("the folder " + dir + " may be changed by other users, who could replace " + file
                    + " with their own; keep the identity and its contacts in a private folder");
        }
    }

    /** The uid this process runs as (the owner of /proc/self on Linux), or null where that cannot be known. */
    private static Integer currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    public Path file() {
        return file;
    }

    public List<Contact> list() {
        return contacts;
    }

    public Optional<Contact> byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return contacts.stream().filter(c -> c.name.equals(n)).findFirst();
    }

    public Optional<Contact> byKey(IdentityKey key) {
        return contacts.stream().filter(c -> c.key.equals(key)).findFirst();
    }

    /**
     * The peer someone named: a contact's name, its fingerprint, or any public key (64 hex digits;
     * a key that is not a contact is taken as given, named by its fingerprint).
     *
     * @throws ContactsException nothing matches, with what was looked for
     */
    public Contact resolve(String peer) throws ContactsException {
        String p = peer.strip();
        if (HEX_KEY.matcher(p).matches()) {
            IdentityKey key;
            try {
                key = IdentityKey.fromHex(p.toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ContactsException("'" + peer + "' is not a public key: " + e.getMessage());
            }
            return byKey(key).orElseGet(() -> new Contact(key.fingerprint().substring(0, 9), key));
        }
        String lower = p.toLowerCase(Locale.ROOT);
        if (FINGERPRINT.matcher(lower).matches()) {
            return contacts.stream().filter(c -> c.key.fingerprint().equals(lower)).findFirst()
                    .orElseThrow(() -> new ContactsException("no contact has the fingerprint " + lower
                            + " (a fingerprint names only a contact; give the public key itself to reach another identity)"));
        }
        return byName(lower).orElseThrow(() -> new ContactsException("no contact is named '" + p + "'"
                + (contacts.isEmpty() ? " (there are no contacts yet: pair with 'tryst pair')"
                        : " (contacts: " + String.join(", ", contacts.stream().map(Contact::name).toList()) + ")")));
    }

    // ---- changes: each one locked, read again, written atomically --------------------------------

    /**
     * Adds {@code name} with {@code key}.
     *
     * @throws ContactsException the name is taken by another key, or the key is known by another name
     */
    public static Contacts add(Path file, String name, IdentityKey key) throws IOException {
        return change(file, list -> {
            Contact c = new Contact(checkName(name), key);
            for (Contact other : list) {
                if (other.key.equals(key)) {
                    if (other.name.equals(c.name)) {
                        return; // already there, as asked
                    }
                    throw new ContactsException("that key is already the contact '" + other.name + "'");
                }
                if (other.name.equals(c.name)) {
                    throw new ContactsException("a contact named '" + c.name + "' already exists, with another key ("
                            + other.key.fingerprint() + "); remove it or choose another name");
                }
            }
            if (list.size() >= MAX_CONTACTS) {
                throw new ContactsException("there are " + MAX_CONTACTS + " contacts already");
            }
            list.add(c);
        });
    }

    public static Contacts rename(Path file, String from, String to) throws IOException {
        return change(file, list -> {
            String f = from.toLowerCase(Locale.ROOT);
            String t = checkName(to);
            int i = indexOf(list, f);
            if (!t.equals(f) && list.stream().anyMatch(c -> c.name.equals(t))) {
                throw new ContactsException("a contact named '" + t + "' already exists");
            }
            list.set(i, new Contact(t, list.get(i).key));
        });
    }

    public static Contacts remove(Path file, String name) throws IOException {
        return change(file, list -> list.remove(indexOf(list, name.toLowerCase(Locale.ROOT))));
    }

    private static int indexOf(List<Contact> list, String name) throws ContactsException {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).name.equals(name)) {
                return i;
            }
        }
        throw new ContactsException("no contact is named '" + name + "'");
    }

    @FunctionalInterface
    private interface Edit {
        void apply(List<Contact> contacts) throws ContactsException;
    }

    private static final Object IN_THIS_PROCESS = new Object();

    private static Contacts change(Path file, Edit edit) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        boolean posix = PrivateFiles.posix(dir);
        PrivateFiles.makeDirectories(dir);
        Path lockFile = dir.resolve("." + abs.getFileName() + ".lock");
        synchronized (IN_THIS_PROCESS) { // a file lock orders processes; threads of one process need this too
            try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
                 var held = lock.lock()) {
                List<Contact> list = new ArrayList<>(load(abs).contacts);
                edit.apply(list);
                write(abs, list, posix);
                return new Contacts(abs, list);
            }
        }
    }

    private static void write(Path file, List<Contact> list, boolean posix) throws IOException {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (Contact c : list) {
            text.append(c.name).append(' ').append(c.key.toHex()).append('\n');
        }
        Path dir = file.getParent();
        Path tmp = PrivateFiles.writeTemporary(dir, ".contacts-", text.toString());
        try {
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (posix) {
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true); // the rename itself reaches the disk
                } catch (IOException ignored) {
                    // not every file system syncs a directory
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * {@code name}, lower-cased, if it is a valid contact name.
     *
     * @throws IllegalArgumentException why it is not
     */
    public static String checkName(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        if (!NAME.matcher(n).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a contact name: use 1 to " + MAX_NAME
                    + " letters a-z, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (HEX_KEY.matcher(n).matches() || FINGERPRINT.matcher(n).matches()) {
            throw new IllegalArgumentException("'" + name + "' looks like a key or a fingerprint; choose a name");
        }
        return n;
    }

    /** A valid contact name made from anything (a host name the peer suggested): never fails. */
    public static String suggestName(String raw) {
        String s = raw == null ? "" : raw.strip().toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < MAX_NAME; i++) {
            char c = s.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
                b.append(c);
            } else if (b.length() > 0 && b.charAt(b.length() - 1) != '-') {
                b.append('-');
            }
        }
        while (b.length() > 0 && !Character.isLetterOrDigit(b.charAt(0))) {
            b.deleteCharAt(0);
        }
        String n = b.toString();
        try {
            return checkName(n);
        } catch (IllegalArgumentException e) {
            return "peer";
        }
    }

    /** {@code wanted}, or {@code wanted-2}, {@code wanted-3}… whichever is free here. */
    public String freeName(String wanted) {
        String base = suggestName(wanted);
        if (byName(base).isEmpty()) {
            return base;
        }
        for (int i = 2; ; i++) {
            String suffix = "-" + i;
            String n = (base.length() + suffix.length() > MAX_NAME ? base.substring(0, MAX_NAME - suffix.length()) : base) + suffix;
            if (byName(n).isEmpty()) {
                return n;
            }
        }
    }
}
