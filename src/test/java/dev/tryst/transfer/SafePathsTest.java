package dev.tryst.transfer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Offered names from a hostile sender, and a target directory with symlinks already in it. */
@Timeout(120) // a hang guard: 100 000 names are CPU work on a shared machine
class SafePathsTest {

    // ---- check: refused ----

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("../x", "not allowed as a name"),
                Arguments.of("a/../../x", "not allowed as a name"),
                Arguments.of("..", "not allowed as a name"),
                Arguments.of("/etc/passwd", "absolute"),
                Arguments.of("\\etc", "absolute"),
                Arguments.of("\\\\srv\\share", "UNC"),
                Arguments.of("C:\\x", "drive letter"),
                Arguments.of("C:", "drive letter"),
                Arguments.of("c:x", "drive letter"),
                Arguments.of("a/c:x", "drive letter"),
                Arguments.of("a\\b", "backslash"),
                Arguments.of("a//b", "empty name"),
                Arguments.of("a/./b", "not allowed as a name"),
                Arguments.of("./a", "not allowed as a name"),
                Arguments.of("a/", "empty name"),
                Arguments.of("", "empty path"),
                Arguments.of("a\u0000b", "NUL"),
                Arguments.of("a\nb", "control character U+000A"),
                Arguments.of("a\u007Fb", "control character U+007F"),
                Arguments.of("a\u0085b", "control character U+0085"), // C1 NEL
                Arguments.of("a\u009Bb", "control character U+009B"), // C1 CSI: terminal escapes
                Arguments.of("CON", "reserved Windows device name"),
                Arguments.of("con.txt", "reserved Windows device name"),
                Arguments.of("a/LPT1.log", "reserved Windows device name"),
                Arguments.of("Nul.tar.gz", "reserved Windows device name"),
                Arguments.of("aux .txt", "reserved Windows device name"),
                Arguments.of("COM\u00B9", "reserved Windows device name"),
                Arguments.of("name.", "ends in a dot"),
                Arguments.of("name ", "ends in a space"),
                // "..." is a valid name on Linux, but Windows strips trailing dots, so it would
                // become "" there; refused like every name that ends in a dot.
                Arguments.of("...", "ends in a dot"),
                Arguments.of("dir./x", "ends in a dot"),
                Arguments.of("a".repeat(300), "name too long"),
                Arguments.of("a".repeat(256), "name too long"),
                Arguments.of("é".repeat(128), "name too long"), // 256 bytes in 128 chars
                Arguments.of(String.join("/", Collections.nCopies(50, "b".repeat(99))), "too long"), // 4999 bytes
                Arguments.of("x".repeat(20_000), "too long"),
                Arguments.of(String.join("/", Collections.nCopies(65, "d")), "too deep"),
                Arguments.of("x.tryst-part", "reserved for tryst"),
                Arguments.of("d/x.TRYST-STATE", "reserved for tryst"),
                Arguments.of("a\uD800b", "unpaired surrogate"),
                Arguments.of("a\uDC00", "unpaired surrogate"),
                Arguments.of("\uD83D", "unpaired surrogate"));
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void refusesHostileNames(String name, String reason) {
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafePaths.check(name));
        String shown = UnsafePathException.printable(name);
        assertTrue(e.getMessage().contains("\"" + shown), "message should name the path: " + e.getMessage());
        assertTrue(e.getMessage().contains(reason), "message should say why (" + reason + "): " + e.getMessage());
        assertTrue(e.getMessage().codePoints().noneMatch(cp -> Character.isISOControl(cp) || Character.isSurrogate((char) cp)
                        && cp <= 0xFFFF), "message must be printable: " + e.getMessage());
        assertTrue(e.getMessage().length() < 1000, "message stays short");
    }

    @Test
    void nullIsRefused() {
        assertThrows(UnsafePathException.class, () -> SafePaths.check(null));
    }

    @Test
    void printableReplacesControlsAndSpoofingCharacters() {
        assertEquals("a?b?c?d", UnsafePathException.printable("a\u0000b\u001Bc\u202Ed"));
        assertEquals("x?", UnsafePathException.printable("x\uD800"));
        assertEquals("日本語 😀", UnsafePathException.printable("日本語 😀"));
        String cut = UnsafePathException.printable("z".repeat(5000));
        assertTrue(cut.startsWith("z".repeat(UnsafePathException.MAX_SHOWN_CHARS)) && cut.length() < 600, cut);
    }

    // ---- check: accepted ----

    @ParameterizedTest
    @ValueSource(strings = {
            "a", "dir/sub/file.txt", "héllo/日本語.txt", "😀/🎉 party 👨‍👩‍👧.png", "with spaces inside/a b.txt",
            ".bashrc", "dir/.hidden", "..a", "a..b", "CONSOLE", "con-notes.txt", "COM10", "LPT", "x.tryst-part.txt",
            " leading space", "12:30 notes.txt", "ab:c"})
    void acceptsOrdinaryNames(String name) throws Exception {
        assertEquals(name, SafePaths.check(name));
    }

    @Test
    void limitsAreInclusive() throws Exception {
        SafePaths.check("a".repeat(SafePaths.MAX_SEGMENT_BYTES));
        SafePaths.check("\u00E9".repeat(121)); // 242 bytes in 121 chars
        assertThrows(UnsafePathException.class, () -> SafePaths.check("a".repeat(243)));
        SafePaths.check(String.join("/", Collections.nCopies(SafePaths.MAX_DEPTH, "d")));
        String exact = String.join("/", Collections.nCopies(17, "n".repeat(240))); // 17 * 240 + 16 = 4096 bytes
        assertEquals(SafePaths.MAX_PATH_BYTES, exact.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(exact, SafePaths.check(exact));
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafePaths.check(exact + "x"));
        assertTrue(e.getMessage().contains("4097 UTF-8 bytes"), e.getMessage());
    }

    @Test
    void decomposedNamesAreNormalisedToNfc() throws Exception {
        assertEquals("\u00E9", SafePaths.check("e\u0301"));
        assertEquals("caf\u00E9/r\u00E9sum\u00E9.txt", SafePaths.check("cafe\u0301/re\u0301sume\u0301.txt"));
    }

    // ---- finding 5: characters that hide or reorder what a name shows ----

    static Stream<Arguments> invisibleOrUnassigned() {
        return Stream.of(
                Arguments.of("invoice\u202Efdp.exe", "format character U+202E"), // shows as "invoiceexe.pdf"
                Arguments.of("a\u200Bb", "format character U+200B"), // zero-width space
                Arguments.of("x\u0378", "unassigned character U+0378"),
                Arguments.of("a\u2066b\u2069", "format character U+2066"), // left-to-right isolate
                Arguments.of("a\u061Cb", "format character U+061C"), // Arabic letter mark
                Arguments.of("\uFEFFa", "format character U+FEFF"), // byte-order mark
                Arguments.of("soft\u00ADhyphen", "format character U+00AD"),
                Arguments.of("dir/a\u2060b", "format character U+2060"), // word joiner
                Arguments.of("hidden\uDB40\uDC41", "format character U+E0041"), // tag A: invisible ASCII
                Arguments.of("x\uDB40\uDC80", "unassigned character U+E0080"),
                Arguments.of("a\u200Db", "format character U+200D"), // a joiner between ASCII letters joins nothing
                Arguments.of("invoice\u200C.pdf", "format character U+200C"),
                Arguments.of("\u200D\uD83D\uDE00", "format character U+200D"), // at the start
                Arguments.of("a\u2028b", "line separator U+2028"),
                Arguments.of("a\u2029b", "paragraph separator U+2029"),
                Arguments.of("d/\u3164", "only of invisible characters"), // Hangul filler
                Arguments.of("\u034F\uFE0F/x", "only of invisible characters"));
    }

    @ParameterizedTest
    @MethodSource("invisibleOrUnassigned")
    void finding5_formatUnassignedAndInvisibleCharactersAreRefused(String name, String reason) {
        refusesHostileNames(name, reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\uE000 private.txt", "\uDB80\uDC00", // private use (U+E000, U+F0000) is the user's own business
            "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.txt", // Persian needs the zero-width non-joiner
            "\u0915\u094D\u200D\u0937", // Devanagari: a joiner after a virama
            "\uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08.png", // rainbow flag: joiner after a variation selector
            "\u2764\uFE0F.txt", "caf\u00E9\u034F"})
    void privateUseAndJoinersInsideWordsOrEmojiAreAccepted(String name) throws Exception {
        assertEquals(name, SafePaths.check(name));
    }

    @Test
    void finding5_defaultIgnorableCharactersAreFoldedOutOfTheDuplicateCheck() {
        String ignored = "once invisible characters are ignored";
        assertRefusedAll(List.of("\u2764\uFE0F.txt", "\u2764.txt"), List.of(false, false), ignored);
        assertRefusedAll(List.of("caf\u00E9", "caf\u00E9\u034F"), List.of(false, false), ignored);
        assertRefusedAll(List.of("\uD83D\uDC68\u200D\uD83D\uDC69", "\uD83D\uDC68\uD83D\uDC69"), List.of(false, false), ignored);
        assertRefusedAll(List.of("a\u3164b", "ab"), List.of(false, false), ignored);
        assertRefusedAll(List.of("x\u180Bz/f", "XZ/f"), List.of(false, false), ignored);
        assertRefusedAll(List.of("d\uFE00", "d\uFE00/f", "d/f"), List.of(true, false, false), ignored);
        assertRefusedAll(List.of("ab", "a\u200Bb"), List.of(false, false), "format character U+200B");
    }

    @Test
    void finding5_theSenderRefusesSuchANameBeforeACodeIsSpent() throws Exception {
        Assumptions.assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")), "file names are not UTF-8 here");
        Path dir = Files.createDirectories(base.resolve("photos"));
        Files.writeString(dir.resolve("holiday.jpg"), "ok");
        Files.writeString(dir.resolve("invoice\u202Efdp.exe"), "MZ");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileSender.scan(List.of(dir), w -> { }));
        assertTrue(e.getMessage().contains("cannot send this name safely") && e.getMessage().contains("U+202E"), e.getMessage());
    }

    // ---- checkAll ----

    @Test
    void checkAllRefusesDuplicates() {
        assertRefusedAll(List.of("a", "b", "a"), List.of(false, false, false), "offered twice");
        assertRefusedAll(List.of("d", "d"), List.of(true, true), "offered twice");
        assertRefusedAll(List.of("\u00E9", "e\u0301"), List.of(false, false), "equal after Unicode normalisation");
        assertRefusedAll(List.of("Readme", "README"), List.of(false, false), "case-insensitive");
        assertRefusedAll(List.of("dir/Readme", "DIR/readme"), List.of(false, false), "case-insensitive");
        assertRefusedAll(List.of("\u00C9t\u00E9", "e\u0301TE\u0301"), List.of(false, false), "case-insensitive");
        assertRefusedAll(List.of("stra\u00DFe", "STRASSE"), List.of(false, false), "case-insensitive");
        assertRefusedAll(List.of("x", "y", "../z"), List.of(false, false, false), "not allowed as a name");
    }

    @Test
    void checkAllRefusesAFileUsedAsADirectory() {
        assertRefusedAll(List.of("a", "a/b"), List.of(false, false), "lists it as a file");
        assertRefusedAll(List.of("a/b/c", "a"), List.of(false, false), "lists it as a file");
        assertRefusedAll(List.of("x/y/z/w", "x/Y"), List.of(false, false), "lists it as a file");
        assertRefusedAll(List.of("a", "a"), List.of(false, true), "offered twice");
    }

    @Test
    void checkAllAcceptsATree() throws Exception {
        SafePaths.checkAll(List.of("a", "a/b", "a/b/c.txt", "a/d.txt", "e.txt", "ab", "a.b/c"),
                List.of(true, true, false, false, false, false, false));
        SafePaths.checkAll(List.of(), List.of());
        assertThrows(IllegalArgumentException.class, () -> SafePaths.checkAll(List.of("a"), List.of()));
    }

    @Test
    void checkAllIsLinear() throws Exception {
        int n = 100_000;
        List<String> paths = new ArrayList<>(n);
        List<Boolean> dirs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            paths.add("top" + (i % 100) + "/dir" + (i % 1000) + "/sub/file-" + i + "-é.txt");
            dirs.add(false);
        }
        // Not a timing assertion (shared machines are noisy): the @Timeout bounds it. Linear takes
        // ~80 ms warm here; pairwise comparison would be 5 * 10^9 comparisons, far past the timeout.
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> SafePaths.checkAll(paths, dirs));
    }

    private static void assertRefusedAll(List<String> paths, List<Boolean> dirs, String reason) {
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafePaths.checkAll(paths, dirs));
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    // ---- resolve / prepareParent on a real file system ----

    @TempDir Path base;

    private Path target() throws IOException {
        return Files.createDirectories(base.resolve("target"));
    }

    @Test
    void symlinkPointingOutsideIsRefusedAndNothingIsCreatedThere() throws Exception {
        Path target = target();
        Path elsewhere = Files.createDirectories(base.resolve("elsewhere"));
        Files.createSymbolicLink(target.resolve("link"), elsewhere);

        assertSymlinkRefused(() -> SafePaths.resolve(target, "link/x"));
        assertSymlinkRefused(() -> SafePaths.prepareParent(target, "link/x"));
        assertSymlinkRefused(() -> SafePaths.prepareParent(target, "link/deeper/x"));
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertEquals(0, s.count(), "nothing may appear outside the target");
        }
    }

    @Test
    void symlinkPointingInsideIsRefusedToo() throws Exception {
        Path target = target();
        Path sub = Files.createDirectories(target.resolve("sub"));
        Files.createSymbolicLink(target.resolve("link"), sub);
        Files.createSymbolicLink(target.resolve("rel"), Path.of("sub"));

        assertSymlinkRefused(() -> SafePaths.resolve(target, "link/x"));
        assertSymlinkRefused(() -> SafePaths.prepareParent(target, "link/new/x"));
        assertSymlinkRefused(() -> SafePaths.resolve(target, "rel/x"));
        try (Stream<Path> s = Files.list(sub)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void symlinkDeeperDownIsRefused() throws Exception {
        Path target = target();
        Path outside = Files.createDirectories(base.resolve("outside"));
        Files.createDirectories(target.resolve("a/b"));
        Files.createSymbolicLink(target.resolve("a/b/c"), outside);
        assertSymlinkRefused(() -> SafePaths.prepareParent(target, "a/b/c/d/e.txt"));
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void finalComponentSymlinkIsRefused() throws Exception {
        Path target = target();
        Path secret = Files.writeString(base.resolve("secret"), "keep me");
        Files.createSymbolicLink(target.resolve("file.txt"), secret);
        Files.createSymbolicLink(target.resolve("dangling"), base.resolve("not-there-yet"));
        Files.createDirectories(target.resolve("d"));
        Files.createSymbolicLink(target.resolve("d/inner"), target.resolve("d"));

        assertSymlinkRefused(() -> SafePaths.resolve(target, "file.txt"));
        assertSymlinkRefused(() -> SafePaths.prepareParent(target, "file.txt"));
        assertSymlinkRefused(() -> SafePaths.resolve(target, "dangling"));
        assertSymlinkRefused(() -> SafePaths.prepareParent(target, "d/inner"));
        assertEquals("keep me", Files.readString(secret));
        assertFalse(Files.exists(base.resolve("not-there-yet"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void existingFileInTheWayOfADirectoryIsRefused() throws Exception {
        Path target = target();
        Files.writeString(target.resolve("a"), "file");
        UnsafePathException e = assertThrows(UnsafePathException.class, () -> SafePaths.prepareParent(target, "a/b"));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void nestedCreationWorksAndStaysInside() throws Exception {
        Path target = target();
        Path real = target.toRealPath();

        Path resolved = SafePaths.resolve(target, "x/y/z/file.txt");
        assertEquals(real.resolve("x/y/z/file.txt"), resolved);
        assertFalse(Files.exists(real.resolve("x")), "resolve creates nothing");

        Path prepared = SafePaths.prepareParent(target, "x/y/z/file.txt");
        assertEquals(resolved, prepared);
        assertTrue(prepared.isAbsolute() && prepared.startsWith(real));
        assertTrue(Files.isDirectory(real.resolve("x/y/z"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(prepared), "the file itself is not created");

        // again, now that the directories exist, and with an existing file and directory at the end
        Files.writeString(prepared, "data");
        assertEquals(prepared, SafePaths.prepareParent(target, "x/y/z/file.txt"));
        assertEquals(real.resolve("x/y"), SafePaths.resolve(target, "x/y"));
        assertEquals(real.resolve("caf\u00E9"), SafePaths.resolve(target, "cafe\u0301"), "resolved in NFC");
    }

    @Test
    void rootReachedThroughASymlinkStillWorks() throws Exception {
        Path real = Files.createDirectories(base.resolve("real"));
        Path viaLink = Files.createSymbolicLink(base.resolve("viaLink"), real);

        Path p = SafePaths.prepareParent(viaLink, "a/b.txt");
        assertTrue(p.startsWith(real.toRealPath()), p.toString());
        assertEquals(real.toRealPath().resolve("a/b.txt"), p);
        assertTrue(Files.isDirectory(real.resolve("a")));
    }

    @Test
    void resolveChecksItsInputAgain() throws Exception {
        Path target = target();
        for (String bad : List.of("../x", "/etc/passwd", "a//b", "x.tryst-part")) {
            assertThrows(UnsafePathException.class, () -> SafePaths.resolve(target, bad), bad);
            assertThrows(UnsafePathException.class, () -> SafePaths.prepareParent(target, bad), bad);
        }
        try (Stream<Path> s = Files.list(base)) {
            assertEquals(List.of(target), s.toList());
        }
    }

    @Test
    void rootMustBeADirectory() throws Exception {
        Path file = Files.writeString(base.resolve("plain"), "");
        assertThrows(IOException.class, () -> SafePaths.resolve(file, "a"));
        assertThrows(IOException.class, () -> SafePaths.resolve(base.resolve("missing"), "a"));
    }

    private interface PathAction {
        Path run() throws Exception;
    }

    private static void assertSymlinkRefused(PathAction action) {
        UnsafePathException e = assertThrows(UnsafePathException.class, action::run);
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }
}
