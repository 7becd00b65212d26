package dev.tryst.api;

import dev.tryst.client.EventClient;
import dev.tryst.wire.ControlWire;
import dev.tryst.identity.IdentityKey;
import dev.tryst.identity.Sealed;
import dev.tryst.identity.SealedException;
import dev.tryst.net.HostPort;
import java.io.IOException;
import java.net.SocketTimeoutException;
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
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An identity's mailbox at the tryst server: messages sealed to another identity's key (the
 * server stores them but cannot read them), and this identity's inbox, each message handed out
 * exactly once, in order, across crashes, reconnects and server restarts.
 *
 * <p>Exactly once: what was handed out is recorded (in a mark file under the state folder, per
 * identity and server, written atomically and synced) before the server is told it may forget it.
 * A crash after handing a message out and before recording it shows it again; after recording and
 * before the server heard, the server sends it again and it is skipped by its order. A mark from
 * another store (the server's database was replaced) is not trusted: everything the new store holds
 * is handed out.
 *
 * <p>Each message carries its sender's signed time and a random id inside the seal. A message whose
 * id was handed out before (the server, or anyone who kept its sealed bytes, delivered it again) is
 * skipped with a notice, and so is one signed too long ago for the record of shown ids to vouch for
 * ({@link SeenMessages}: 8 days, the server's event lifetime and a day).
 */
public final class Mailbox implements AutoCloseable {
    private final EventClient client;
    private final LocalIdentity me;
    private final Path markFile;
    private final InstantSource clock;

    private Mailbox(EventClient client, LocalIdentity me, Path markFile, InstantSource clock) {
        this.client = client;
        this.me = me;
        this.markFile = markFile;
        this.clock = clock;
    }

    /**
     * Logs {@code me} in at the server of {@code options} (a signed fresh challenge, bound to the
     * server's certificate). {@code stateDir} keeps the inbox's marks.
     */
    public static Mailbox open(TrystOptions options, LocalIdentity me, Path stateDir) throws TrystException {
        return open(options, me, stateDir, InstantSource.system());
    }

    /**
     * As {@link #open(TrystOptions, LocalIdentity, Path)}, with {@code clock} dating the messages
     * sent (the signed time their recipients see) and judging how old those received are.
     */
    public static Mailbox open(TrystOptions options, LocalIdentity me, Path stateDir, InstantSource clock) throws TrystException {
        Objects.requireNonNull(me, "me");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(stateDir, "stateDir");
        String server = options.server() != null ? options.server() : "localhost";
        String where = HostPort.format(Rendezvous.server(server, options).address()).replaceAll("[^A-Za-z0-9.\\-]", "_");
        String who = me.publicKey().substring(0, 16);
        Path mark = stateDir.resolve("inbox").resolve(who + "@" + where);
        return new Mailbox(Rendezvous.login(options, me.identity, clock), me, mark, clock);
    }

    /** Largest message body in bytes of UTF-8. */
    public static int maxMessageBytes() {
        return EventClient.MAX_MESSAGE;
    }

    /**
     * Seals {@code text} to the identity with {@code recipientPublicKey} (64 hex digits) and has the
     * server keep it; returns once the server has it on disk.
     *
     * @throws TrystException REFUSED: over a bound of the server (the recipient's inbox, or the
     *     sender's share of it, is full; the server's store is full; too many messages from this
     *     identity or this address), which the message names in the server's words;
     *     INVALID_ARGUMENT: not a public key, or a text too long
     */
    public void send(String recipientPublicKey, String text) throws TrystException {
        IdentityKey to = LocalIdentity.key(recipientPublicKey);
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        if (body.length > EventClient.MAX_MESSAGE) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "a message holds at most "
                    + EventClient.MAX_MESSAGE + " bytes", "send files with a code instead", null);
        }
        try {
            client.sendMessage(to, body, Duration.ofSeconds(30));
        } catch (EventClient.RefusedException e) {
            throw new TrystException(TrystException.Reason.REFUSED, e.getMessage(), e);
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.PEER_GONE, "lost the server: " + e.getMessage(), e);
        }
    }

    /**
     * How to read the inbox.
     *
     * @param max    hand out at most this many messages, then stop (0: no limit)
     * @param follow keep waiting for new messages until the thread is interrupted or the session ends
     * @param waitFor without follow: how long to wait for messages still on the way
     */
    public record Reading(int max, boolean follow, Duration waitFor) {
        public Reading {
            if (max < 0) {
                throw new IllegalArgumentException("max must not be negative");
            }
            Objects.requireNonNull(waitFor, "waitFor");
        }
    }

    /**
     * Hands each new message to {@code shown}, oldest first, exactly once; a message that cannot be
     * opened is skipped and {@code notices} says so. Returns how many were processed.
     */
    public int read(Reading reading, Consumer<InboxMessage> shown, Consumer<String> notices) throws TrystException {
        int processed = 0;
        try {
            Mark m = readMark(markFile);
            SeenMessages seen = SeenMessages.load(markFile.resolveSibling(markFile.getFileName() + ".seen"));
            long known = client.lastOrderAtLogin();
            String store = client.storeId().hex();
            long last = m.order();
            if (m.store() != null && !m.store().equals(store)) {
                // The server's store was replaced: our mark counts in the old one and would make the
                // server forget messages we never saw. Start from the beginning of the new store.
                notices.accept("the server's message store was replaced since the last inbox; showing all it holds.");
                last = 0;
            }
            client.resume(last);
            while (reading.max() == 0 || processed < reading.max()) {
                if (!reading.follow() && last >= known) {
                    break;
                }
                ControlWire.Event e;
                try {
                    e = client.nextEvent(reading.follow() ? Duration.ofDays(3650) : reading.waitFor());
                } catch (SocketTimeoutException timeout) {
                    break; // the rest expired at the server, or never came
                }
                if (e.order() <= last) {
                    continue; // handed out before a crash that kept us from acknowledging it
                }
                if (e.kind() == ControlWire.EVENT_MESSAGE) {
                    open(e, seen, shown, notices);
                }
                last = e.order();
                writeMark(markFile, store, last);
                client.ack(last);
                processed++;
            }
        } catch (TrystException e) {
            throw e;
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.PEER_GONE, "lost the server: " + e.getMessage(), e);
        }
        return processed;
    }

    /**
     * Opens one message and hands it out, unless it cannot be opened or {@code seen} refuses it
     * (then a notice says why); records its id before it returns.
     */
    private void open(ControlWire.Event e, SeenMessages seen, Consumer<InboxMessage> shown, Consumer<String> notices)
            throws IOException {
        Instant stored = Instant.ofEpochMilli(e.timestamp());
        Sealed.Opened m;
        try {
            m = Sealed.open(me.identity, e.data().toByteArray());
        } catch (SealedException x) {
            notices.accept("message " + e.order() + " stored " + stored + " could not be opened and is skipped: " + x.getMessage());
            return;
        }
        long sentMillis = m.sent().toEpochMilli();
        long now = clock.millis();
        String which = "message " + e.order() + " from " + m.sender().fingerprint() + " signed " + m.sent();
        switch (seen.check(m.idHex(), sentMillis, now)) {
            case SHOWN_BEFORE -> notices.accept(which + " was shown before (id " + m.idHex() + ") and is skipped: the server"
                    + " delivered it again");
            case TOO_OLD -> notices.accept(which + " is older than this inbox can tell apart from a copy delivered again ("
                    + SeenMessages.HORIZON.toDays() + " days, or before the earliest id it remembers) and is skipped;"
                    + " if it is new, the sender's clock is wrong: ask them to fix it and send it again");
            case TOO_FAR_AHEAD -> notices.accept(which + ", more than " + SeenMessages.AHEAD.toDays() + " day ahead of this"
                    + " machine's clock, and is skipped: ask the sender to fix their clock (or fix this machine's) and send it again");
            case NEW -> {
                shown.accept(new InboxMessage(e.order(), m.sent(), stored, m.sender().fingerprint(), m.sender().toHex(),
                        new String(m.body(), StandardCharsets.UTF_8)));
                seen.add(m.idHex(), sentMillis, now);
            }
        }
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
            throw new TrystException(TrystException.Reason.LOCAL_IO, "the inbox mark " + f + " is damaged ('"
                    + e.getMessage() + "')", "delete it to see every message the server still holds", e);
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
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(ascii.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        client.close();
    }
}
