package dev.tryst.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.api.SeenMessages.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inbox's record of shown message ids: kept on disk, bounded, and never forgetting an id in a way that lets its message back in. */
class SeenMessagesTest {
    private static final long NOW = Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
    private static final long DAY = Duration.ofDays(1).toMillis();

    @TempDir
    Path dir;

    private static String id(int n) {
        return "%032x".formatted(n);
    }

    @Test
    void anIdIsRefusedOnceShownAlsoAfterReloading() throws IOException {
        Path file = dir.resolve("inbox").resolve("me@server.seen");
        SeenMessages seen = SeenMessages.load(file);
        assertEquals(Verdict.NEW, seen.check(id(1), NOW - 1000, NOW));
        seen.add(id(1), NOW - 1000, NOW);
        assertEquals(Verdict.SHOWN_BEFORE, seen.check(id(1), NOW - 1000, NOW));
        assertEquals(Verdict.NEW, seen.check(id(2), NOW - 1000, NOW), "another id at the same time is another message");

        SeenMessages again = SeenMessages.load(file);
        assertEquals(Verdict.SHOWN_BEFORE, again.check(id(1), NOW - 1000, NOW));
        assertEquals(List.of("floor " + Long.MIN_VALUE, id(1) + " " + (NOW - 1000)), Files.readAllLines(file));
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void idsOlderThanTheHorizonAreForgottenAndTheirMessagesRefusedAsTooOld() throws IOException {
        Path file = dir.resolve("seen");
        SeenMessages seen = SeenMessages.load(file);
        seen.add(id(1), NOW, NOW);
        long later = NOW + SeenMessages.HORIZON.toMillis() + DAY;
        seen.add(id(2), later, later); // rewriting drops id 1, now 9 days old
        assertEquals(1, seen.size());
        assertEquals(Verdict.TOO_OLD, seen.check(id(1), NOW, later), "forgotten, and still not shown again");
        assertEquals(Verdict.TOO_OLD, seen.check(id(3), later - SeenMessages.HORIZON.toMillis() - 1, later));
        assertEquals(Verdict.NEW, seen.check(id(3), later - SeenMessages.HORIZON.toMillis() + 1000, later));
        // a clock set back does not bring the forgotten message back: the floor remembers how far was forgotten
        assertEquals(Verdict.TOO_OLD, SeenMessages.load(file).check(id(1), NOW, NOW));
    }

    @Test
    void pastTheCountBoundTheEarliestSignedAreForgottenAndTheFloorRisesToThem() throws IOException {
        Path file = dir.resolve("seen");
        SeenMessages seen = SeenMessages.load(file, 3);
        for (int i = 1; i <= 5; i++) {
            seen.add(id(i), NOW + i * 1000L, NOW + 10_000);
        }
        assertEquals(3, seen.size());
        assertEquals(4, Files.readAllLines(file).size(), "the floor line and three ids");
        assertEquals(Verdict.TOO_OLD, seen.check(id(1), NOW + 1000, NOW + 10_000), "dropped by the bound, still refused");
        assertEquals(Verdict.TOO_OLD, seen.check(id(2), NOW + 2000, NOW + 10_000));
        assertEquals(Verdict.TOO_OLD, seen.check(id(9), NOW + 2000, NOW + 10_000), "signed at the floor: cannot be told apart");
        assertEquals(Verdict.SHOWN_BEFORE, seen.check(id(3), NOW + 3000, NOW + 10_000));
        assertEquals(Verdict.NEW, seen.check(id(9), NOW + 2001, NOW + 10_000));
        assertEquals(Verdict.TOO_OLD, SeenMessages.load(file, 3).check(id(2), NOW + 2000, NOW + 10_000), "the floor is kept on disk");
    }

    @Test
    void aMessageSignedFarAheadIsRefused() throws IOException {
        SeenMessages seen = SeenMessages.load(dir.resolve("seen"));
        assertEquals(Verdict.NEW, seen.check(id(1), NOW + SeenMessages.AHEAD.toMillis(), NOW));
        assertEquals(Verdict.TOO_FAR_AHEAD, seen.check(id(1), NOW + SeenMessages.AHEAD.toMillis() + 1, NOW));
        assertEquals(Verdict.TOO_FAR_AHEAD, seen.check(id(1), Long.MAX_VALUE, NOW));
        assertEquals(Verdict.TOO_OLD, seen.check(id(1), Long.MIN_VALUE, NOW));
    }

    @Test
    void aDamagedFileIsReportedWithWhatToDo() throws IOException {
        Path file = dir.resolve("seen");
        for (String damage : List.of("", "floor x\n", "floor 0\nnot-an-id 1\n", "floor 0\n" + id(1) + " soon\n", "0 " + id(1) + "\n")) {
            Files.writeString(file, damage);
            TrystException e = assertThrows(TrystException.class, () -> SeenMessages.load(file), damage);
            assertTrue(e.getMessage().contains("is damaged") && e.remedy().contains("delete it"), e.getMessage());
        }
        Files.write(file, new byte[] {'f', (byte) 0xff});
        assertThrows(TrystException.class, () -> SeenMessages.load(file));
    }
}
