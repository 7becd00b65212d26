package dev.tryst.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The client's trust-on-first-use memory of server certificates.
 *
 * <p><b>File format</b>: UTF-8 text, created mode 0600, one server a line:
 * <pre>
 * host:port fingerprint
 * </pre>
 * {@code host} as the client addressed it, lowercased (an IPv6 literal in brackets,
 * {@code [::1]:4433}); {@code fingerprint} as {@link Fingerprint#hex()}. Blank lines and lines
 * starting with {@code #} are ignored, as are lines that do not parse (so a hand edit cannot lock
 * the user out; it at worst forgets a server). The first line for a server wins. Lines are only
 * appended; to forget a server, delete its line.
 *
 * <p>A line is written only for a server that has finished the TLS handshake and answered in
 * tryst's protocol ({@link Pinning#remember}); during the handshake the file is only read.
 */
public final class KnownServers {
    private static final Object LOCK = new Object(); // within this JVM; FileLock covers other processes

    private KnownServers() {
    }

    /** {@code host:port} as the file and the messages spell it. */
    public static String key(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
            h = "[" + h + "]";
        }
        return h + ":" + port;
    }

    /** The fingerprint remembered for {@code server} ({@link #key}), if any. */
    public static Optional<Fingerprint> lookup(Path file, String server) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] parts = l.split("\\s+");
            if (parts.length >= 2 && parts[0].equalsIgnoreCase(server)) {
                try {
                    return Optional.of(Fingerprint.parse(parts[1]));
                } catch (IllegalArgumentException e) {
                    // a damaged line: ignore it
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Checks {@code presented} against the file and writes nothing: an unknown server passes.
     * Reads without the lock: a line being appended at that moment does not parse yet and counts
     * as unknown, and {@link #verifyOrRemember} checks again under the lock before it writes.
     *
     * @return whether the file knows {@code server} (with this fingerprint)
     * @throws PinMismatchException if the file holds another fingerprint for {@code server}
     */
    static boolean verify(Path file, String server, Fingerprint presented) throws IOException {
        Optional<Fingerprint> known = lookup(file, server);
        if (known.isPresent() && !known.get().equals(presented)) {
            throw new PinMismatchException(server, presented, known.get(), file);
        }
        return known.isPresent();
    }

    /**
     * Checks {@code presented} against the file; remembers it if the server is unknown. Only for a
     * server that has finished the handshake and answered in tryst's protocol
     * ({@link Pinning#remember}).
     *
     * @throws PinMismatchException if the file holds another fingerprint for {@code server}
     */
    static void verifyOrRemember(Path file, String server, Fingerprint presented) throws IOException {
        synchronized (LOCK) {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            try (FileChannel channel = openPrivate(file, options); FileLock ignored = channel.lock()) {
                if (verify(file, server, presented)) {
                    return;
                }
                long size = channel.size();
                String separator = size > 0 && lastByte(file, size) != '\n' ? "\n" : ""; // a hand edit without final newline
                ByteBuffer line = ByteBuffer.wrap((separator + server + " " + presented.hex() + "\n").getBytes(StandardCharsets.UTF_8));
                while (line.hasRemaining()) {
                    channel.write(line);
                }
                channel.force(false);
            }
        }
    }

    private static FileChannel openPrivate(Path file, Set<OpenOption> options) throws IOException {
        try {
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
            return FileChannel.open(file, options, mode);
        } catch (UnsupportedOperationException e) {
            return FileChannel.open(file, options);
        }
    }

    private static int lastByte(Path file, long size) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            return in.read(b, size - 1) == 1 ? b.get(0) : -1;
        }
    }
}
