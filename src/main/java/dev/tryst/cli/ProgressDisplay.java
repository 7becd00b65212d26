package dev.tryst.cli;

import java.io.PrintStream;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a long transfer, on stderr (stdout may carry the received data).
 *
 * <p>{@link #update} is called from the transfer thread for every record, so its usual path is a
 * compare-and-set, one clock read and one volatile read: no allocation, no lock, no printing. Only
 * when a sampling tick is due (every 100 ms of clock time) does it take the lock, fold the bytes
 * since the last tick into the smoothed rate and, if the mode's redraw interval has passed, print.
 * There is no timer thread: a stalled transfer keeps its last drawing until the next update or
 * {@link #close}.
 *
 * <p>Written by hand rather than with {@code me.tongfei:progressbar}: that library reads the wall
 * clock ({@code Instant.now()}), so tests could not drive it with an {@link InstantSource}; it
 * redraws from a shared background thread that outlives {@code close()}; and its JLine
 * dependency (~450 kB) loads a native library, which on JDK 25 prints "restricted method"
 * warnings to stderr.
 */
final class ProgressDisplay implements AutoCloseable {

    enum Mode { BAR, LINES, QUIET }

    /** How often the rate is sampled (and at most how often BAR redraws). */
    static final long SAMPLE_MILLIS = 100;
    /** How often LINES prints. */
    static final long LINE_MILLIS = 5_000;
    /** Time constant of the rate's exponential moving average. */
    static final double RATE_TAU_SECONDS = 3.0;
    static final int DEFAULT_COLUMNS = 80;
    private static final int MIN_BAR = 10;

    private final PrintStream err;
    private final Mode mode;
    private final String label;
    private final long total;
    private final InstantSource clock;
    private final int columns;
    private final long startMillis;

    private final AtomicLong done = new AtomicLong();
    /** Clock millis at which {@link #update} should next take the lock; Long.MAX_VALUE once closed. */
    private volatile long nextTickAt;

    // Guarded by this.
    private long nextDrawAt;
    private long lastSampleAt;
    private long lastSampleBytes;
    private double rate = Double.NaN; // bytes per second, smoothed
    private int drawnLength;
    private boolean closed;

    private ProgressDisplay(PrintStream err, Mode mode, String label, long total, InstantSource clock, int columns) {
        this.err = err;
        this.mode = mode;
        this.label = label;
        this.total = total < 0 ? -1 : total;
        this.clock = clock;
        this.columns = Math.max(20, columns);
        this.startMillis = clock.millis();
        this.lastSampleAt = startMillis;
        this.nextTickAt = mode == Mode.QUIET ? Long.MAX_VALUE : startMillis + SAMPLE_MILLIS;
        this.nextDrawAt = startMillis + (mode == Mode.LINES ? LINE_MILLIS : SAMPLE_MILLIS);
    }

    /** BAR when stderr is a terminal, LINES when not, QUIET when asked. */
    static Mode modeFor(boolean stderrIsTerminal, boolean quiet) {
        return quiet ? Mode.QUIET : stderrIsTerminal ? Mode.BAR : Mode.LINES;
    }

    /** total = bytes expected (or -1 unknown); label e.g. "Sending" / "Receiving". */
    static ProgressDisplay start(PrintStream err, Mode mode, String label, long totalBytes, InstantSource clock) {
        return start(err, mode, label, totalBytes, clock, columnsFromEnvironment());
    }

    static ProgressDisplay start(PrintStream err, Mode mode, String label, long totalBytes, InstantSource clock,
                                 int columns) {
        return new ProgressDisplay(err, mode, label, totalBytes, clock, columns);
    }

    static int columnsFromEnvironment() {
        String c = System.getenv("COLUMNS");
        if (c != null) {
            try {
                int n = Integer.parseInt(c.strip());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default
            }
        }
        return DEFAULT_COLUMNS;
    }

    /** Bytes transferred so far (values lower than an earlier one are ignored). Thread-safe and cheap. */
    void update(long bytesSoFar) {
        long cur;
        while ((cur = done.get()) < bytesSoFar && !done.compareAndSet(cur, bytesSoFar)) {
            // another thread moved it; retry
        }
        long now = clock.millis();
        if (now < nextTickAt) {
            return;
        }
        synchronized (this) {
            if (closed || now < nextTickAt) {
                return;
            }
            sample(now);
            nextTickAt = now + SAMPLE_MILLIS;
            if (now >= nextDrawAt) {
                nextDrawAt = now + (mode == Mode.LINES ? LINE_MILLIS : SAMPLE_MILLIS);
                if (mode == Mode.BAR) {
                    drawBar();
                } else {
                    err.println(line());
                    err.flush();
                }
            }
        }
    }

    /** Prints the final line (total, time, average rate) unless QUIET; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            nextTickAt = Long.MAX_VALUE;
            if (mode == Mode.QUIET) {
                return;
            }
            String summary = summary(clock.millis());
            if (mode == Mode.BAR) {
                err.print('\r' + pad(summary, drawnLength) + '\n');
            } else {
                err.println(summary);
            }
            err.flush();
        }
    }

    // ---- under the lock ----

    private void sample(long now) {
        long bytes = done.get();
        double dt = (now - lastSampleAt) / 1000.0;
        if (dt <= 0) {
            return;
        }
        double instant = (bytes - lastSampleBytes) / dt;
        if (Double.isNaN(rate)) {
            rate = instant;
        } else {
            double alpha = 1 - Math.exp(-dt / RATE_TAU_SECONDS);
            rate += alpha * (instant - rate);
        }
        lastSampleAt = now;
        lastSampleBytes = bytes;
    }

    private void drawBar() {
        String s = barLine();
        err.print('\r' + pad(s, drawnLength));
        err.flush();
        drawnLength = s.length();
    }

    /** One terminal line, never longer than columns - 1 (so the terminal does not wrap it). */
    String barLine() {
        int width = columns - 1;
        long bytes = done.get();
        boolean known = total >= 0;
        String pct = known ? " " + pad4(percent(bytes) / 10 + "%") : "";
        // On a narrow terminal drop whole fields (rate, then total) rather than cut one in half.
        String[] choices = known
                ? new String[] {
                    " " + human(bytes) + " / " + human(total) + "  " + rate() + "  ETA " + eta(bytes),
                    " " + human(bytes) + " / " + human(total) + "  ETA " + eta(bytes),
                    " " + human(bytes) + "  ETA " + eta(bytes)}
                : new String[] {"  " + human(bytes) + "  " + rate(), "  " + human(bytes)};
        String stats = choices[0];
        for (String c : choices) {
            stats = c;
            if (label.length() + pct.length() + c.length() <= width) {
                break;
            }
        }
        String line = label + pct;
        if (known) {
            int barWidth = width - line.length() - 3 - stats.length();
            if (barWidth >= MIN_BAR) {
                line += " [" + bar(bytes, barWidth) + "]";
            }
        }
        line += stats;
        return line.length() > width ? line.substring(0, width) : line;
    }

    /** The LINES format: {@code Receiving: 12.3 MB of 1.0 GB (1.2%), 45.6 MB/s, ETA 0:00:21}. */
    String line() {
        long bytes = done.get();
        StringBuilder b = new StringBuilder(label);
        b.append(": ").append(human(bytes));
        if (total >= 0) {
            int p = percent(bytes);
            b.append(" of ").append(human(total)).append(" (").append(p / 10).append('.').append(p % 10).append("%)");
        }
        b.append(", ").append(rate());
        if (total >= 0) {
            b.append(", ETA ").append(eta(bytes));
        }
        return b.toString();
    }

    private String summary(long now) {
        long bytes = done.get();
        long elapsed = Math.max(0, now - startMillis);
        StringBuilder b = new StringBuilder(label).append(": ").append(human(bytes));
        if (total >= 0 && bytes < total) {
            b.append(" of ").append(human(total));
        }
        b.append(" in ").append(hms(elapsed / 1000));
        if (elapsed > 0) {
            b.append(", ").append(human(bytes * 1000.0 / elapsed)).append("/s average");
        }
        return b.toString();
    }

    /** Percent done in tenths, floored so 100% means finished. */
    private int percent(long bytes) {
        if (total <= 0) {
            return 1000;
        }
        return (int) Math.min(1000, (long) Math.floor(bytes * 1000.0 / total));
    }

    private String bar(long bytes, int width) {
        int filled = total <= 0 ? width : (int) Math.min(width, (long) (bytes * (double) width / total));
        StringBuilder b = new StringBuilder(width);
        b.repeat('=', filled);
        if (filled < width) {
            b.append('>');
            b.repeat(' ', width - filled - 1);
        }
        return b.toString();
    }

    private String rate() {
        return Double.isNaN(rate) ? "-- B/s" : human(Math.max(0, rate)) + "/s";
    }

    private String eta(long bytes) {
        long remaining = total - bytes;
        if (remaining <= 0) {
            return hms(0);
        }
        if (Double.isNaN(rate) || rate <= 0) {
            return "-:--:--";
        }
        return hms((long) Math.ceil(remaining / rate));
    }

    // ---- formatting ----

    static String human(double bytes) {
        return dev.tryst.transfer.Units.bytes(bytes);
    }

    /** h:mm:ss. */
    static String hms(long seconds) {
        long s = Math.max(0, seconds);
        long m = s / 60 % 60;
        long sec = s % 60;
        return s / 3600 + ":" + (m < 10 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
    }

    private static String pad4(String s) {
        return s.length() >= 4 ? s : " ".repeat(4 - s.length()) + s;
    }

    private static String pad(String s, int atLeast) {
        return s.length() >= atLeast ? s : s + " ".repeat(atLeast - s.length());
    }
}
