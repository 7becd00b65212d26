package dev.tryst.net;

/**
 * Monotonic time in nanoseconds, as {@link System#nanoTime()} gives it: the only clock the servers,
 * the channel's watchdog and the punching code read for their deadlines. It is injected, so a test
 * moves time forward by hand ({@code FakeTicker}) and sees a timeout at once instead of waiting for it.
 * Only differences between two readings mean anything.
 */
@FunctionalInterface
public interface Ticker {
    /** The real monotonic clock. */
    Ticker SYSTEM = System::nanoTime;

    long nanoTime();
}
