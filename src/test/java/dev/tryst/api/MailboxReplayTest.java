package dev.tryst.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.wire.ControlWire;
import dev.tryst.events.Event;
import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.wire.Bytes;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import javax.net.ServerSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the inbox shows when the server (or anyone holding a sealed blob) misbehaves: it delivers
 * the same bytes again, or delivers a message days after it was sent. A real server, a real event
 * store and real files; the store plays the misbehaving server.
 */
@Timeout(60)
class MailboxReplayTest {
    private static final Duration T = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private EventStore store;
    private RendezvousServer server;

    private void start(InstantSource serverClock) throws IOException {
        store = EventStore.open(dir.resolve("server"), EventLimits.defaults(), serverClock);
        server = RendezvousServer.start(RendezvousConfig.defaults().withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                ServerSocketFactory.getDefault(), new RendezvousBackend(RendezvousBackend.PLAIN_NAME, 0, store));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private TrystOptions plain() {
        return TrystOptions.defaults().withServer("127.0.0.1:" + server.address().getPort()).withPlainControl(true);
    }

    /** One inbox run, as 'tryst inbox' makes it: the messages handed out and the notices. */
    private record Run(List<InboxMessage> messages, String notices) {}

    private Run inbox(LocalIdentity me, Path stateDir) throws IOException {
        List<InboxMessage> shown = new java.util.ArrayList<>();
        StringBuilder notices = new StringBuilder();
        try (Mailbox box = Mailbox.open(plain(), me, stateDir)) {
            box.read(new Mailbox.Reading(0, false, T), shown::add, n -> notices.append(n).append('\n'));
        }
        return new Run(shown, notices.toString());
    }

    /** The server stores {@code payload} for {@code to} once more, as a new event. */
    private void redeliver(LocalIdentity to, Bytes payload) throws Exception {
        store.append(Bytes.of(to.identity.publicKey().bytes()), (byte) ControlWire.EVENT_MESSAGE, payload);
    }

    private Bytes stored(LocalIdentity to) {
        List<Event> events = store.after(Bytes.of(to.identity.publicKey().bytes()), 0, 1);
        assertEquals(1, events.size());
        return events.getFirst().payload();
    }

    @Test
    void finding4_aReplayedBlobIsShownOnceEvenAcrossInboxRuns() throws Exception {
        start(InstantSource.system());
        LocalIdentity alice = LocalIdentity.ephemeral();
        LocalIdentity bob = LocalIdentity.ephemeral();
        Path state = dir.resolve("state");
        try (Mailbox a = Mailbox.open(plain(), alice, dir.resolve("alice"))) {
            a.send(bob.publicKey(), "pay 100 to carol");
        }
        Bytes blob = stored(bob);
        redeliver(bob, blob); // the same bytes again, as a second event

        Run first = inbox(bob, state);
        assertEquals(1, first.messages().size(), "shown once, not twice: " + first.messages());
        assertEquals("pay 100 to carol", first.messages().getFirst().text());
        assertTrue(first.notices().contains("shown before"), first.notices());

        // after both were acknowledged and forgotten, the server delivers it a third time
        redeliver(bob, blob);
        Run second = inbox(bob, state);
        assertEquals(List.of(), second.messages(), "a later inbox run remembers what it showed");
        assertTrue(second.notices().contains("shown before"), second.notices());
    }

    @Test
    void finding4_aMessageDeliveredDaysLaterShowsTheTimeItsSenderSigned() throws Exception {
        Duration late = Duration.ofDays(3);
        start(InstantSource.offset(InstantSource.system(), late)); // the server dates what it stores 3 days ahead
        LocalIdentity alice = LocalIdentity.ephemeral();
        LocalIdentity bob = LocalIdentity.ephemeral();
        Instant before = Instant.now();
        try (Mailbox a = Mailbox.open(plain(), alice, dir.resolve("alice"))) {
            a.send(bob.publicKey(), "the door code is 4711");
        }
        Instant after = Instant.now();
        Instant serverTime = Instant.ofEpochMilli(store.after(Bytes.of(bob.identity.publicKey().bytes()), 0, 1).getFirst().timestampMillis());

        Run run = inbox(bob, dir.resolve("state"));
        assertEquals(1, run.messages().size(), run.messages().toString());
        InboxMessage m = run.messages().getFirst();
        assertTrue(!m.sent().isBefore(before) && !m.sent().isAfter(after),
                "shows " + m.sent() + ", not the time the sender signed (between " + before + " and " + after + ")");
        assertEquals(serverTime, m.stored(), "and the server's time apart");
        assertEquals("the door code is 4711", m.text());
    }
}
