package dev.tryst.net;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closes a connection when the peer has shown no sign of life for too long. Blocking channels
 * ignore socket read timeouts, so deadlines are enforced from outside: the blocked reader then
 * sees its channel closed, and {@link #fired()} tells it why.
 *
 * <p>What counts as a sign of life is the caller's choice, made by calling {@link #kick()}; for a
 * secure channel it is an authenticated record, never a raw byte, so a path that trickles junk
 * cannot keep a session alive. While we are busy with our own disk or terminal the watchdog can be
 * {@link #pause() paused}: our slowness is not the peer's silence.
 *
 * <p>Silence is measured on an injected {@link Ticker}; a shared timer thread looks at it every
 * tenth of the timeout (10 ms to 1 s), so a test that moves the ticker sees the watchdog fire at
 * its next look.
 */
public final class Watchdog implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tryst-watchdog");
        t.setDaemon(true);
        return t;
    });

    private volatile Closeable target;
    private final Ticker ticker;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private final AtomicInteger paused = new AtomicInteger();
    private volatile long timeoutNanos;
    private volatile long lastKick;
    private volatile boolean fired;
    private volatile boolean closed;

    private Watchdog(Closeable target, Duration timeout, Ticker ticker) {
        this.target = target;
        this.ticker = ticker;
        this.timeoutNanos = timeout.toNanos();
        this.lastKick = ticker.nanoTime();
    }

    /** Starts watching: {@code target} is closed once {@code timeout} passes without a {@link #kick()}. */
    public static Watchdog watch(Closeable target, Duration timeout) {
        return watch(target, timeout, Ticker.SYSTEM);
    }

    /** As {@link #watch(Closeable, Duration)}, with silence measured on {@code ticker}. */
    public static Watchdog watch(Closeable target, Duration timeout, Ticker ticker) {
        Watchdog w = new Watchdog(target, timeout, ticker);
        long period = Math.max(10, Math.min(1000, timeout.toMillis() / 10));
        synchronized (w.tasks) {
            w.tasks.add(TIMER.scheduleAtFixedRate(w::check, period, period, TimeUnit.MILLISECONDS));
        }
        return w;
    }

    /**
     * Also runs {@code action} every {@code period} until closed, each time on a fresh virtual
     * thread (it may block on I/O without holding up any watchdog), skipping a turn if the last
     * run has not finished.
     */
    public void every(Duration period, Runnable action) {
        AtomicBoolean running = new AtomicBoolean();
        Runnable launch = () -> {
            if (!closed && running.compareAndSet(false, true)) {
                Thread.ofVirtual().name("tryst-periodic").start(() -> {
                    try {
                        action.run();
                    } finally {
                        running.set(false);
                    }
                });
            }
        };
        long ms = Math.max(1, period.toMillis());
        synchronized (tasks) {
            if (!closed) {
                tasks.add(TIMER.scheduleAtFixedRate(launch, ms, ms, TimeUnit.MILLISECONDS));
            }
        }
    }

    /** From now on, silence closes {@code t} instead (a session's whole channel rather than the socket it was proven on). */
    public void retarget(Closeable t) {
        target = java.util.Objects.requireNonNull(t, "target");
    }

    /** The peer showed a sign of life: the timeout starts again. */
    public void kick() {
        lastKick = ticker.nanoTime();
    }

    /** A new timeout from now on (for instance a shorter one once the peer has arrived). */
    public void reset(Duration timeout) {
        timeoutNanos = timeout.toNanos();
        kick();
    }

    /** We are busy locally (disk, terminal); until {@link #resume()} the peer's silence is not counted. */
    public void pause() {
        paused.incrementAndGet();
    }

    public void resume() {
        kick();
        paused.decrementAndGet();
    }

    /** How long the peer has been silent, on this watchdog's clock. */
    public Duration silence() {
        return Duration.ofNanos(ticker.nanoTime() - lastKick);
    }

    /** The clock this watchdog reads. */
    public Ticker ticker() {
        return ticker;
    }

    /** Whether this watchdog closed the target. */
    public boolean fired() {
        return fired;
    }

    private void check() {
        if (closed || fired || paused.get() > 0 || ticker.nanoTime() - lastKick < timeoutNanos) {
            return;
        }
        fired = true;
        close();
        try {
            target.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    @Override
    public void close() {
        synchronized (tasks) {
            closed = true;
            tasks.forEach(t -> t.cancel(false));
            tasks.clear();
        }
    }
}
