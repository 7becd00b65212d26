package dev.tryst.net;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition with a generous deadline (these machines are shared and loaded): the way
 * tests synchronise with threads they do not own, instead of sleeping a guessed time.
 */
public final class Await {
    private Await() {}

    public static void until(String what, Duration max, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + max.toSeconds() + " s waiting for: " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what);
            }
        }
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, Duration.ofSeconds(30), condition);
    }
}
