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
 */
public record OfferSummary(int files, int directories, long totalBytes, long bytesToFetch, int resumable, int present,
                           List<Entry> largest, Path target, List<String> topLevel, int hidden, int executables) {
    /** One offered file. */
    public record Entry(String path, long size) {}

    static OfferSummary of(FileReceiver.Summary s) {
        return new OfferSummary(s.files(), s.directories(), s.totalBytes(), s.bytesToFetch(), s.resumable(), s.present(),
                s.largest().stream().map(e -> new Entry(e.path(), e.size())).toList(), s.target(), s.topLevel(),
                s.hidden(), s.executables());
    }
}
