package dev.tryst.api;

import dev.tryst.transfer.FileSender;
import dev.tryst.wire.TransferWire;
import dev.tryst.transfer.Units;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What a sender offers: files and folders, a text, or a stream. Made before any code is spent, so a
 * missing file or an unsendable name is found before the receiver is bothered.
 */
public final class Offer {
    final List<FileSender.Source> sources; // files, or null
    final byte kind;                       // TransferWire.KIND_TEXT or KIND_STREAM when not files
    final InputStream input;
    final long size;                       // -1: unknown (a stream)

    private Offer(List<FileSender.Source> sources, byte kind, InputStream input, long size) {
        this.sources = sources;
        this.kind = kind;
        this.input = input;
        this.size = size;
    }

    /**
     * Files and folders (folders with everything in them). Symbolic links are not followed: a link
     * given here is refused, one inside a folder is skipped and {@code warnings} says so.
     *
     * @throws TrystException INVALID_ARGUMENT: no such file, nothing given, a name that cannot be sent safely
     */
    public static Offer files(List<Path> paths, Consumer<String> warnings) throws TrystException {
        if (paths.isEmpty()) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "no files given", null);
        }
        try {
            return new Offer(FileSender.scan(paths, warnings), (byte) 0, null, 0);
        } catch (IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "no such file or folder: " + e.getFile(), e);
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.LOCAL_IO, "cannot read what was given: " + e.getMessage(), e);
        }
    }

    /** As {@link #files(List, Consumer)} with the warnings dropped. */
    public static Offer files(Path... paths) throws TrystException {
        return files(List.of(paths), w -> { });
    }

    /** A text of at most 1 MiB of UTF-8, shown by the receiver only once it verified. */
    public static Offer text(String text) throws TrystException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (b.length > TransferWire.MAX_TEXT) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT,
                    "a text holds at most 1 MiB; send longer input as a stream", null);
        }
        return new Offer(null, TransferWire.KIND_TEXT, new ByteArrayInputStream(b), b.length);
    }

    /** Whatever {@code in} gives until its end (a stream cannot be resumed: a broken one must be sent again). */
    public static Offer stream(InputStream in) {
        return new Offer(null, TransferWire.KIND_STREAM, Objects.requireNonNull(in, "in"), -1);
    }

    /** True for files and folders. */
    public boolean isFiles() {
        return sources != null;
    }

    /** Bytes offered: the files' total, the text's length, or -1 for a stream. */
    public long totalBytes() {
        return sources != null ? sources.stream().mapToLong(s -> s.entry().size()).sum() : size;
    }

    /** For a person: "3 files and 1 folder, 12.0 MB", "a text of 5 B", "a stream". */
    public String describe() {
        if (sources == null) {
            return kind == TransferWire.KIND_TEXT ? "a text of " + Units.bytes(size) : "a stream";
        }
        long files = sources.stream().filter(x -> !x.entry().directory()).count();
        long dirs = sources.size() - files;
        return count(files, "file") + (dirs > 0 ? " and " + count(dirs, "folder") : "") + ", " + Units.bytes(totalBytes());
    }

    static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
