package dev.tryst.api;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What a listener offers its contacts; nothing by default.
 *
 * @param pipeIn    the pipe's input (what a `tryst connect PEER` reads), or null: no pipe
 * @param pipeOut   the pipe's output (what it writes lands here)
 * @param folder    files sent to this listener (`tryst send --to`) go here, or null: none received
 * @param accept    asked once per offer of files
 * @param overwrite received files may replace different existing ones
 * @param expose    exposed port → {@code HOST:PORT} it reaches (usually localhost)
 */
public record ListenOptions(InputStream pipeIn, OutputStream pipeOut, Path folder, Predicate<OfferSummary> accept,
                            boolean overwrite, Map<Integer, String> expose) {
    public ListenOptions {
        Objects.requireNonNull(accept, "accept");
        expose = Map.copyOf(expose);
        if ((pipeIn == null) != (pipeOut == null)) {
            throw new IllegalArgumentException("a pipe has an input and an output");
        }
    }

    /** Offers nothing: add a pipe, a folder or ports. */
    public static ListenOptions nothing() {
        return new ListenOptions(null, null, null, s -> true, false, Map.of());
    }

    public ListenOptions withPipe(InputStream in, OutputStream out) {
        return new ListenOptions(in, out, folder, accept, overwrite, expose);
    }

    public ListenOptions withFolder(Path f, Predicate<OfferSummary> ask, boolean replace) {
        return new ListenOptions(pipeIn, pipeOut, f, ask, replace, expose);
    }

    /** Exposes {@code port}, reaching {@code target} ({@code HOST:PORT}). */
    public ListenOptions withExposed(int port, String target) {
        Map<Integer, String> m = new TreeMap<>(expose);
        m.put(port, target);
        return new ListenOptions(pipeIn, pipeOut, folder, accept, overwrite, m);
    }

    /**
     * Exposes a port as {@code spec} says: {@code PORT} (to the same port on localhost) or
     * {@code PORT=[HOST:]TARGET_PORT}.
     *
     * @throws IllegalArgumentException {@code spec} is not one of those
     */
    public ListenOptions withExposed(String spec) {
        var e = dev.tryst.connect.Services.parseExpose(spec);
        return withExposed(e.getKey(), dev.tryst.net.HostPort.format(e.getValue()));
    }

    boolean offersStreams() {
        return pipeIn != null || !expose.isEmpty();
    }
}
