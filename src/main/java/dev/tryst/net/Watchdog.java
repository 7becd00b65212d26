package dev.tryst.net;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection when nothing has happened on it for too long. Blocking channels ignore
 * socket read timeouts, so deadlines are enforced from outside: the blocked reader then sees its
 * channel closed and reports the timeout through {@link #fired()}.
 */
public final class Watchdog implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tryst-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Closeable target;
    private volatile long timeoutNanos;
    private volatile long lastKick;
    private volatile boolean fired;
    private volatile boolean closed;
    private ScheduledFuture<?> task;

    private Watchdog(Closeable target, Duration timeout) {
        this.target = target;
        this.timeoutNanos = timeout.toNanos();
        this.lastKick = System.nanoTime();
    }

    /** Starts watching: {@code target} is closed once {@code timeout} passes without a {@link #kick()}. */
    public static Watchdog watch(Closeable target, Duration timeout) {
        Watchdog w = new Watchdog(target, timeout);
        long period = Math.max(10, Math.min(1000, timeout.toMillis() / 10));
        w.task = TIMER.scheduleAtFixedRate(w::check, period, period, TimeUnit.MILLISECONDS);
        return w;
    }

    /** Something happened: the timeout starts again. */
    public void kick() {
        lastKick = System.nanoTime();
    }

    /** A new timeout from now on (for instance a short one after a long wait for the peer). */
    public void reset(Duration timeout) {
        timeoutNanos = timeout.toNanos();
        kick();
    }

    /** Whether this watchdog closed the target. */
    public boolean fired() {
        return fired;
    }

    private void check() {
        if (closed || System.nanoTime() - lastKick < timeoutNanos) {
            return;
        }
        fired = true;
        task.cancel(false);
        try {
            target.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    @Override
    public void close() {
        closed = true;
        if (task != null) {
            task.cancel(false);
        }
    }
}
