package dev.tryst.client;

import dev.tryst.channel.SecureChannel;
import dev.tryst.net.Watchdog;
import java.io.IOException;

/**
 * An established end-to-end encrypted session with a peer, and how it travels. Closing it closes
 * the channel and stops its idle watchdog.
 *
 * @param path a person-readable description of the path, e.g. "relayed via relay.example:8080"
 */
public record Session(SecureChannel channel, Watchdog watchdog, String path) implements AutoCloseable {
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
