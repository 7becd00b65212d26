package dev.tryst.cli;

import dev.tryst.client.EventClient;
import dev.tryst.control.ControlWire;
import dev.tryst.identity.Identity;
import dev.tryst.identity.Sealed;
import dev.tryst.identity.SealedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inbox", mixinStandardHelpOptions = true,
        description = {"Print the messages left for this identity at the server, oldest first, each once:"
            + " one line each, 'TIME SENDER-FINGERPRINT: TEXT'. TIME is when the sender sealed it, by its clock,"
            + " signed; '(stored TIME)' follows when the server stored it more than 5 minutes apart from that.",
            "What was printed is recorded (in the state directory) before the server is told it may forget it,"
                + " so a crash never loses a message and never shows one twice. A message shown before (its id,"
                + " delivered again) is skipped with a note, and so is one signed more than 8 days ago."})
final class InboxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server = new ServerOption();

    @Option(names = "--identity", paramLabel = "PATH", description = "Read the inbox of this identity (default: this machine's).")
    Path identityFile;

    @Option(names = "--max", paramLabel = "N", description = "Process at most N messages, then stop.")
    Integer max;

    @Option(names = {"-f", "--follow"}, description = "Keep waiting for new messages (until interrupted).")
    boolean follow;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "5s", converter = Durations.class,
            description = "Without --follow: how long to wait for messages still on the way. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    /** This machine's clock: how old a message's signed time is. */
    InstantSource clock = InstantSource.system();

    /** Beyond this apart, the sender's signed time and the server's storage time are both shown. */
    static final Duration STORED_APART = Duration.ofMinutes(5);

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (max != null && max < 1) {
            throw new Main.UsageException("--max must be at least 1");
        }
        Identity me = IdentityFiles.load(identityFile, err);
        Path mark = markFile(me);
        int processed;
        try (EventClient c = IdentityFiles.login(server, me)) {
            processed = read(c, me, mark, out, err);
        }
        if (processed == 0) {
            err.println("No new messages.");
        }
        err.flush();
        return ExitCode.OK.code;
    }

    /**
     * Shows {@code me}'s messages from the logged-in session {@code c}, as {@link #max},
     * {@link #follow} and {@link #wait} say, keeping the last processed order in {@code mark} and
     * the ids shown beside it ({@link SeenMessages}); returns how many events it processed.
     */
    int read(EventClient c, Identity me, Path mark, PrintWriter out, PrintWriter err) throws IOException {
        Mark m = readMark(mark);
        SeenMessages seen = SeenMessages.load(mark.resolveSibling(mark.getFileName() + ".seen"));
        int processed = 0;
        long known = c.lastOrderAtLogin();
        String store = c.storeId().hex();
        long last = m.order();
        if (m.store() != null && !m.store().equals(store)) {
            // The server's store was replaced: our mark counts in the old one and would make the
            // server forget messages we never saw. Start from the beginning of the new store.
            err.println("tryst: the server's message store was replaced since the last inbox; showing all it holds.");
            last = 0;
        }
        c.resume(last);
        while (max == null || processed < max) {
            if (!follow && last >= known) {
                break;
            }
            ControlWire.Event e;
            try {
                e = c.nextEvent(follow ? Duration.ofDays(3650) : wait);
            } catch (SocketTimeoutException timeout) {
                break; // the rest expired at the server, or never came
            }
            if (e.order() <= last) {
                continue; // printed before a crash that kept us from acknowledging it
            }
            if (e.kind() == ControlWire.EVENT_MESSAGE) {
                show(me, e, seen, out, err);
            }
            last = e.order();
            writeMark(mark, store, last);
            c.ack(last);
            processed++;
        }
        return processed;
    }

    /**
     * Prints one message with the time its sender signed, unless it cannot be opened or
     * {@code seen} refuses it (then one line on {@code err} says why), and records its id.
     */
    private void show(Identity me, ControlWire.Event e, SeenMessages seen, PrintWriter out, PrintWriter err) throws IOException {
        String stored = time(e.timestamp());
        Sealed.Opened m;
        try {
            m = Sealed.open(me, e.data().toByteArray());
        } catch (SealedException x) {
            err.println("tryst: message " + e.order() + " stored " + stored + " could not be opened and is skipped: " + x.getMessage());
            return;
        }
        long sentMillis = m.sent().toEpochMilli();
        long now = clock.millis();
        String sent = time(sentMillis);
        String which = "tryst: message " + e.order() + " from " + m.sender().fingerprint() + " signed " + sent;
        switch (seen.check(m.idHex(), sentMillis, now)) {
            case SHOWN_BEFORE -> err.println(which + " was shown before (id " + m.idHex() + ") and is skipped: the server delivered it again");
            case TOO_OLD -> err.println(which + " is older than this inbox can tell apart from a copy delivered again ("
                    + SeenMessages.HORIZON.toDays() + " days, or before the earliest id it remembers) and is skipped;"
                    + " if it is new, the sender's clock is wrong: ask them to fix it and send it again");
            case TOO_FAR_AHEAD -> err.println(which + ", more than " + SeenMessages.AHEAD.toDays() + " day ahead of this machine's clock,"
                    + " and is skipped: ask the sender to fix their clock (or fix this machine's) and send it again");
            case NEW -> {
                String apart = Math.abs(sentMillis - e.timestamp()) > STORED_APART.toMillis() ? " (stored " + stored + ")" : "";
                out.println(sent + apart + " " + m.sender().fingerprint() + ": " + printable(new String(m.body(), StandardCharsets.UTF_8)));
                out.flush();
                seen.add(m.idHex(), sentMillis, now);
            }
        }
    }

    private static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Where the last processed order is kept: per identity and server. */
    private Path markFile(Identity me) {
        String where = server.resolve().describe().replaceAll("[^A-Za-z0-9.\\-]", "_");
        String who = me.publicKey().toHex().substring(0, 16);
        return ServerCommand.defaultStateDir().resolve("inbox").resolve(who + "@" + where);
    }

    /**
     * A message's text as one safe line: control characters (a newline that would fake a second
     * message from someone else, terminal escapes) and bidirectional overrides are shown as
     * {@code \\uXXXX} and a backslash is doubled, so nothing a sender writes can pose as
     * tryst's output.
     */
    static String printable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            boolean bidi = (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F;
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || bidi || c == '\\') {
                b.append(c == '\\' ? "\\\\" : String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    /** The last processed order and the store it counts in (null for a mark written before store ids). */
    private record Mark(String store, long order) {}

    private static Mark readMark(Path f) throws IOException {
        try {
            String[] s = Files.readString(f, StandardCharsets.US_ASCII).strip().split(" ");
            return s.length == 2 ? new Mark(s[0], Long.parseLong(s[1])) : new Mark(null, Long.parseLong(s[0]));
        } catch (NoSuchFileException e) {
            return new Mark(null, 0);
        } catch (NumberFormatException e) {
            throw new Main.UsageException("the inbox mark " + f + " is damaged ('" + e.getMessage() + "'); delete it to see"
                    + " every message the server still holds");
        }
    }

    /** Atomically and durably ({@link #writeDurably}): "STORE-ID ORDER". */
    private static void writeMark(Path f, String store, long order) throws IOException {
        writeDurably(f, store + " " + order + "\n");
    }

    /** Replaces {@code f} by {@code ascii} atomically and durably: a new file, fsync, rename over the old one. */
    static void writeDurably(Path f, String ascii) throws IOException {
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(ascii.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
