package dev.tryst.api;

import dev.tryst.client.EventClient;
import dev.tryst.control.ControlWire;
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
 */
public final class Mailbox implements AutoCloseable {
    private final EventClient client;
    private final LocalIdentity me;
    private final Path markFile;

    private Mailbox(EventClient client, LocalIdentity me, Path markFile) {
        this.client = client;
        this.me = me;
        this.markFile = markFile;
    }

    /**
     * Logs {@code me} in at the server of {@code options} (a signed fresh challenge, bound to the
     * server's certificate). {@code stateDir} keeps the inbox's marks.
     */
    public static Mailbox open(TrystOptions options, LocalIdentity me, Path stateDir) throws TrystException {
        Objects.requireNonNull(me, "me");
        Objects.requireNonNull(stateDir, "stateDir");
        String server = options.server() != null ? options.server() : "localhost";
        String where = HostPort.format(Rendezvous.server(server, options).address()).replaceAll("[^A-Za-z0-9.\\-]", "_");
        String who = me.publicKey().substring(0, 16);
        Path mark = stateDir.resolve("inbox").resolve(who + "@" + where);
        return new Mailbox(Rendezvous.login(options, me.identity), me, mark);
    }

    /** Largest message body in bytes of UTF-8. */
    public static int maxMessageBytes() {
        return EventClient.MAX_MESSAGE;
    }

    /**
     * Seals {@code text} to the identity with {@code recipientPublicKey} (64 hex digits) and has the
     * server keep it; returns once the server has it on disk.
     *
     * @throws TrystException REFUSED: the recipient's inbox is full or this identity sent too many;
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
                    open(e, shown, notices);
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

    private void open(ControlWire.Event e, Consumer<InboxMessage> shown, Consumer<String> notices) {
        Instant when = Instant.ofEpochMilli(e.timestamp());
        try {
            Sealed.Opened m = Sealed.open(me.identity, e.data().toByteArray());
            shown.accept(new InboxMessage(e.order(), when, m.sender().fingerprint(), m.sender().toHex(),
                    new String(m.body(), StandardCharsets.UTF_8)));
        } catch (SealedException x) {
            notices.accept("message " + e.order() + " of " + when + " could not be opened and is skipped: " + x.getMessage());
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

    /** Atomically and durably: a new file ("STORE-ID ORDER"), fsync, rename over the old one. */
    private static void writeMark(Path f, String store, long order) throws IOException {
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap((store + " " + order + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        client.close();
    }
}
