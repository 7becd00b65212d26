package dev.tryst.api;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The ids of the messages an inbox has shown, per identity and server, so that a message delivered
 * again (by the server, or by anyone who kept its sealed bytes) is refused instead of shown twice.
 * Kept beside the inbox mark file and written the same way (a new file, fsync, rename).
 *
 * <p><b>The bound.</b> An id is kept while its signed time is less than {@link #HORIZON} old by
 * this machine's clock: 8 days, the server's 7-day event lifetime plus a day for clocks that
 * disagree, so every message a server can still legitimately hold has its id here. At most
 * {@link #MAX_IDS} ids are kept (about 200 KB, rewritten once per message shown); past that the ones signed earliest are dropped. Forgetting an id
 * must not let its message back in, so the inbox also refuses every message signed at or before
 * the newest signed time it has dropped (the file's {@code floor}) or older than the horizon: such
 * a message is either a copy delivered again or comes from a sender whose clock is days off. A
 * message signed more than {@link #AHEAD} ahead is refused too, or its id could outstay the
 * horizon and a sender could fill the record with ids that never expire. The cost of the count
 * bound: after more than {@value #MAX_IDS} messages within 8 days, a message signed before the
 * newest dropped one is refused (only a message held back that long behind others is).
 *
 * <p>File, ASCII: {@code floor MILLIS} on the first line, then one {@code ID SENT-MILLIS} line per
 * id (32 hex digits, then the signed time in ms since 1970), earliest first. Not thread-safe; one
 * inbox per identity and server runs at a time (the server refuses a second login).
 */
final class SeenMessages {
    /** How long an id is kept after its signed time, and how old a message may be signed at all. */
    static final Duration HORIZON = Duration.ofDays(8);
    /** How far ahead of this machine's clock a message may be signed. */
    static final Duration AHEAD = Duration.ofDays(1);
    static final int MAX_IDS = 4096;

    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

    enum Verdict {
        /** Not seen before and signed within the window: show it, then {@link #add} it. */
        NEW,
        /** Its id was shown before: a copy delivered again. */
        SHOWN_BEFORE,
        /** Signed before what this record can vouch for (the horizon, or the floor). */
        TOO_OLD,
        /** Signed more than {@link #AHEAD} after this machine's now. */
        TOO_FAR_AHEAD
    }

    private final Path file;
    private final int maxIds;
    private final Map<String, Long> sent;
    /** The newest signed time among forgotten ids; Long.MIN_VALUE when none was forgotten. */
    private long floor;

    private SeenMessages(Path file, int maxIds, Map<String, Long> sent, long floor) {
        this.file = file;
        this.maxIds = maxIds;
        this.sent = sent;
        this.floor = floor;
    }

    /** The record kept in {@code file}, empty if there is none yet. */
    static SeenMessages load(Path file) throws IOException {
        return load(file, MAX_IDS);
    }

    /** As {@link #load(Path)}, keeping at most {@code maxIds} ids (tests use a small bound). */
    static SeenMessages load(Path file, int maxIds) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return new SeenMessages(file, maxIds, new HashMap<>(), Long.MIN_VALUE);
        } catch (CharacterCodingException e) {
            throw damaged(file, "not ASCII");
        }
        if (lines.isEmpty() || !lines.getFirst().startsWith("floor ")) {
            throw damaged(file, "no floor line");
        }
        try {
            long floor = Long.parseLong(lines.getFirst().substring("floor ".length()));
            Map<String, Long> sent = new HashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] parts = line.split(" ");
                if (parts.length != 2 || !ID.matcher(parts[0]).matches()) {
                    throw damaged(file, "'" + line + "'");
                }
                sent.put(parts[0], Long.parseLong(parts[1]));
            }
            return new SeenMessages(file, maxIds, sent, floor);
        } catch (NumberFormatException e) {
            throw damaged(file, e.getMessage());
        }
    }

    private static TrystException damaged(Path file, String what) {
        return new TrystException(TrystException.Reason.LOCAL_IO, "the inbox record of shown messages " + file
                + " is damaged (" + what + ")", "delete it"
                + " to go on (a message shown before could then be shown once more if the server delivers it again)", null);
    }

    /** What to do with a message of id {@code id} (32 hex digits) signed at {@code sentMillis}, at {@code nowMillis}. */
    Verdict check(String id, long sentMillis, long nowMillis) {
        if (sent.containsKey(id)) {
            return Verdict.SHOWN_BEFORE;
        }
        if (sentMillis <= floor || sentMillis < nowMillis - HORIZON.toMillis()) {
            return Verdict.TOO_OLD;
        }
        if (sentMillis > nowMillis + AHEAD.toMillis()) {
            return Verdict.TOO_FAR_AHEAD;
        }
        return Verdict.NEW;
    }

    /**
     * Records {@code id} as shown, forgets what the bound no longer needs (raising the floor to
     * it) and writes the file durably before it returns.
     */
    void add(String id, long sentMillis, long nowMillis) throws IOException {
        sent.put(id, sentMillis);
        long horizon = nowMillis - HORIZON.toMillis();
        List<Map.Entry<String, Long>> earliestFirst = sent.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .toList();
        int excess = earliestFirst.size() - maxIds;
        StringBuilder text = new StringBuilder();
        Map<String, Long> kept = new HashMap<>();
        for (Map.Entry<String, Long> e : earliestFirst) {
            if (excess-- > 0 || e.getValue() < horizon) {
                floor = Math.max(floor, e.getValue());
            } else {
                kept.put(e.getKey(), e.getValue());
                text.append(e.getKey()).append(' ').append(e.getValue()).append('\n');
            }
        }
        sent.clear();
        sent.putAll(kept);
        Mailbox.writeDurably(file, "floor " + floor + "\n" + text);
    }

    /** How many ids are kept (for tests). */
    int size() {
        return sent.size();
    }
}
