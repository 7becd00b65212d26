package dev.tryst.api;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Where what is received goes, and who says yes.
 *
 * @param folder    where files and folders go (made when files are offered, if missing)
 * @param overwrite replace existing files that differ from the ones received (never silently otherwise)
 * @param accept    asked once per offer of files, with what it holds; false declines
 * @param output    where a text (once verified) or a stream (as it arrives) is written
 */
public record ReceiveOptions(Path folder, boolean overwrite, Predicate<OfferSummary> accept, OutputStream output) {
    public ReceiveOptions {
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(accept, "accept");
        Objects.requireNonNull(output, "output");
    }

    /** Files into {@code folder}, accepted without asking, nothing overwritten; text and streams to {@code output}. */
    public static ReceiveOptions into(Path folder, OutputStream output) {
        return new ReceiveOptions(folder, false, s -> true, output);
    }
}
