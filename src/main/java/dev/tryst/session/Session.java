package dev.tryst.session;

import dev.tryst.channel.SecureChannel;
import dev.tryst.net.Watchdog;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An established end-to-end encrypted session with a peer, and how it travels.
 *
 * <p>It keeps itself alive and notices a dead peer: the watchdog is kicked by every authenticated
 * record from the peer and closes the session after {@code idle} without one; we send a KEEPALIVE
 * whenever we have sent nothing for a sixth of that. Wrap local work that may block for long
 * (reading stdin, writing to a terminal) in {@link #local} so it does not count as the peer's silence.
 *
 * <p>A session may change its path while it runs ({@link #moveTo}: from the relay it started on to
 * a direct path found later), between two records; {@link #path()} and {@link #idle()} then say the
 * new one, and whoever {@link #watchPath watches} is told.
 */
public final class Session implements AutoCloseable {
    /** A second path to the same peer, with the same agreed keys (fresh path keys): the relay. */
    @FunctionalInterface
    public interface Fallback {
        Session connect() throws SessionException;
    }

    private final SecureChannel channel;
    private final Watchdog watchdog;
    private volatile Duration idle;
    private volatile String path;
    private volatile Fallback fallback;
    private final List<Consumer<String>> moves = new ArrayList<>();
    private final List<Runnable> onClose = new ArrayList<>();
    private boolean closed;

    private Session(SecureChannel channel, Watchdog watchdog, Duration idle, String path) {
        this.channel = channel;
        this.watchdog = watchdog;
        this.idle = idle;
        this.path = path;
    }

    /** Takes over {@code channel}: from now on it is watched (silence closes the whole channel) and kept alive. */
    public static Session start(SecureChannel channel, Watchdog watchdog, Duration idle, String path) {
        channel.onAuthenticatedRecord(watchdog::kick);
        watchdog.retarget(channel);
        watchdog.reset(idle);
        java.util.concurrent.atomic.AtomicLong mark = new java.util.concurrent.atomic.AtomicLong(channel.recordsSent());
        Session s = new Session(channel, watchdog, idle, path);
        watchdog.every(idle.dividedBy(6), () -> {
            try {
                channel.keepAliveUnlessSentSince(mark.get());
            } catch (IOException e) {
                // the reading side sees the broken connection and reports it
            }
            mark.set(channel.recordsSent());
        });
        return s;
    }

    public SecureChannel channel() {
        return channel;
    }

    public Watchdog watchdog() {
        return watchdog;
    }

    /** The idle timeout of the path it is on now. */
    public Duration idle() {
        return idle;
    }

    /** A person-readable description of the path it is on now, e.g. "relayed via relay.example:8080". */
    public String path() {
        return path;
    }

    /** How to reach the same peer again through the relay if this (direct) path dies, or null. */
    public Fallback fallback() {
        return fallback;
    }

    /** Sets {@code f} as the way back through the relay; returns this session. */
    public Session withFallback(Fallback f) {
        this.fallback = f;
        return this;
    }

    /**
     * Moves the session onto {@code next} (a fresh proven path to the same peer) between two records
     * ({@link SecureChannel#moveTo}); its silence is then measured against {@code newIdle}.
     */
    public void moveTo(SecureChannel next, String newPath, Duration newIdle) throws IOException {
        channel.moveTo(next);
        List<Consumer<String>> told;
        synchronized (this) {
            idle = newIdle;
            path = newPath;
            watchdog.reset(newIdle);
            told = List.copyOf(moves);
        }
        for (Consumer<String> c : told) {
            c.accept(newPath);
        }
    }

    /**
     * Tells {@code now} the path the session is on, at once, and {@code later} each path it moves to
     * afterwards: no move falls between the two.
     */
    public void watchPath(Consumer<String> now, Consumer<String> later) {
        synchronized (this) {
            now.accept(path);
            moves.add(later);
        }
    }

    /** Runs {@code r} when the session is closed (at once if it is). */
    public void onClose(Runnable r) {
        synchronized (this) {
            if (!closed) {
                onClose.add(r);
                return;
            }
        }
        r.run();
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
        List<Runnable> run;
        synchronized (this) {
            closed = true;
            run = List.copyOf(onClose);
            onClose.clear();
        }
        try {
            watchdog.close();
            channel.close();
        } finally {
            for (Runnable r : run) {
                r.run();
            }
        }
    }

    @Override
    public String toString() {
        return "Session[" + path + "]";
    }
}
