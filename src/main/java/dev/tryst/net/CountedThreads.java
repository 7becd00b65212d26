package dev.tryst.net;

import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The virtual threads of one server, counted, so that closing it can wait for them to end and
 * tests can see that none is left (virtual threads do not show in {@code Thread.getAllStackTraces}).
 */
public final class CountedThreads {
    private final AtomicInteger live = new AtomicInteger();
    private final System.Logger log;

    /** @param log where a thread that dies of an unexpected exception is reported */
    public CountedThreads(System.Logger log) {
        this.log = log;
    }

    /** Starts {@code body} on a new virtual thread named {@code name}. */
    public Thread start(String name, Runnable body) {
        live.incrementAndGet();
        try {
            return Thread.ofVirtual().name(name).start(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    log.log(Level.ERROR, "thread " + name + " failed", t);
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
    public int live() {
        return live.get();
    }

    /**
     * Waits until every thread has ended or {@code System.nanoTime()} passes {@code deadlineNanos};
     * true if they all ended. Polls every 5 ms (closing is rare).
     */
    public boolean awaitNone(long deadlineNanos) {
        while (live.get() > 0 && System.nanoTime() - deadlineNanos < 0) {
            try {
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return live.get() == 0;
    }
}
