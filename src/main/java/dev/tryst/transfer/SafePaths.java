package dev.tryst.transfer;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Keeps every name a (possibly malicious) sender offers inside the receiver's target directory.
 *
 * <p>Two layers. {@link #check} and {@link #checkAll} are pure string checks on the offer, done
 * before anything is accepted: the rules are the same on every platform, so an offer that is safe
 * for a Linux receiver is also safe for a Windows or macOS one (which is why Windows device names
 * and trailing dots are refused everywhere, and duplicates are compared case-insensitively).
 * {@link #resolve} and {@link #prepareParent} then map a checked name onto the real file system
 * without ever following a symbolic link below the root; the receiver itself walks with
 * {@link TargetFolder}, which judges each step as they do ({@link #judge}), through directory
 * handles where the platform has them.
 */
public final class SafePaths {
    /** UTF-8 bytes of a whole relative path. */
    public static final int MAX_PATH_BYTES = dev.tryst.wire.TransferWire.MAX_PATH_BYTES;
    /** UTF-8 bytes of one name: 255 (the usual file-name limit) less the 13 bytes of ".NAME.tryst-state", the receiver's longest working name. */
    public static final int MAX_SEGMENT_BYTES = 242;
    /** Names in one path. */
    public static final int MAX_DEPTH = 64;

    /** Our own working files next to a file being received; a sender must not be able to plant them. */
    static final List<String> WORKING_SUFFIXES = List.of(".tryst-part", ".tryst-state");

    /**
     * Windows device names, reserved in every directory and with any extension. COM0/LPT0 and the
     * superscript-digit forms are reserved too on current Windows; CONIN$/CONOUT$ open the console.
     */
    private static final Set<String> DEVICE_NAMES = Set.of(
            "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
            "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
            "COM\u00B9", "COM\u00B2", "COM\u00B3", "LPT\u00B9", "LPT\u00B2", "LPT\u00B3");

    private SafePaths() {}

    /**
     * Checks one offered relative path and returns it normalised (NFC, '/' separators). Pure
     * string check, no file system.
     *
     * @throws UnsafePathException naming the path and the rule it breaks
     */
    public static String check(String offered) throws UnsafePathException {
        if (offered == null || offered.isEmpty()) {
            throw new UnsafePathException(offered, "empty path");
        }
        // Every char is at least one UTF-8 byte and NFC at most roughly halves a string, so this
        // bounds the work spent on absurd input without refusing anything that could fit.
        if (offered.length() > 4 * MAX_PATH_BYTES) {
            throw new UnsafePathException(offered, "too long (" + offered.length() + " chars; at most "
                    + MAX_PATH_BYTES + " UTF-8 bytes allowed)");
        }
        for (int i = 0; i < offered.length(); i++) {
            char c = offered.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < offered.length()
                    && Character.isLowSurrogate(offered.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new UnsafePathException(offered, "invalid Unicode (unpaired surrogate at index " + i + ")");
            }
        }
        String path = nfc(offered);

        for (int i = 0; i < path.length(); ) {
            int cp = path.codePointAt(i);
            String why = refusal(path, i, cp);
            if (why != null) {
                throw new UnsafePathException(offered, why + " at index " + i);
            }
            i += Character.charCount(cp);
        }
        if (path.startsWith("\\\\")) {
            throw new UnsafePathException(offered, "UNC path (\\\\server\\share) not allowed");
        }
        if (path.charAt(0) == '/' || path.charAt(0) == '\\') {
            throw new UnsafePathException(offered, "absolute path not allowed");
        }
        if (isDriveLetter(path)) {
            throw new UnsafePathException(offered, "Windows drive letter not allowed");
        }
        if (path.indexOf('\\') >= 0) {
            throw new UnsafePathException(offered, "backslash not allowed (paths use '/' as separator)");
        }

        int bytes = utf8Length(path);
        if (bytes > MAX_PATH_BYTES) {
            throw new UnsafePathException(offered, "too long (" + bytes + " UTF-8 bytes; at most " + MAX_PATH_BYTES + ")");
        }
        int depth = 0;
        int start = 0;
        while (true) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            depth++;
            if (depth > MAX_DEPTH) {
                throw new UnsafePathException(offered, "too deep (more than " + MAX_DEPTH + " names)");
            }
            checkSegment(offered, path.substring(start, end));
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        return path;
    }

    /**
     * Why the code point {@code cp} at {@code i} of an NFC path cannot be in a name, or null if it can.
     * Refused: controls (Cc), format characters (Cf: bidirectional overrides and isolates, zero-width
     * space, soft hyphen, byte-order mark, tags...), line and paragraph separators (Zl, Zp) and
     * unassigned code points (Cn, as of this JDK's Unicode version). One exception: a zero-width
     * non-joiner or joiner (U+200C, U+200D) between two non-ASCII letters, marks or symbols, where
     * Persian and Indic words and emoji sequences need it; elsewhere it joins nothing and only hides.
     * Private-use characters are allowed: they are the user's own, and show as what they are.
     */
    private static String refusal(String path, int i, int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL -> cp == 0 ? "contains a NUL byte" : "contains control character " + codePoint(cp);
            case Character.FORMAT -> isJoinerInsideAWord(path, i, cp) ? null
                    : "contains format character " + codePoint(cp) + " (invisible; it can hide or reorder what a name shows)";
            case Character.LINE_SEPARATOR -> "contains line separator " + codePoint(cp);
            case Character.PARAGRAPH_SEPARATOR -> "contains paragraph separator " + codePoint(cp);
            case Character.UNASSIGNED -> "contains unassigned character " + codePoint(cp);
            default -> null;
        };
    }

    private static String codePoint(int cp) {
        return String.format("U+%04X", cp);
    }

    /** U+200C or U+200D with a non-ASCII letter, mark or symbol on each side (default-ignorables skipped). */
    private static boolean isJoinerInsideAWord(String path, int i, int cp) {
        if (cp != 0x200C && cp != 0x200D) {
            return false;
        }
        int before = i;
        int b;
        do {
            if (before == 0) {
                return false;
            }
            b = path.codePointBefore(before);
            before -= Character.charCount(b);
        } while (isDefaultIgnorable(b));
        int after = i + 1;
        int a;
        do {
            if (after >= path.length()) {
                return false;
            }
            a = path.codePointAt(after);
            after += Character.charCount(a);
        } while (isDefaultIgnorable(a));
        return joins(b) && joins(a);
    }

    private static boolean joins(int cp) {
        return cp > 0x7F && switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK,
                    Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK, Character.MATH_SYMBOL,
                    Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }

    /**
     * Unicode's Default_Ignorable_Code_Point set: characters that display as nothing when not
     * supported, and that HFS+ and some tools ignore in names.
     */
    static boolean isDefaultIgnorable(int cp) {
        return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F || cp == 0x1160
                || cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x200B && cp <= 0x200F)
                || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0x3164
                || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF0 && cp <= 0xFFF8)
                || (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE0FFF);
    }

    private static void checkSegment(String offered, String segment) throws UnsafePathException {
        if (segment.isEmpty()) {
            throw new UnsafePathException(offered, "empty name (\"//\" or a trailing '/')");
        }
        if (segment.codePoints().allMatch(SafePaths::isDefaultIgnorable)) {
            throw new UnsafePathException(offered, "a name made only of invisible characters");
        }
        if (segment.equals(".") || segment.equals("..")) {
            throw new UnsafePathException(offered, "\"" + segment + "\" not allowed as a name");
        }
        if (isDriveLetter(segment)) {
            // On Windows, dir.resolve("c:x") is a drive-relative path, not a child of dir.
            throw new UnsafePathException(offered, "name \"" + segment + "\" looks like a Windows drive letter");
        }
        int bytes = utf8Length(segment);
        if (bytes > MAX_SEGMENT_BYTES) {
            throw new UnsafePathException(offered, "name too long (" + bytes + " UTF-8 bytes; at most "
                    + MAX_SEGMENT_BYTES + ")");
        }
        char last = segment.charAt(segment.length() - 1);
        if (last == '.' || last == ' ') {
            // Windows strips trailing dots and spaces, so "a." and "a" (or "a ") would be one file.
            throw new UnsafePathException(offered, "name \"" + UnsafePathException.printable(segment)
                    + "\" ends in a " + (last == '.' ? "dot" : "space") + " (Windows would strip it)");
        }
        // Windows ignores the extension and trailing spaces before it: "con.txt", "CON .log".
        int dot = segment.indexOf('.');
        String base = (dot < 0 ? segment : segment.substring(0, dot)).stripTrailing().toUpperCase(Locale.ROOT);
        if (DEVICE_NAMES.contains(base)) {
            throw new UnsafePathException(offered, "name \"" + UnsafePathException.printable(segment)
                    + "\" is a reserved Windows device name");
        }
        String lower = segment.toLowerCase(Locale.ROOT);
        for (String suffix : WORKING_SUFFIXES) {
            if (lower.endsWith(suffix)) {
                throw new UnsafePathException(offered, "names ending in " + suffix + " are reserved for tryst's working files");
            }
        }
    }

    /** "C:" or "c:anything": a Windows drive (absolute or drive-relative). */
    private static boolean isDriveLetter(String s) {
        return s.length() >= 2 && s.charAt(1) == ':'
                && ((s.charAt(0) >= 'A' && s.charAt(0) <= 'Z') || (s.charAt(0) >= 'a' && s.charAt(0) <= 'z'));
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4; // a pair (lone surrogates are refused before this is used)
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Checks a whole offer's paths together: each one with {@link #check}, then duplicates (after
     * NFC, without default-ignorable code points and case-insensitively, since the receiver may be
     * on a file system that ignores them or case), and
     * a file that is also used as a directory (a file "a" and an entry "a/b"). Linear in the size
     * of the offer.
     *
     * @param paths the offered relative paths
     * @param isDirectory for each path, whether it is offered as a directory
     * @throws UnsafePathException for the first offending path
     * @throws IllegalArgumentException if the two lists differ in length
     */
    public static void checkAll(List<String> paths, List<Boolean> isDirectory) throws UnsafePathException {
        if (paths.size() != isDirectory.size()) {
            throw new IllegalArgumentException(paths.size() + " paths but " + isDirectory.size() + " kinds");
        }
        int n = paths.size();
        String[] checked = new String[n];
        String[] keys = new String[n];
        // folded key -> index of the entry that has it
        Map<String, Integer> byKey = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            String offered = paths.get(i);
            checked[i] = check(offered);
            keys[i] = key(checked[i]);
            Integer earlier = byKey.putIfAbsent(keys[i], i);
            if (earlier != null) {
                String other = checked[earlier];
                throw new UnsafePathException(offered, other.equals(checked[i])
                        ? "offered twice" + (offered.equals(paths.get(earlier)) ? "" : " (equal after Unicode normalisation)")
                        : "same name as \"" + UnsafePathException.printable(other) + "\" "
                                + (foldCase(other).equals(foldCase(checked[i])) ? "on a case-insensitive file system"
                                        : "once invisible characters are ignored (as some file systems do)"));
            }
        }
        for (int i = 0; i < n; i++) {
            String key = keys[i];
            for (int slash = key.lastIndexOf('/'); slash > 0; slash = key.lastIndexOf('/', slash - 1)) {
                Integer parent = byKey.get(key.substring(0, slash));
                if (parent != null && !isDirectory.get(parent)) {
                    throw new UnsafePathException(paths.get(i), "needs \"" + UnsafePathException.printable(checked[parent])
                            + "\" to be a directory, but the offer lists it as a file");
                }
            }
        }
    }

    /**
     * The duplicate-check key of a checked path: without its default-ignorable code points (see
     * {@link #isDefaultIgnorable}), then case-folded ({@link #foldCase}), so that names one file
     * system stores as one file are one key. '/' is kept, so a parent's key stays a prefix of its
     * children's keys, and no name is empty ({@link #check} refuses names made only of them).
     */
    static String key(String nfcPath) {
        StringBuilder b = new StringBuilder(nfcPath.length());
        nfcPath.codePoints().filter(cp -> !isDefaultIgnorable(cp)).forEach(b::appendCodePoint);
        return foldCase(b.toString());
    }

    /**
     * A key under which names that a case-insensitive file system (NTFS, APFS, HFS+) could treat as
     * one are equal. Upper- then lower-casing approximates full case folding ("ß" and "ss" meet);
     * that may refuse a few pairs a given file system would keep apart, never the other way round
     * for the common cases. '/' is neither cased nor case-ignorable, so each name folds on its own
     * (Greek final sigma included) and a parent's key is a prefix of its children's keys.
     */
    static String foldCase(String nfcPath) {
        return nfc(nfcPath.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT));
    }

    private static String nfc(String s) {
        return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
    }

    /**
     * Resolves a checked relative path under root for writing, without following any symbolic
     * link: every existing component from root down must be a real directory (not a symlink, not a
     * Windows junction or other reparse point), and the final component, if it exists, must not be
     * a symlink or a special file (FIFO, device). Root itself may be reached through symlinks.
     * Creates nothing.
     *
     * @param checkedRelative a path that {@link #check} accepted (it is checked again here)
     * @return the absolute, normalised path, which starts with {@code root.toRealPath()}
     * @throws UnsafePathException if the path breaks a rule or meets a symlink or a non-directory
     * @throws IOException if root cannot be read or is not a directory
     */
    public static Path resolve(Path root, String checkedRelative) throws IOException {
        return walk(root, checkedRelative, false);
    }

    /**
     * Like {@link #resolve}, and also creates the missing parent directories of the result, one at
     * a time, re-checking each one after creating it. Creating a directory never follows a link at
     * that name; what remains is a race with another local user swapping a checked directory for
     * a link in between, which a single-user receiver controls. The final component is not created.
     *
     * @return the same path as {@link #resolve}
     */
    public static Path prepareParent(Path root, String checkedRelative) throws IOException {
        return walk(root, checkedRelative, true);
    }

    private static Path walk(Path root, String checkedRelative, boolean createParents) throws IOException {
        String relative = check(checkedRelative);
        Path realRoot = root.toRealPath();
        if (!Files.isDirectory(realRoot)) {
            throw new NotDirectoryException(root.toString());
        }
        String[] segments = relative.split("/", -1);
        Path current = realRoot;
        boolean exists = true; // once a component is missing, nothing below it can exist
        for (int i = 0; i < segments.length; i++) {
            boolean last = i == segments.length - 1;
            Path next = child(checkedRelative, current, segments[i]);
            if (exists) {
                BasicFileAttributes attrs = attributes(next);
                if (attrs == null && !last && createParents) {
                    try {
                        Files.createDirectory(next);
                    } catch (FileAlreadyExistsException raced) {
                        // made by someone else since we looked: judged below like any existing one
                    }
                    attrs = attributes(next);
                    if (attrs == null) {
                        throw new UnsafePathException(checkedRelative, "directory " + next + " vanished after creating it");
                    }
                }
                exists = judge(checkedRelative, next, attrs, last);
            }
            current = next;
        }
        if (!current.startsWith(realRoot) || current.equals(realRoot)) {
            // cannot happen after check(); kept so that a future change to the rules fails closed
            throw new UnsafePathException(checkedRelative, "resolves outside the target directory");
        }
        return current;
    }

    /**
     * Judges what a walk below the target found at {@code at}: false if nothing is there; true if
     * it may be there, that is, a real directory, or in the last place anything but a link or a
     * special file.
     *
     * @param attrs what is at {@code at} (not following a link), or null
     * @throws UnsafePathException naming {@code offered} if it is a link, a special file, or not a
     *                             directory where one is needed
     */
    static boolean judge(String offered, Path at, BasicFileAttributes attrs, boolean last) throws UnsafePathException {
        if (attrs == null) {
            return false;
        } else if (attrs.isSymbolicLink()) {
            throw new UnsafePathException(offered, at + " is a symbolic link in the target directory");
        } else if (attrs.isOther()) {
            // Windows junctions and other reparse points, FIFOs, devices, sockets
            throw new UnsafePathException(offered, at + " is a special file (link, junction, device or pipe)");
        } else if (!last && !attrs.isDirectory()) {
            throw new UnsafePathException(offered, at + " exists and is not a directory");
        }
        return true;
    }

    /** dir.resolve(name), refusing anything the platform's path parser reads as more than one child name. */
    static Path child(String offered, Path dir, String name) throws UnsafePathException {
        Path next;
        try {
            next = dir.resolve(name);
        } catch (InvalidPathException e) {
            // e.g. "a:b" (an NTFS stream) or '<', '|', '?' on Windows
            throw new UnsafePathException(offered, "name not valid on this system: " + e.getReason(), e);
        }
        if (!dir.equals(next.getParent()) || next.getFileName() == null || !next.getFileName().toString().equals(name)) {
            throw new UnsafePathException(offered, "name \"" + UnsafePathException.printable(name)
                    + "\" does not map to a single file name on this system");
        }
        return next;
    }

    /** The attributes of path itself (never a link's target), or null if nothing is there. */
    private static BasicFileAttributes attributes(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
