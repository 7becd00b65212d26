package dev.tryst.cli;

import dev.tryst.transfer.StreamTransfer;
import java.time.InstantSource;

/**
 * A progress display that appears with the first bytes, so a transfer that is declined or refused
 * before any data moves does not end with a "0 B of N" line.
 */
final class LazyProgress implements StreamTransfer.Progress, AutoCloseable {
    private final ProgressDisplay.Mode mode;
    private final String label;
    private final long total;
    private ProgressDisplay display;

    LazyProgress(boolean quiet, String label, long total) {
        this.mode = ProgressDisplay.modeFor(Terminal.isTerminal(2), quiet);
        this.label = label;
        this.total = total;
    }

    @Override
    public synchronized void bytes(long soFar) {
        if (display == null) {
            display = ProgressDisplay.start(System.err, mode, label, total, InstantSource.system());
        }
        display.update(soFar);
    }

    @Override
    public synchronized void close() {
        if (display != null) {
            display.close();
        }
    }
}
