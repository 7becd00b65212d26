package dev.tryst.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;

/** A byte channel that tells its {@link Watchdog} whenever bytes move, so only true silence times out. */
public final class WatchedChannel implements ByteChannel {
    private final ByteChannel inner;
    private final Watchdog watchdog;

    public WatchedChannel(ByteChannel inner, Watchdog watchdog) {
        this.inner = inner;
        this.watchdog = watchdog;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = inner.read(dst);
        if (n > 0) {
            watchdog.kick();
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = inner.write(src);
        if (n > 0) {
            watchdog.kick();
        }
        return n;
    }

    public ByteChannel inner() {
        return inner;
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public void close() throws IOException {
        watchdog.close();
        inner.close();
    }
}
