package dev.tryst.api;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A finished receive, verified.
 *
 * @param kind        what came
 * @param bytes       bytes received (files: only what we did not have)
 * @param files       files in the offer (files only)
 * @param directories folders in the offer
 * @param skipped     files we already had
 * @param resumed     files resumed from what we held
 * @param folder      where files went (files only), else null
 * @param elapsed     from the first byte moved to the end (not the time taken to accept)
 */
public record Received(Kind kind, long bytes, int files, int directories, int skipped, int resumed, Path folder,
                       Duration elapsed) {
    public enum Kind { TEXT, STREAM, FILES }
}
