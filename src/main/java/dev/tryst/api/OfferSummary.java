package dev.tryst.api;

import dev.tryst.transfer.FileReceiver;
import java.nio.file.Path;
import java.util.List;

/**
 * What a receiver is asked to accept: counts and sizes, what is already here, where it goes, and
 * what deserves a second look (every top-level entry that will be created or updated, hidden entries,
 * executable files), so decoys cannot hide a {@code .git/hooks/…} or {@code .bashrc} among photos.
 *
 * @param largest  up to three of the largest files
 * @param topLevel the first path segment of every entry, a folder with a trailing '/'
 * @param bytesToFetch what moves for certain; {@code bytesIfDifferent} what more moves if the files
 *     of the same name and size here differ (only with overwrite; compared by hash once accepted)
 * @param replaced up to ten of the {@code replacing} files here, of another size, that overwrite replaces
 */
public record OfferSummary(int files, int directories, long totalBytes, long bytesToFetch, long bytesIfDifferent,
                           int resumable, int present, List<Entry> largest, Path target, List<String> topLevel, int hidden,
                           int executables, List<String> replaced, int replacing) {
    /** One offered file. */
    public record Entry(String path, long size) {}

    static OfferSummary of(FileReceiver.Summary s) {
        return new OfferSummary(s.files(), s.directories(), s.totalBytes(), s.bytesToFetch(), s.bytesIfDifferent(),
                s.resumable(), s.present(), s.largest().stream().map(e -> new Entry(e.path(), e.size())).toList(), s.target(),
                s.topLevel(), s.hidden(), s.executables(), s.replaced(), s.replacing());
    }
}
