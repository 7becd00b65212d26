package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.client.ControlClient;
import dev.tryst.client.EventClient;
import dev.tryst.control.ControlWire;
import dev.tryst.events.Event;
import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import dev.tryst.net.Bytes;
import dev.tryst.rendezvous.RendezvousBackend;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
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
class InboxReplayTest {
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

    private ControlClient.Server plain() {
        return new ControlClient.Server(server.address(), null, true);
    }

    /** One inbox run, as 'tryst inbox' makes it: its stdout and stderr. */
    private record Run(List<String> lines, String err) {}

    private Run inbox(Identity me, Path mark) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InboxCommand command = new InboxCommand();
        command.wait = T;
        try (EventClient c = EventClient.login(plain(), me, InstantSource.system(), T);
             PrintWriter o = new PrintWriter(out, true);
             PrintWriter e = new PrintWriter(err, true)) {
            command.read(c, me, mark, o, e);
        }
        System.out.println("inbox stdout: " + out + "inbox stderr: " + err);
        return new Run(out.toString().lines().toList(), err.toString());
    }

    /** The server stores {@code payload} for {@code to} once more, as a new event. */
    private void redeliver(Identity to, Bytes payload) throws Exception {
        store.append(Bytes.of(to.publicKey().bytes()), (byte) ControlWire.EVENT_MESSAGE, payload);
    }

    private Bytes stored(Identity to) {
        List<Event> events = store.after(Bytes.of(to.publicKey().bytes()), 0, 1);
        assertEquals(1, events.size());
        return events.getFirst().payload();
    }

    @Test
    void finding4_aReplayedBlobIsShownOnceEvenAcrossInboxRuns() throws Exception {
        start(InstantSource.system());
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Path mark = dir.resolve("state").resolve("inbox").resolve("bob@server");
        try (EventClient a = EventClient.login(plain(), alice, InstantSource.system(), T)) {
            a.sendMessage(bob.publicKey(), "pay 100 to carol".getBytes(StandardCharsets.UTF_8), T);
        }
        Bytes blob = stored(bob);
        redeliver(bob, blob); // the same bytes again, as a second event

        Run first = inbox(bob, mark);
        assertEquals(1, first.lines().size(), "shown once, not twice: " + first.lines());
        assertTrue(first.lines().getFirst().endsWith(": pay 100 to carol"), first.lines().getFirst());
        assertTrue(first.err().contains("shown before"), first.err());

        // after both were acknowledged and forgotten, the server delivers it a third time
        redeliver(bob, blob);
        Run second = inbox(bob, mark);
        assertEquals(List.of(), second.lines(), "a later inbox run remembers what it showed");
        assertTrue(second.err().contains("shown before"), second.err());
    }

    @Test
    void finding4_aMessageDeliveredDaysLaterShowsTheTimeItsSenderSigned() throws Exception {
        Duration late = Duration.ofDays(3);
        start(InstantSource.offset(InstantSource.system(), late)); // the server dates what it stores 3 days ahead
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (EventClient a = EventClient.login(plain(), alice, InstantSource.system(), T)) {
            a.sendMessage(bob.publicKey(), "the door code is 4711".getBytes(StandardCharsets.UTF_8), T);
        }
        Instant after = Instant.now();
        Instant serverTime = Instant.ofEpochMilli(store.after(Bytes.of(bob.publicKey().bytes()), 0, 1).getFirst().timestampMillis())
                .truncatedTo(ChronoUnit.SECONDS);

        Run run = inbox(bob, dir.resolve("mark"));
        assertEquals(1, run.lines().size(), run.lines().toString());
        String line = run.lines().getFirst();
        Instant shown = Instant.parse(line.substring(0, line.indexOf(' ')));
        assertTrue(!shown.isBefore(before) && !shown.isAfter(after),
                "shows " + shown + ", not the time the sender signed (between " + before + " and " + after + ")");
        assertTrue(line.contains("(stored " + serverTime + ")"), "says the server's time differs: " + line);
        assertTrue(line.endsWith(": the door code is 4711"), line);
    }
}
