package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.cli.ProgressDisplay.Mode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {

    /** A clock the test moves by hand; millis() does not allocate, like the system clock's. */
    static final class FakeClock implements InstantSource {
        volatile long millis = 1_700_000_000_000L;

        void advance(long ms) {
            millis += ms;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
    private final FakeClock clock = new FakeClock();

    private String out() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    private List<String> lines() {
        return out().lines().toList();
    }

    @Test
    void modeFollowsTerminalAndQuiet() {
        assertEquals(Mode.BAR, ProgressDisplay.modeFor(true, false));
        assertEquals(Mode.LINES, ProgressDisplay.modeFor(false, false));
        assertEquals(Mode.QUIET, ProgressDisplay.modeFor(true, true));
        assertEquals(Mode.QUIET, ProgressDisplay.modeFor(false, true));
    }

    @Test
    void linesPrintAtMostOncePerFiveSecondsPlusAFinalLine() {
        long total = 1_000_000_000L;
        var p = ProgressDisplay.start(err, Mode.LINES, "Receiving", total, clock);
        // 30 s of clock time, 10 updates per ms of clock: 300 000 updates.
        long bytes = 0;
        for (int ms = 0; ms < 30_000; ms++) {
            for (int i = 0; i < 10; i++) {
                bytes += 1_000;
                p.update(bytes);
            }
            clock.advance(1);
        }
        int before = lines().size();
        assertTrue(before >= 5 && before <= 6, "one line per 5 s over 30 s: " + out());
        p.close();
        p.close(); // idempotent
        List<String> lines = lines();
        assertEquals(before + 1, lines.size(), out());
        assertFalse(out().contains("\r") || out().contains("\u001b"), "LINES never uses \\r or escapes");

        // 10 MB/s steady: 50 MB after 5 s of 1 GB.
        assertEquals("Receiving: 50.0 MB of 1.0 GB (5.0%), 10.0 MB/s, ETA 0:01:35", lines.getFirst());
        // 300 MB in 30 s, 1 GB expected: the final line says what arrived, of what, in what time and how fast.
        assertEquals("Receiving: 300.0 MB of 1.0 GB in 0:00:30, 10.0 MB/s average", lines.getLast());
    }

    @Test
    void finalLineOfACompleteTransferHasTotalTimeAndAverage() {
        var p = ProgressDisplay.start(err, Mode.LINES, "Sending", 2_500_000_000L, clock);
        p.update(1_000_000_000L);
        clock.advance(12_000);
        p.update(2_500_000_000L);
        clock.advance(13_000);
        p.close();
        assertEquals("Sending: 2.5 GB in 0:00:25, 100.0 MB/s average", lines().getLast());
    }

    @Test
    void linesWithUnknownTotalShowBytesAndRateOnly() {
        var p = ProgressDisplay.start(err, Mode.LINES, "Receiving", -1, clock);
        for (int s = 1; s <= 12; s++) {
            clock.advance(1_000);
            p.update(s * 2_000_000L);
        }
        p.close();
        List<String> lines = lines();
        assertEquals(List.of(
                "Receiving: 10.0 MB, 2.0 MB/s",
                "Receiving: 20.0 MB, 2.0 MB/s",
                "Receiving: 24.0 MB in 0:00:12, 2.0 MB/s average"), lines);
    }

    @Test
    void quietPrintsNothing() {
        var p = ProgressDisplay.start(err, Mode.QUIET, "Sending", 1_000_000, clock);
        for (int i = 0; i < 100_000; i++) {
            p.update(i * 10L);
            clock.advance(7);
        }
        p.close();
        assertEquals("", out());
    }

    @Test
    void barRedrawsInPlaceWithPercentAndEtaAtMostTenTimesASecond() {
        var p = ProgressDisplay.start(err, Mode.BAR, "Sending", 100_000_000L, clock, 80);
        // 5 s of clock time, an update every millisecond, 10 MB/s.
        for (int ms = 1; ms <= 5_000; ms++) {
            clock.advance(1);
            p.update(ms * 10_000L);
        }
        String drawn = out();
        long redraws = drawn.chars().filter(c -> c == '\r').count();
        assertTrue(redraws >= 45 && redraws <= 51, "about 10 redraws a second over 5 s, got " + redraws);
        assertFalse(drawn.contains("\n"), "the bar stays on one line until close");
        String[] frames = drawn.substring(1).split("\r");
        for (String f : frames) {
            assertTrue(f.length() <= 79, "fits 80 columns without wrapping: [" + f + "] " + f.length());
        }
        String last = frames[frames.length - 1].stripTrailing();
        assertTrue(Pattern.compile("^Sending  \\d\\d% \\[=+> +\\] ").matcher(last).find(), last);
        assertTrue(last.contains(" 50%"), last);
        assertEquals(79, last.length(), last);
        assertTrue(last.contains("50.0 MB / 100.0 MB"), last);
        assertTrue(last.contains("10.0 MB/s"), last);
        assertTrue(last.endsWith("ETA 0:00:05"), last);

        p.close();
        String all = out();
        String tail = all.substring(all.lastIndexOf('\r') + 1);
        assertTrue(tail.endsWith("\n"), "close ends the line");
        assertEquals("Sending: 50.0 MB of 100.0 MB in 0:00:05, 10.0 MB/s average", tail.stripTrailing());
        assertTrue(tail.length() - 1 >= frames[frames.length - 1].length(), "the summary covers the old bar");
    }

    @Test
    void barUsesTheGivenWidthAndCopesWithNarrowTerminals() {
        for (int cols : new int[] {40, 80, 132, 200}) {
            buf.reset();
            var p = ProgressDisplay.start(err, Mode.BAR, "Receiving", 1_000_000_000L, clock, cols);
            clock.advance(1_000);
            p.update(123_456_789L);
            String frame = out().substring(1);
            assertTrue(frame.length() <= cols - 1, cols + ": " + frame);
            assertTrue(frame.contains("12%"), cols + ": " + frame);
            if (cols >= 80) {
                assertEquals(cols - 1, frame.length(), "the bar fills the line: " + frame);
                assertTrue(frame.contains("ETA "), frame);
            }
            if (cols == 40) {
                assertEquals("Receiving  12% 123.5 MB  ETA 0:00:08", frame, "whole fields dropped, none cut");
            }
            p.close();
        }
    }

    @Test
    void barWithUnknownTotalShowsBytesAndRateOnly() {
        var p = ProgressDisplay.start(err, Mode.BAR, "Receiving", -1, clock, 80);
        clock.advance(2_000);
        p.update(4_000_000L);
        String frame = out();
        assertEquals("\rReceiving  4.0 MB  2.0 MB/s", frame);
        p.close();
        assertTrue(out().endsWith("\rReceiving: 4.0 MB in 0:00:02, 2.0 MB/s average\n"), out());
    }

    @Test
    void rateIsSmoothedOverTheLastFewSeconds() {
        var p = ProgressDisplay.start(err, Mode.LINES, "Sending", -1, clock);
        long bytes = 0;
        // 20 s at 10 MB/s, then 10 s at 1 MB/s, sampled every 100 ms.
        for (int i = 0; i < 200; i++) {
            clock.advance(100);
            p.update(bytes += 1_000_000);
        }
        for (int i = 0; i < 100; i++) {
            clock.advance(100);
            p.update(bytes += 100_000);
        }
        List<String> lines = lines();
        assertTrue(lines.get(3).endsWith(", 10.0 MB/s"), lines.get(3)); // at 20 s
        assertTrue(lines.get(4).endsWith(", 2.7 MB/s"), lines.get(4)); // 5 s into the slow part: following, not there yet
        assertTrue(lines.get(5).endsWith(", 1.3 MB/s"), lines.get(5)); // at 30 s: nearly settled
    }

    @Test
    void humanUnitsAndDurations() {
        assertEquals("0 B", ProgressDisplay.human(0));
        assertEquals("999 B", ProgressDisplay.human(999));
        assertEquals("1.0 kB", ProgressDisplay.human(1_000));
        assertEquals("12.3 MB", ProgressDisplay.human(12_345_678));
        assertEquals("1.0 MB", ProgressDisplay.human(999_999));
        assertEquals("1.0 GB", ProgressDisplay.human(999_960_000));
        assertEquals("1.5 TB", ProgressDisplay.human(1.5e12));
        assertEquals("0:00:00", ProgressDisplay.hms(0));
        assertEquals("0:00:21", ProgressDisplay.hms(21));
        assertEquals("1:01:01", ProgressDisplay.hms(3661));
        assertEquals("100:00:00", ProgressDisplay.hms(360_000));
    }

    @Test
    void aMillionUpdatesAreCheapAndAllocateNothingBetweenRedraws() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (Mode mode : Mode.values()) {
            buf.reset();
            var p = ProgressDisplay.start(err, mode, "Sending", 64L * 1024 * 1_000_000, clock, 80);
            for (int i = 0; i < 10_000; i++) { // warm up
                p.update(i);
            }
            long allocBefore = threads.getThreadAllocatedBytes(tid);
            long t0 = System.nanoTime();
            for (int i = 0; i < 1_000_000; i++) {
                p.update(i * 65_536L);
            }
            long nanos = System.nanoTime() - t0;
            long allocated = threads.getThreadAllocatedBytes(tid) - allocBefore;
            p.close();
            assertTrue(nanos < 2_000_000_000L, mode + ": 1 000 000 updates took " + nanos / 1_000_000 + " ms");
            assertTrue(allocated < 64 * 1024, mode + ": updates allocated " + allocated + " bytes");
        }

        // And with the real clock, a million updates print a bounded amount.
        buf.reset();
        var p = ProgressDisplay.start(err, Mode.BAR, "Sending", 64L * 1024 * 1_000_000, InstantSource.system(), 80);
        long t0 = System.nanoTime();
        for (int i = 0; i < 1_000_000; i++) {
            p.update(i * 65_536L);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        p.close();
        long redraws = out().chars().filter(c -> c == '\r').count();
        assertTrue(redraws <= ms / 100 + 2, redraws + " redraws in " + ms + " ms");
    }

    @Test
    void updatesAfterCloseAndBackwardsAreIgnored() {
        var p = ProgressDisplay.start(err, Mode.LINES, "Sending", 10_000_000L, clock);
        p.update(5_000_000L);
        p.update(1_000L); // stale value from a racing caller
        clock.advance(5_000);
        p.update(2_000L);
        p.close();
        int n = lines().size();
        clock.advance(60_000);
        p.update(9_000_000L);
        p.close();
        assertEquals(n, lines().size(), out());
        assertTrue(lines().getFirst().startsWith("Sending: 5.0 MB of 10.0 MB (50.0%)"), out());
        assertEquals("Sending: 5.0 MB of 10.0 MB in 0:00:05, 1.0 MB/s average", lines().getLast());
    }
}
