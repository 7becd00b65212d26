package dev.tryst.transfer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The receiver's target folder, resolved once for a whole transfer: every look, open, removal,
 * rename and time or mode change below it goes through a {@link Folder} from here, one plain name
 * (already passed by {@link SafePaths#check}) at a time, never following a symbolic link.
 *
 * <p>Where the platform provides {@link SecureDirectoryStream} (Linux), the target and the folders
 * below it are open directory handles: a folder is reached by opening one name at a time from the
 * target's handle without following a link, and every operation is relative to the handle of the
 * folder it is in (openat, fstatat, unlinkat, renameat). A folder that another local user swaps for
 * a link after it was checked redirects nothing, because its name is not looked up again: handles
 * are kept (up to {@value #KEPT} folders) and a folder no longer kept is walked to again from the
 * target, checked on the way. What remains is creating a missing folder, which Java does only by
 * path: just before, the folder's path must still lead to its open handle, and the new folder is
 * then opened through the handle, so a swap in that moment can at worst leave an empty folder
 * elsewhere. Opening a name (which Java does without O_NONBLOCK) is preceded by a check that it is
 * a regular file or folder, so a FIFO put there in between could still block the open.
 *
 * <p>Where it does not (the fallback: macOS, Windows), every operation goes by path, with the
 * checks of before: each walk checks every folder from the target down without following a link,
 * right before the folder is used, and opens, removals, renames and time and mode changes do not
 * follow a link in the last name. A local user who swaps a checked folder for a link between that
 * check and the use can still redirect the use there.
 */
final class TargetFolder implements Closeable {
    /** Folder handles kept open for reuse; more than a path can be deep, so one walk never evicts its own. */
    static final int KEPT = 128;

    private final Folder root;
    private final boolean handles;
    /** Handles of folders below the target by relative path, least recently used first. */
    private final Map<String, Folder> kept = new LinkedHashMap<>(16, 0.75f, true);

    private TargetFolder(Folder root, boolean handles) {
        this.root = root;
        this.handles = handles;
    }

    /**
     * Opens the target folder (which may itself be reached through links), with directory handles
     * if {@code handles} and the platform provides them, else by path.
     */
    static TargetFolder open(Path target, boolean handles) throws IOException {
        Path real = target.toRealPath();
        if (!Files.isDirectory(real)) {
            throw new NotDirectoryException(target.toString());
        }
        if (handles) {
            DirectoryStream<Path> ds = Files.newDirectoryStream(real);
            if (ds instanceof SecureDirectoryStream<Path> sds) {
                return new TargetFolder(new ByHandle(sds, real), true);
            }
            ds.close();
        }
        return new TargetFolder(new ByPath(real), false);
    }

    /** Whether this transfer goes through directory handles (else by path). */
    boolean handles() {
        return handles;
    }

    /** The target folder's real path. */
    Path path() {
        return root.path();
    }

    /**
     * The folder holding the checked entry {@code rel}; see {@link #folder}.
     */
    Folder parentOf(String rel, boolean create) throws IOException {
        int slash = rel.lastIndexOf('/');
        return folder(rel, slash < 0 ? "" : rel.substring(0, slash), create);
    }

    /**
     * The folder at the checked relative path {@code dir} ("" for the target), its missing folders
     * made if {@code create}, or null if one is missing and not {@code create}.
     *
     * @param offered the offered path this is for, named in an error
     * @throws UnsafePathException if a link, a special file or a file is on the way
     */
    Folder folder(String offered, String dir, boolean create) throws IOException {
        if (dir.isEmpty()) {
            return root;
        }
        Folder known = kept.get(dir);
        if (known != null) {
            return known;
        }
        int slash = dir.lastIndexOf('/');
        Folder parent = folder(offered, slash < 0 ? "" : dir.substring(0, slash), create);
        if (parent == null) {
            return null;
        }
        String name = dir.substring(slash + 1);
        BasicFileAttributes attrs = parent.attributes(name);
        if (attrs == null && create) {
            try {
                parent.createFolder(name);
            } catch (FileAlreadyExistsException raced) {
                // made by someone else since we looked: judged below like any existing one
            }
            attrs = parent.attributes(name);
            if (attrs == null) {
                throw new UnsafePathException(offered, "folder " + parent.path().resolve(name) + " vanished after creating it");
            }
        }
        if (!SafePaths.judge(offered, parent.path().resolve(name), attrs, false)) {
            return null;
        }
        Folder f = parent.child(offered, name);
        if (handles) {
            kept.put(dir, f);
            if (kept.size() > KEPT) {
                var eldest = kept.entrySet().iterator();
                Folder old = eldest.next().getValue();
                eldest.remove();
                old.close();
            }
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        for (Folder f : kept.values()) {
            f.close();
        }
        kept.clear();
        root.close();
    }

    /**
     * A folder in the target (or the target itself). Every name is one plain, checked name in it;
     * nothing here follows a link at that name.
     */
    sealed interface Folder extends Closeable permits ByHandle, ByPath {
        /** Where it is, for messages (with handles, where it was when it was opened). */
        Path path();

        /** A view of the attributes of {@code name} that does not follow a link there (null if the platform has none of that type). */
        <V extends FileAttributeView> V view(String name, Class<V> type);

        /** What is at {@code name} (a link itself, not its target), or null if nothing is. */
        default BasicFileAttributes attributes(String name) throws IOException {
            try {
                return view(name, BasicFileAttributeView.class).readAttributes();
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        /** Opens the existing regular file {@code name} (refused if it is anything else, a link too). */
        FileChannel open(String name, StandardOpenOption... options) throws IOException;

        /** Creates {@code name} as a new empty file for writing; fails if anything has that name. */
        FileChannel createNew(String name) throws IOException;

        /** Removes {@code name} (a link itself, never its target); false if nothing was there. */
        boolean delete(String name) throws IOException;

        /** Renames {@code from} onto {@code to} in this folder, atomically, replacing what {@code to} is. */
        void rename(String from, String to) throws IOException;

        /**
         * Sets the modification time of {@code name}, then, if {@code executable}, makes it executable
         * for the owner, and for group and others where they may read (not on a non-POSIX file system).
         */
        default void setTimeAndMode(String name, FileTime time, boolean executable) throws IOException {
            PosixFileAttributeView posix = view(name, PosixFileAttributeView.class);
            if (posix == null) { // not a POSIX file system: no executable bit to keep
                view(name, BasicFileAttributeView.class).setTimes(time, null, null);
                return;
            }
            posix.setTimes(time, null, null);
            if (executable) {
                Set<PosixFilePermission> p = new HashSet<>(posix.readAttributes().permissions());
                p.add(PosixFilePermission.OWNER_EXECUTE);
                if (p.contains(PosixFilePermission.GROUP_READ)) {
                    p.add(PosixFilePermission.GROUP_EXECUTE);
                }
                if (p.contains(PosixFilePermission.OTHERS_READ)) {
                    p.add(PosixFilePermission.OTHERS_EXECUTE);
                }
                posix.setPermissions(p);
            }
        }

        /** How many names the file at {@code name} has (1 where the file system does not say). */
        int links(String name) throws IOException;

        /** Creates the folder {@code name} in this one. */
        void createFolder(String name) throws IOException;

        /** The folder {@code name} in this one, which a walk has just judged to be a folder. */
        Folder child(String offered, String name) throws IOException;

        /** The file key of what is at {@code name} (see {@link BasicFileAttributes#fileKey}). */
        default Object fileKey(String name) throws IOException {
            BasicFileAttributes a = attributes(name);
            if (a == null) {
                throw new NoSuchFileException(path().resolve(name).toString());
            }
            return a.fileKey();
        }
    }

    /** A folder held as an open directory handle: every operation is relative to it. */
    record ByHandle(SecureDirectoryStream<Path> dir, Path path) implements Folder {
        private Path name(String name) {
            return path.getFileSystem().getPath(name);
        }

        @Override
        public <V extends FileAttributeView> V view(String name, Class<V> type) {
            return dir.getFileAttributeView(name(name), type, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public FileChannel open(String name, StandardOpenOption... options) throws IOException {
            BasicFileAttributes a = attributes(name);
            if (a == null || !a.isRegularFile()) {
                throw new IOException(path.resolve(name) + " is not a regular file (any more)");
            }
            Set<OpenOption> o = new HashSet<>(List.of(options));
            o.add(LinkOption.NOFOLLOW_LINKS);
            return (FileChannel) dir.newByteChannel(name(name), o);
        }

        @Override
        public FileChannel createNew(String name) throws IOException {
            return (FileChannel) dir.newByteChannel(name(name),
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
        }

        @Override
        public boolean delete(String name) throws IOException {
            try {
                dir.deleteFile(name(name));
                return true;
            } catch (NoSuchFileException e) {
                return false;
            }
        }

        @Override
        public void rename(String from, String to) throws IOException {
            dir.move(name(from), dir, name(to));
        }

        /** Java reads the link count by path only: read so, and only if the path still leads to the same file. */
        @Override
        public int links(String name) throws IOException {
            Object key = fileKey(name);
            ByPath byPath = new ByPath(path);
            if (!key.equals(byPath.fileKey(name))) {
                throw new IOException(path.resolve(name) + " is no longer where it was opened");
            }
            return byPath.links(name);
        }

        @Override
        public void createFolder(String name) throws IOException {
            Object here = dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
            if (!here.equals(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey())) {
                throw new IOException(path + " was moved or replaced during the transfer; not creating folders in it");
            }
            Files.createDirectory(path.resolve(name));
        }

        @Override
        public Folder child(String offered, String name) throws IOException {
            return new ByHandle(dir.newDirectoryStream(name(name), LinkOption.NOFOLLOW_LINKS), path.resolve(name));
        }

        @Override
        public void close() throws IOException {
            dir.close();
        }
    }

    /** A folder known by its path (the fallback): each operation looks the path up again. */
    record ByPath(Path path) implements Folder {
        private Path at(String name) {
            return path.resolve(name);
        }

        @Override
        public <V extends FileAttributeView> V view(String name, Class<V> type) {
            return Files.getFileAttributeView(at(name), type, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public FileChannel open(String name, StandardOpenOption... options) throws IOException {
            return Peer.openRegular(at(name), options);
        }

        @Override
        public FileChannel createNew(String name) throws IOException {
            return FileChannel.open(at(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public boolean delete(String name) throws IOException {
            return Files.deleteIfExists(at(name));
        }

        @Override
        public void rename(String from, String to) throws IOException {
            try {
                Files.move(at(from), at(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(at(from), at(to), StandardCopyOption.REPLACE_EXISTING);
            }
        }

        @Override
        public int links(String name) throws IOException {
            try {
                return Files.getAttribute(at(name), "unix:nlink", LinkOption.NOFOLLOW_LINKS) instanceof Integer n ? n : 1;
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                return 1; // no "unix" view here
            }
        }

        @Override
        public void createFolder(String name) throws IOException {
            Files.createDirectory(at(name));
        }

        @Override
        public Folder child(String offered, String name) throws IOException {
            return new ByPath(SafePaths.child(offered, path, name));
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}
