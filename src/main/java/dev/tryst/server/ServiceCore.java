package dev.tryst.server;

import dev.tryst.net.Ticker;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The skeleton every tryst server service stands on — relay, rendezvous and STUN alike — so that
 * each writes only what it does with a connection or a datagram:
 *
 * <ol>
 *   <li><b>accept</b>: one virtual thread ({@code NAME-accept}) takes connections until the service
 *       closes, backs off 50 ms after a failure (typically EMFILE) instead of spinning, and hands each
 *       to the service's admit step ({@link #acceptLoop});</li>
 *   <li><b>admission per source</b>: {@link Admission} bounds connections in all and per source;</li>
 *   <li><b>sweep</b>: one virtual thread ({@code NAME-sweeper}) calls the service's sweep with the
 *       {@link Ticker}'s time every tick, so every deadline is measured on the injected clock and a
 *       test that moves the clock sees the deadline pass on the next tick ({@link #sweepEvery});</li>
 *   <li><b>threads</b>: every thread is a counted virtual thread ({@link #spawn}), so closing can
 *       wait for them and tests can see that none is left (virtual threads do not show in
 *       {@code Thread.getAllStackTraces});</li>
 *   <li><b>close</b>: {@link #beginClose} once, then the service closes its sockets, then
 *       {@link #awaitThreads} waits up to 5 s for every thread.</li>
 * </ol>
 */
public final class ServiceCore {
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long ACCEPT_BACKOFF_MILLIS = 50;

    private final String name;
    private final System.Logger log;
    private final Ticker ticker;
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong sweeps = new java.util.concurrent.atomic.AtomicLong();
    private volatile Thread sweeper;

    /** @param name the service's name, which prefixes its threads' names and its log lines */
    public ServiceCore(String name, System.Logger log, Ticker ticker) {
        this.name = Objects.requireNonNull(name, "name");
        this.log = Objects.requireNonNull(log, "log");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    public Ticker ticker() {
        return ticker;
    }

    /** The injected clock's time, in nanoseconds. */
    public long now() {
        return ticker.nanoTime();
    }

    public boolean closed() {
        return closed.get();
    }

    /** Starts {@code body} on a new counted virtual thread named {@code threadName}; an unexpected exception is logged. */
    public Thread spawn(String threadName, Runnable body) {
        live.incrementAndGet();
        try {
            return Thread.ofVirtual().name(threadName).start(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    log.log(Level.ERROR, "thread " + threadName + " failed", t);
                } finally {
                    live.decrementAndGet();
                }
            });
        } catch (RuntimeException | Error e) {
            live.decrementAndGet();
            throw e;
        }
    }

    /** Threads started and not yet ended. */
    public int liveThreads() {
        return live.get();
    }

    /**
     * The sweeper's tick for these timeouts: a quarter of the shortest, between 10 and 250 ms, so a
     * deadline is enforced within a quarter of itself at worst.
     */
    public static Duration tickFor(Duration... timeouts) {
        long shortest = Long.MAX_VALUE;
        for (Duration d : timeouts) {
            shortest = Math.min(shortest, d.toMillis());
        }
        return Duration.ofMillis(Math.clamp(shortest / 4, 10L, 250L));
    }

    /**
     * Calls {@code sweep} with {@link #now()} every {@code tick} on {@code NAME-sweeper} until the
     * service closes. A sweep that throws is logged and the next tick comes anyway.
     */
    public void sweepEvery(Duration tick, LongConsumer sweep) {
        long millis = Math.max(1, tick.toMillis());
        sweeper = spawn(name + "-sweeper", () -> {
            while (!closed.get()) {
                try {
                    Thread.sleep(millis); // the cadence only: what is due is decided on the ticker
                } catch (InterruptedException e) {
                    break;
                }
                try {
                    sweep.accept(now());
                } catch (RuntimeException e) {
                    log.log(Level.WARNING, name + " sweep failed", e);
                }
                sweeps.incrementAndGet();
            }
        });
    }

    /** Sweeps completed: a test that moved the ticker waits for the next ones to know the service looked. */
    public long sweeps() {
        return sweeps.get();
    }

    /** What accepts one connection: {@code ServerSocket::accept}, {@code ServerSocketChannel::accept}. */
    @FunctionalInterface
    public interface Acceptor<T> {
        T accept() throws IOException;
    }

    /**
     * On {@code NAME-accept}: accepts until the service closes, giving each connection to
     * {@code admit} (which must not block on the peer). A failure while open is logged and followed
     * by a short back-off; a failure once closing ends the loop.
     */
    public <T> void acceptLoop(Acceptor<T> acceptor, Consumer<T> admit) {
        spawn(name + "-accept", () -> {
            while (!closed.get()) {
                T accepted;
                try {
                    accepted = acceptor.accept();
                } catch (IOException e) {
                    if (closed.get()) {
                        break;
                    }
                    log.log(Level.WARNING, "{0} accept failed: {1}", name, e.toString());
                    try {
                        Thread.sleep(ACCEPT_BACKOFF_MILLIS);
                    } catch (InterruptedException ie) {
                        break;
                    }
                    continue;
                }
                admit.accept(accepted);
            }
        });
    }

    /**
     * Starts the sweeper ({@link #sweepEvery}) and the accept loop ({@link #acceptLoop}); if either
     * cannot start, runs {@code onFailure} (the service's close) and rethrows.
     */
    public <T> void serve(Duration tick, LongConsumer sweep, Acceptor<T> acceptor, Consumer<T> admit, Runnable onFailure) {
        try {
            sweepEvery(tick, sweep);
            acceptLoop(acceptor, admit);
        } catch (RuntimeException | Error e) {
            onFailure.run();
            throw e;
        }
    }

    /** Marks the service closed; true only for the first call, which then owns the closing. */
    public boolean beginClose() {
        return closed.compareAndSet(false, true);
    }

    /**
     * After the service has closed its sockets: stops the sweeper and waits up to 5 s for every
     * thread to end, then logs "NAME on WHERE closed", or a warning with the threads still running.
     */
    public void awaitThreads(Object where) {
        Thread s = sweeper;
        if (s != null) {
            s.interrupt();
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS; // real time: how long we wait for threads
        while (live.get() > 0 && System.nanoTime() - deadline < 0) {
            try {
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (live.get() > 0) {
            log.log(Level.WARNING, "{0} closed with {1} threads still running", name, live.get());
        } else {
            log.log(Level.INFO, () -> name + " on " + where + " closed");
        }
    }

    /** Closes {@code c}, ignoring what closing throws (the service is ending that resource anyway). */
    public static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing more to do
        }
    }
}
