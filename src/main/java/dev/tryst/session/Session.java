package dev.tryst.session;

import dev.tryst.channel.SecureChannel;
import dev.tryst.net.Watchdog;
import java.io.IOException;
import java.time.Duration;

/**
 * An established end-to-end encrypted session with a peer, and how it travels.
 *
 * <p>It keeps itself alive and notices a dead peer: the watchdog is kicked by every authenticated
 * record from the peer and closes the session after {@code idle} without one; we send a KEEPALIVE
 * whenever we have sent nothing for a sixth of that. Wrap local work that may block for long
 * (reading stdin, writing to a terminal) in {@link #local} so it does not count as the peer's silence.
 *
 * @param path     a person-readable description of the path, e.g. "relayed via relay.example:8080"
 * @param fallback how to reach the same peer again through the relay if this (direct) path dies,
 *                 or null
 */
public record Session(SecureChannel channel, Watchdog watchdog, Duration idle, String path, Fallback fallback)
        implements AutoCloseable {

    /** A second path to the same peer, with the same agreed keys (fresh path keys): the relay. */
    @FunctionalInterface
    public interface Fallback {
        Session connect() throws SessionException;
    }

    /** This session with {@code f} as its way back through the relay. */
    public Session withFallback(Fallback f) {
        return new Session(channel, watchdog, idle, path, f);
    }

    /** Takes over {@code channel}: from now on it is watched and kept alive. */
    public static Session start(SecureChannel channel, Watchdog watchdog, Duration idle, String path) {
        channel.onAuthenticatedRecord(watchdog::kick);
        watchdog.reset(idle);
        java.util.concurrent.atomic.AtomicLong mark = new java.util.concurrent.atomic.AtomicLong(channel.recordsSent());
        watchdog.every(idle.dividedBy(6), () -> {
            try {
                channel.keepAliveUnlessSentSince(mark.get());
            } catch (IOException e) {
                // the reading side sees the broken connection and reports it
            }
            mark.set(channel.recordsSent());
        });
        return new Session(channel, watchdog, idle, path, null);
    }

    /** Runs local, possibly slow work (our disk, our terminal) with the idle watchdog paused. */
    public <T> T local(IoSupplier<T> work) throws IOException {
        watchdog.pause();
        try {
            return work.get();
        } finally {
            watchdog.resume();
        }
    }

    @FunctionalInterface
    public interface IoSupplier<T> {
        T get() throws IOException;
    }

    /**
     * The error to report for a failure during the session: "timed out" if the idle watchdog
     * ended it (the I/O error is then only a consequence), else the error itself.
     */
    public IOException explain(IOException e, String peer) {
        return timedOut() ? new SessionException(SessionException.Kind.TIMED_OUT,
                peer + " fell silent for " + idle.toSeconds() + " s; the transfer did not finish", e) : e;
    }

    /** Whether the idle watchdog ended this session (so an I/O error means "timed out"). */
    public boolean timedOut() {
        return watchdog.fired();
    }

    @Override
    public void close() throws IOException {
        watchdog.close();
        channel.close();
    }

}
