package dev.tryst.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.client.ControlClient;
import dev.tryst.client.EventClient;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlException;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.ControlWire.Challenge;
import dev.tryst.wire.ControlWire.ChallengeResponse;
import dev.tryst.wire.ControlWire.ClientInfo;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestAccept;
import dev.tryst.wire.ControlWire.ConnectionRequestDenied;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.Event;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.LoginState;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.Ping;
import dev.tryst.wire.ControlWire.Pong;
import dev.tryst.wire.ControlWire.Request;
import dev.tryst.wire.ControlWire.RequestError;
import dev.tryst.wire.ControlWire.Response;
import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import dev.tryst.identity.Sealed;
import dev.tryst.net.FakeTicker;
import dev.tryst.net.Ticker;
import dev.tryst.tls.Pin;
import dev.tryst.tls.ServerIdentity;
import dev.tryst.tls.Tls;
import dev.tryst.net.FakeTicker;
import dev.tryst.net.Ticker;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Set;
import javax.net.ServerSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Identity sessions on a real server and store: Chatr's login rules, Cryptology's ordered events, connection requests. */
@Timeout(120)
class IdentitySessionTest {
    private static final Duration T = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private RendezvousServer server;
    private EventStore store;
    private final List<AutoCloseable> open = new ArrayList<>();

    private void start() throws IOException {
        start(EventLimits.defaults(), Ticker.SYSTEM);
    }

    /** For a test of what is stored, not of liveness: pings and silence far apart, so a loaded machine ends no session. */
    private void startPatient() throws IOException {
        start(RendezvousConfig.defaults().withTimes(Duration.ofSeconds(5), Duration.ofMinutes(2)), EventLimits.defaults(),
                Ticker.SYSTEM, InstantSource.system());
    }

    private static final Duration PATIENT = Duration.ofSeconds(60);

    private void start(EventLimits limits, Ticker ticker) throws IOException {
        start(limits, ticker, InstantSource.system());
    }

    /** A server on {@code ticker} whose store reads {@code clock}. */
    private void start(EventLimits limits, Ticker ticker, InstantSource clock) throws IOException {
        start(RendezvousConfig.defaults().withTimes(Duration.ofMillis(200), Duration.ofSeconds(5)), limits, ticker, clock);
    }

    /** On a clock the test moves; pings and silence far apart, so that moving it a minute ends no session. */
    private FakeTicker startOnAFakeClock() throws IOException {
        FakeTicker clock = new FakeTicker();
        start(RendezvousConfig.defaults().withTimes(Duration.ofMinutes(5), Duration.ofMinutes(20)), EventLimits.defaults(),
                clock, InstantSource.system());
        return clock;
    }

    private void start(RendezvousConfig config, EventLimits limits, Ticker ticker, InstantSource clock) throws IOException {
        store = EventStore.open(dir, limits, clock);
        server = RendezvousServer.start(config.withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                ServerSocketFactory.getDefault(), new RendezvousBackend(RendezvousBackend.PLAIN_NAME, 8080, store), ticker);
    }

    /** Waits until the server has swept twice more: whatever was due on its ticker has been seen. */
    private void sweptTwice() {
        long s = server.sweeps();
        dev.tryst.net.Await.until("two more sweeps", () -> server.sweeps() >= s + 2);
    }

    private void stop() {
        server.close();
        assertEquals(0, server.stats().liveThreads(), "threads left after close()");
        store.close();
        server = null;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (server != null) {
            stop();
        }
    }

    private static Bytes id(Identity i) {
        return Bytes.of(i.publicKey().bytes());
    }

    /** A new identity from {@code source} (null: the default) asks {@code target}; returns once the server has handled it. */
    private Identity asks(Bytes target, InetAddress source) throws IOException {
        Identity x = Identity.generate();
        Raw r = new Raw(source).loggedIn(x);
        r.send(new ConnectionRequest(target, List.of()));
        assertEquals(List.of(), r.sync(), "the requester is told nothing at once");
        return x;
    }

    private ControlClient.Server plain() {
        return new ControlClient.Server(server.address(), null, true);
    }

    private EventClient login(Identity id) throws IOException {
        EventClient c = EventClient.login(plain(), id, InstantSource.system(), T);
        open.add(c);
        return c;
    }

    /** A raw client that records every byte it sends. */
    final class Raw implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final OutputStream out;
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        /** The next request sequence, once {@link #loggedIn}. */
        long seq;
        /** The first answer to {@link #messages} that was not OK, or null. */
        Frame refusal;

        Raw() throws IOException {
            this(null);
        }

        /** From {@code local} (another loopback address is another source to the server), or any if null. */
        Raw(InetAddress local) throws IOException {
            open.add(this);
            if (local != null) {
                socket.bind(new InetSocketAddress(local, 0));
            }
            socket.connect(server.address(), 2000);
            socket.setSoTimeout(5000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        Raw send(Packet p) throws IOException {
            return bytes(ControlWire.encode(p));
        }

        Raw bytes(byte[] b) throws IOException {
            sent.writeBytes(b);
            out.write(b);
            out.flush();
            return this;
        }

        Frame next() throws IOException {
            while (true) {
                Frame f = ControlWire.read(in);
                if (f instanceof Ping p) {
                    out.write(ControlWire.encode(new Pong(p.id()))); // not recorded: not part of the login
                    out.flush();
                } else {
                    return f;
                }
            }
        }

        <F extends Frame> F expect(Class<F> type) throws IOException {
            return assertInstanceOf(type, next());
        }

        String disconnected() throws IOException {
            String reason = expect(Disconnect.class).reason();
            assertNull(ControlWire.read(in), "end of stream after DISCONNECT");
            return reason;
        }

        Raw login(Identity id, String serverName) throws IOException {
            send(Connect.identity(Bytes.of(id.publicKey().bytes())));
            byte[] nonce = expect(Challenge.class).nonce().toByteArray();
            send(new ChallengeResponse(Bytes.of(id.signChallenge(nonce, serverName))));
            return this;
        }

        /** Logged in as {@code id}, CONNECTED and LOGIN_STATE read; the next request sequence is {@link #seq}. */
        Raw loggedIn(Identity id) throws IOException {
            login(id, RendezvousBackend.PLAIN_NAME);
            expect(Connected.class);
            seq = expect(LoginState.class).lastSequence() + 1;
            return this;
        }

        /** One SEND_MESSAGE of {@code size} bytes to {@code to}; its answer (RESPONSE or ERROR). */
        Frame message(Bytes to, int size) throws IOException {
            send(messageTo(to, size, seq++));
            return next();
        }

        /**
         * Up to {@code n} SEND_MESSAGEs of {@code size} bytes, to {@code to} in turn, pipelined a
         * window at a time; the number answered OK before the first other answer (which is kept in
         * {@link #refusal}).
         */
        int messages(List<Bytes> to, int n, int size) throws IOException {
            int ok = 0;
            for (int sent = 0; sent < n && refusal == null; ) {
                int window = Math.min(32, n - sent);
                for (int i = 0; i < window; i++) {
                    send(messageTo(to.get((sent + i) % to.size()), size, seq++));
                }
                sent += window;
                for (int i = 0; i < window && refusal == null; i++) {
                    Frame f = next();
                    if (f instanceof Response r && r.status() == ControlWire.STATUS_OK) {
                        ok++;
                    } else {
                        refusal = f;
                    }
                }
            }
            return ok;
        }

        private Request messageTo(Bytes to, int size, long sequence) {
            byte[] body = new byte[ControlWire.ID_LENGTH + size];
            System.arraycopy(to.toByteArray(), 0, body, 0, ControlWire.ID_LENGTH);
            return new Request(sequence, sequence, ControlWire.METHOD_SEND_MESSAGE, Bytes.of(body));
        }

        /**
         * A request round trip: the server handles a session's packets in order, so everything it
         * sent because of the packets before the request comes before the answer. Returns those
         * frames (pings aside); a DISCONNECT ends the list.
         */
        List<Frame> sync() throws IOException {
            byte[] body = java.util.Arrays.copyOf(Identity.generate().publicKey().bytes(), 40);
            long mine = seq++;
            send(new Request(mine, mine, ControlWire.METHOD_SEND_MESSAGE, Bytes.of(body)));
            List<Frame> before = new ArrayList<>();
            for (Frame f = next(); !(f instanceof Response r && r.requestId() == mine); f = next()) {
                before.add(f);
                if (f instanceof Disconnect) {
                    break;
                }
            }
            return before;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static InetAddress loopback(int last) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    }

    private static Bytes key(Identity id) {
        return Bytes.of(id.publicKey().bytes());
    }

    private static String text(Response r) {
        return new String(r.body().toByteArray(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- login (Chatr, Cryptology)

    @Test
    void loginAnswersAChallengeAndReportsTheState() throws IOException {
        start();
        Identity alice = Identity.generate();
        Raw r = new Raw().login(alice, RendezvousBackend.PLAIN_NAME);
        r.expect(Connected.class);
        assertEquals(new LoginState(0, 0, store.storeId()), r.expect(LoginState.class));
    }

    @Test
    void aBadSignatureFailsToVerify() throws IOException {
        start();
        Identity alice = Identity.generate();
        Raw r = new Raw();
        r.send(Connect.identity(Bytes.of(alice.publicKey().bytes())));
        r.expect(Challenge.class);
        r.send(new ChallengeResponse(Bytes.of(new byte[64])));
        assertEquals(ControlWire.REASON_FAILED_TO_VERIFY, r.disconnected());

        // signed by someone else
        Raw m = new Raw();
        m.send(Connect.identity(Bytes.of(alice.publicKey().bytes())));
        byte[] nonce = m.expect(Challenge.class).nonce().toByteArray();
        m.send(new ChallengeResponse(Bytes.of(Identity.generate().signChallenge(nonce, RendezvousBackend.PLAIN_NAME))));
        assertEquals(ControlWire.REASON_FAILED_TO_VERIFY, m.disconnected());

        // signed for another server: a login relayed from elsewhere does not pass
        Raw o = new Raw().login(alice, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assertEquals(ControlWire.REASON_FAILED_TO_VERIFY, o.disconnected());

        // something else instead of the response
        Raw p = new Raw();
        p.send(Connect.identity(Bytes.of(alice.publicKey().bytes())));
        p.expect(Challenge.class);
        p.send(new ControlWire.RoomCreate(""));
        assertEquals(ControlWire.REASON_INVALID_PACKET, p.disconnected());
    }

    @Test
    void aRecordedLoginReplayedByteForByteFails() throws IOException {
        start();
        Identity alice = Identity.generate();
        Raw first = new Raw().login(alice, RendezvousBackend.PLAIN_NAME);
        first.expect(Connected.class);
        byte[] recorded = first.sent.toByteArray();
        first.close();
        // wait until the server has let the identity go, so only the signature can refuse the replay
        long until = System.nanoTime() + T.toNanos();
        while (server.stats().activeSessions() > 0 && System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
        Raw replay = new Raw();
        replay.bytes(recorded);
        replay.expect(Challenge.class); // a fresh nonce: the recorded signature is over the old one
        assertEquals(ControlWire.REASON_FAILED_TO_VERIFY, replay.disconnected());
    }

    @Test
    void aSecondSessionOfTheSameIdentityIsAlreadyConnected() throws IOException {
        start();
        Identity alice = Identity.generate();
        EventClient first = login(alice);
        var e = assertThrows(ControlClient.ControlClosedException.class, () -> login(alice));
        assertEquals(ControlWire.REASON_ALREADY_CONNECTED, e.reason());
        // the first session is untouched
        first.sendMessage(Identity.generate().publicKey(), "still here".getBytes(StandardCharsets.UTF_8), T);
    }

    @Test
    void identitiesAreRefusedWithoutAStore() throws IOException {
        server = RendezvousServer.start(RendezvousConfig.defaults()
                .withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        store = EventStore.open(dir, EventLimits.defaults(), InstantSource.system()); // only so stop() has one to close
        var e = assertThrows(ControlClient.ControlClosedException.class,
                () -> ControlClient.connect(plain(), Identity.generate(), T));
        assertEquals(RendezvousServer.REASON_NO_IDENTITIES, e.reason());
    }

    // ---------------------------------------------------------------- events (Cryptology)

    @Test
    void aThousandMessagesToAnOfflineIdentitySurviveARestartAndArriveOnceInOrder() throws IOException {
        startPatient();
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        try (EventClient a = EventClient.login(plain(), alice, InstantSource.system(), PATIENT)) {
            for (int i = 1; i <= 1000; i++) {
                a.sendMessage(bob.publicKey(), ("message " + i).getBytes(StandardCharsets.UTF_8), PATIENT);
            }
        }
        try (EventClient b = EventClient.login(plain(), bob, InstantSource.system(), PATIENT)) {
            assertEquals(1000, b.lastOrderAtLogin());
            b.resume(0);
            for (int i = 1; i <= 400; i++) {
                Event e = b.nextEvent(PATIENT);
                assertEquals(i, e.order());
                assertEquals("message " + i, open(bob, e, alice));
            }
            b.ack(400);
            // the ack reaches the server before we hang up: one more request round trip behind it
            b.sendMessage(alice.publicKey(), "sync".getBytes(StandardCharsets.UTF_8), PATIENT);
        }
        // the EVENT_ACK itself made the server forget 1..400 (the next RESUME would too: checked before it)
        assertEquals(401, store.after(Bytes.of(bob.publicKey().bytes()), 0, 1).getFirst().order());
        Bytes storeBefore = store.storeId();
        stop(); // the server and its store go away; only the database file remains
        startPatient();
        assertEquals(storeBefore, store.storeId(), "the same store after a restart");
        try (EventClient b = EventClient.login(plain(), bob, InstantSource.system(), PATIENT)) {
            assertEquals(1000, b.lastOrderAtLogin());
            assertEquals(storeBefore, b.control().loginState().storeId());
            assertEquals(1, b.control().loginState().lastSequence(), "bob's one request is remembered");
            b.resume(400);
            for (int i = 401; i <= 1000; i++) {
                Event e = b.nextEvent(PATIENT);
                assertEquals(i, e.order());
                assertEquals("message " + i, open(bob, e, alice));
            }
            assertThrows(SocketTimeoutException.class, () -> b.nextEvent(Duration.ofMillis(300)), "nothing after 1000");
            b.ack(1000);
        }
        assertEquals(List.of(), store.after(Bytes.of(bob.publicKey().bytes()), 0, 10).stream()
                .filter(e -> e.order() <= 400).toList(), "acknowledged events are forgotten");
    }

    private static String open(Identity me, Event e, Identity from) {
        try {
            Sealed.Opened o = Sealed.open(me, e.data().toByteArray());
            assertEquals(from.publicKey(), o.sender());
            return new String(o.body(), StandardCharsets.UTF_8);
        } catch (Exception x) {
            throw new AssertionError(x);
        }
    }

    @Test
    void liveEventsArePushedToAResumedSession() throws IOException {
        start();
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        EventClient b = login(bob);
        b.resume(0);
        EventClient a = login(alice);
        a.sendMessage(bob.publicKey(), "one".getBytes(StandardCharsets.UTF_8), T);
        a.sendMessage(bob.publicKey(), "two".getBytes(StandardCharsets.UTF_8), T);
        assertEquals("one", open(bob, b.nextEvent(T), alice));
        Event second = b.nextEvent(T);
        assertEquals(2, second.order());
        assertEquals("two", open(bob, second, alice));
        assertTrue(Math.abs(second.timestamp() - System.currentTimeMillis()) < 60_000, "timestamp is the store's clock");
    }

    @Test
    void replayedAndSkippedSequencesAreRefusedAndDisconnect() throws IOException {
        start();
        Identity alice = Identity.generate();
        byte[] raw = java.util.Arrays.copyOf(Identity.generate().publicKey().bytes(), 40); // recipient + 8 bytes
        Bytes body = Bytes.of(raw);
        Raw r = new Raw().login(alice, RendezvousBackend.PLAIN_NAME);
        r.expect(Connected.class);
        r.expect(LoginState.class);
        r.send(new Request(1, 11, ControlWire.METHOD_SEND_MESSAGE, body));
        assertEquals(11, r.expect(Response.class).requestId());
        r.send(new Request(1, 12, ControlWire.METHOD_SEND_MESSAGE, body));
        RequestError e = r.expect(RequestError.class);
        assertEquals(12, e.requestId());
        assertEquals(ControlWire.ERROR_REPLAYED_SEQUENCE, e.code());
        assertEquals(e.text(), r.disconnected());

        Raw s = new Raw().login(alice, RendezvousBackend.PLAIN_NAME);
        s.expect(Connected.class);
        assertEquals(1, s.expect(LoginState.class).lastSequence(), "the accepted sequence persisted");
        s.send(new Request(3, 13, ControlWire.METHOD_SEND_MESSAGE, body));
        RequestError skipped = s.expect(RequestError.class);
        assertEquals(ControlWire.ERROR_SKIPPED_SEQUENCE, skipped.code());
        assertEquals(skipped.text(), s.disconnected());

        Raw u = new Raw().login(alice, RendezvousBackend.PLAIN_NAME);
        u.expect(Connected.class);
        u.expect(LoginState.class);
        u.send(new Request(2, 14, 99, body));
        assertEquals(ControlWire.ERROR_UNKNOWN_METHOD, u.expect(RequestError.class).code());
        u.disconnected();

        // a recipient that is not an Ed25519 point: no inbox is made up for it
        Raw v = new Raw().login(alice, RendezvousBackend.PLAIN_NAME);
        v.expect(Connected.class);
        v.expect(LoginState.class);
        v.send(new Request(3, 15, ControlWire.METHOD_SEND_MESSAGE, Bytes.of(new byte[40])));
        RequestError bad = v.expect(RequestError.class);
        assertEquals(ControlWire.ERROR_BAD_REQUEST, bad.code());
        assertEquals(bad.text(), v.disconnected());
    }

    @Test
    void anonymousSessionsCannotUseIdentityPackets() throws IOException {
        start();
        for (Packet p : List.of(new Request(1, 1, 1, Bytes.of()), new ControlWire.Resume(0),
                new ConnectionRequest(Bytes.of(new byte[32]), List.of()))) {
            Raw r = new Raw();
            r.send(Connect.anonymous());
            r.expect(Connected.class);
            r.send(p);
            assertEquals(ControlWire.REASON_INVALID_PACKET, r.disconnected(), p.toString());
        }
    }

    // ---------------------------------------------------------------- what senders can make the server keep

    /**
     * Finding 7: a new key costs nothing, so the sending budget is also kept per source address
     * (IPv4 address, IPv6 /64). A fresh identity that spent its address's burst leaves nothing to
     * the next fresh identity from there; the refusal comes before the request's sequence is stored
     * (no synced write for it); another address is untouched, and the budget refills with time.
     */
    @Test
    void finding7_freshIdentitiesFromOneAddressShareItsSendingBudget() throws IOException {
        FakeTicker ticker = new FakeTicker();
        start(EventLimits.defaults(), ticker);
        List<Bytes> madeUp = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            madeUp.add(key(Identity.generate()));
        }
        Raw first = new Raw(loopback(1)).loggedIn(Identity.generate());
        assertEquals(SendBudget.BURST, first.messages(madeUp, SendBudget.BURST + 1, 200), "the first fresh identity spends the burst");
        assertEquals(ControlWire.ERROR_NOT_AVAILABLE, assertInstanceOf(RequestError.class, first.refusal).code());

        Identity second = Identity.generate();
        Raw r = new Raw(loopback(1)).loggedIn(second);
        RequestError e = assertInstanceOf(RequestError.class, r.message(madeUp.getFirst(), 200),
                "a second fresh identity from the same address has no budget of its own");
        assertEquals(ControlWire.ERROR_NOT_AVAILABLE, e.code());
        assertEquals("Too many messages from this address; try again later", e.text());
        assertEquals(e.text(), r.disconnected());
        assertEquals(0, store.lastSequence(key(second)), "refused before its sequence was stored: no disk write for it");

        // what a client's user is told
        EventClient third = login(Identity.generate());
        var refused = assertThrows(EventClient.RefusedException.class,
                () -> third.sendMessage(Identity.generate().publicKey(), "hi".getBytes(StandardCharsets.UTF_8), T));
        assertEquals("the server refused the message: Too many messages from this address; try again later", refused.getMessage());

        // another address has its own budget
        assertEquals(1, new Raw(loopback(2)).loggedIn(Identity.generate()).messages(madeUp, 1, 200));
        // and the address earns its budget back with time
        ticker.advance(Duration.ofHours(1));
        assertEquals(1, new Raw(loopback(1)).loggedIn(Identity.generate()).messages(madeUp, 1, 200));
        int stored = 0;
        for (Bytes to : madeUp) {
            stored += store.after(to, 0, 10_000).size();
        }
        assertEquals(SendBudget.BURST + 2, stored);
    }

    /**
     * Finding 7: what the store keeps from one address, and at all, is bounded in bytes (each
     * message counted with {@link EventLimits#EVENT_OVERHEAD}). Past a bound the message is answered
     * RESPONSE refused with the reason, nothing is stored, and the session goes on; other senders,
     * logins and delivery are not held up, and what is read makes room again.
     */
    @Test
    void finding7_theStoreIsBoundedPerAddressAndInAllAndSaysSo() throws IOException {
        int size = 1000;
        long cost = size + EventLimits.EVENT_OVERHEAD;
        start(EventLimits.defaults().withMaxPayload(size).withQuotas(4 * cost, 6 * cost), Ticker.SYSTEM);
        List<Bytes> madeUp = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            madeUp.add(key(Identity.generate()));
        }
        Raw mallory = new Raw(loopback(1)).loggedIn(Identity.generate());
        assertEquals(4, mallory.messages(madeUp, 8, size), "one address fills its quota of the store");
        Response perAddress = assertInstanceOf(Response.class, mallory.refusal);
        assertEquals(ControlWire.STATUS_REFUSED, perAddress.status());
        assertEquals("the server holds as many messages from this address as it keeps from one address (" + 4 * cost
                + " bytes, each message counted with " + EventLimits.EVENT_OVERHEAD + " more); more fit as they are read or expire",
                text(perAddress));

        Identity bob = Identity.generate();
        Raw other = new Raw(loopback(2)).loggedIn(Identity.generate());
        assertEquals(2, other.messages(List.of(key(bob)), 3, size), "another address fills the rest");
        Response full = assertInstanceOf(Response.class, other.refusal);
        assertEquals("the server's message store is full (" + 6 * cost + " bytes); more fit as messages are read or expire", text(full));
        assertEquals(0, store.lastOrder(madeUp.get(4)), "nothing stored for a refused message");

        // logins go on, and a client's user is told why (from Mallory's address: its quota is the first bound)
        EventClient alice = login(Identity.generate());
        var refused = assertThrows(EventClient.RefusedException.class,
                () -> alice.sendMessage(bob.publicKey(), "hi".getBytes(StandardCharsets.UTF_8), T));
        assertEquals("the server refused the message: " + text(perAddress), refused.getMessage());
        // Bob reads his: room again
        try (EventClient b = EventClient.login(plain(), bob, InstantSource.system(), T)) {
            b.resume(0);
            assertEquals(1, b.nextEvent(T).order());
            assertEquals(2, b.nextEvent(T).order());
            b.ack(2);
        }
        long until = System.nanoTime() + T.toNanos();
        while (!store.after(key(bob), 0, 1).isEmpty() && System.nanoTime() - until < 0) { // the ack's way to the store
            Thread.onSpinWait();
        }
        Response again = assertInstanceOf(Response.class, other.message(key(bob), size), "the session refused before goes on");
        assertEquals(ControlWire.STATUS_OK, again.status(), text(again));
    }

    /**
     * Finding 7: the counters of identities with nothing stored and long idle are forgotten by the
     * server's sweeper (a made-up recipient once its messages expired, a reader who read all), and
     * an identity forgotten resumes safely from its old inbox mark: what comes after is ordered
     * above it, so nothing is acknowledged unseen, and LOGIN_STATE never goes back.
     */
    @Test
    void finding7_theSweeperForgetsIdleIdentitiesAndAnOldMarkStaysSafe() throws Exception {
        FakeTicker ticker = new FakeTicker();
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        start(EventLimits.defaults(), ticker, () -> Instant.ofEpochMilli(now.get()));
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Identity madeUp = Identity.generate();
        try (EventClient a = EventClient.login(plain(), alice, InstantSource.system(), T)) {
            a.sendMessage(madeUp.publicKey(), "to nobody".getBytes(StandardCharsets.UTF_8), T);
            for (int i = 1; i <= 3; i++) {
                a.sendMessage(bob.publicKey(), ("message " + i).getBytes(StandardCharsets.UTF_8), T);
            }
        }
        try (EventClient b = EventClient.login(plain(), bob, InstantSource.system(), T)) {
            b.resume(0);
            for (int i = 1; i <= 3; i++) {
                assertEquals("message " + i, open(bob, b.nextEvent(T), alice));
            }
            b.ack(3); // Bob's inbox mark is 3
        }
        long until = System.nanoTime() + T.toNanos();
        while ((!store.after(key(bob), 0, 1).isEmpty() || server.stats().activeSessions() > 0) && System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
        assertEquals(3, rows(), "the counters of Alice, Bob and the made-up recipient");

        now.addAndGet(Duration.ofDays(31).toMillis()); // the store's clock: a month later
        long swept = server.sweeps();
        ticker.advance(Duration.ofMinutes(2)); // the sweeper's next round of expiry is due
        until = System.nanoTime() + T.toNanos();
        while (server.sweeps() < swept + 2 && System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
        assertEquals(0, rows(), "idle with nothing stored: forgotten");

        try (EventClient a = EventClient.login(plain(), alice, InstantSource.system(), T)) {
            assertTrue(a.control().loginState().lastSequence() >= 4, "Alice's sequence does not go back");
            a.sendMessage(bob.publicKey(), "message 4".getBytes(StandardCharsets.UTF_8), T);
        }
        try (EventClient b = EventClient.login(plain(), bob, InstantSource.system(), T)) {
            assertTrue(b.lastOrderAtLogin() > 3, "LOGIN_STATE: above the old mark");
            b.resume(3); // from the mark Bob kept
            Event e = b.nextEvent(T);
            assertTrue(e.order() > 3, "ordered after the mark: " + e.order());
            assertEquals("message 4", open(bob, e, alice));
        }
    }

    /** Rows in the store's {@code identities} table, read from the database file. */
    private long rows() throws Exception {
        try (var c = org.sqlite.JDBC.createConnection("jdbc:sqlite:" + dir.resolve(EventStore.FILE_NAME), new java.util.Properties());
             var s = c.createStatement();
             var r = s.executeQuery("SELECT COUNT(*) FROM identities")) {
            return r.next() ? r.getLong(1) : -1;
        }
    }

    /**
     * Finding 9: a recipient's box is shared by what the server sees of its senders. One identity,
     * and all identities from one address together, may fill one share of it ({@code maxEvents}:
     * 8 here); a box holds four shares, so four addresses fill it, and what is read makes room again.
     */
    @Test
    void finding9_oneSenderOrOneAddressCannotTakeTheRoomOfOthersInAnInbox() throws IOException {
        int share = 8;
        start(EventLimits.defaults().withMaxEvents(share), Ticker.SYSTEM);
        Identity bob = Identity.generate();
        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        EventClient mallory = login(Identity.generate());
        int stored = 0;
        EventClient.RefusedException mallorysRefusal = null;
        while (mallorysRefusal == null && stored <= 4 * share) {
            try {
                mallory.sendMessage(bob.publicKey(), hello, T);
                stored++;
            } catch (EventClient.RefusedException x) {
                mallorysRefusal = x;
            }
        }
        assertEquals(share, stored, "one identity fills its share");
        EventClient sybil = login(Identity.generate());
        var sybilsRefusal = assertThrows(EventClient.RefusedException.class, () -> sybil.sendMessage(bob.publicKey(), hello, T),
                "another identity from Mallory's address finds no room either");

        // senders from elsewhere still have theirs
        for (int a = 2; a <= 4; a++) {
            Raw other = new Raw(loopback(a)).loggedIn(Identity.generate());
            assertEquals(share, other.messages(List.of(key(bob)), share + 1, 200), "127.0.0." + a + " has its share");
            Response r = assertInstanceOf(Response.class, other.refusal);
            assertEquals(ControlWire.STATUS_REFUSED, r.status());
        }
        // four shares: the box is full for everyone
        Response full = assertInstanceOf(Response.class, new Raw(loopback(5)).loggedIn(Identity.generate()).message(key(bob), 200));
        assertEquals(ControlWire.STATUS_REFUSED, full.status());
        assertTrue(text(full).startsWith("the recipient's inbox is full"), text(full));
        // each was told why
        assertTrue(mallorysRefusal.getMessage().startsWith("the server refused the message: the recipient's inbox holds "
                + share + " messages from this identity"), mallorysRefusal.getMessage());
        assertTrue(sybilsRefusal.getMessage().startsWith("the server refused the message: the recipient's inbox holds "
                + share + " messages from this address"), sybilsRefusal.getMessage());

        // Bob reads them all: Mallory has room again
        try (EventClient b = EventClient.login(plain(), bob, InstantSource.system(), T)) {
            assertEquals(4 * share, b.lastOrderAtLogin());
            b.resume(0);
            for (int i = 1; i <= 4 * share; i++) {
                assertEquals(i, b.nextEvent(T).order());
            }
            b.ack(4 * share);
            b.sendMessage(bob.publicKey(), "sync".getBytes(StandardCharsets.UTF_8), T); // the ack is in before this returns
        }
        mallory.sendMessage(bob.publicKey(), hello, T);
    }

    // ---------------------------------------------------------------- connection requests (Chatr)

    @Test
    void connectionRequestAcceptedGivesBothSidesTheOthersContactAndOneRelayKey() throws IOException {
        start();
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Address aliceLan = new Address(Bytes.fromHex("c0a80105"), 40001);
        Address bobLan = new Address(Bytes.fromHex("0a000009"), 40002);
        EventClient a = login(alice);
        EventClient b = login(bob);
        Bytes aliceId = Bytes.of(alice.publicKey().bytes());
        Bytes bobId = Bytes.of(bob.publicKey().bytes());

        a.control().send(new ConnectionRequest(bobId, List.of(aliceLan)));
        assertEquals(new ConnectionRequest(aliceId, List.of()), b.control().next(T));
        b.control().send(new ConnectionRequestAccept(aliceId, List.of(bobLan)));
        ClientInfo toAlice = assertInstanceOf(ClientInfo.class, a.control().next(T));
        ClientInfo toBob = assertInstanceOf(ClientInfo.class, b.control().next(T));
        assertEquals(bobId, toAlice.peer());
        assertEquals(List.of(bobLan), toAlice.privateAddresses());
        assertEquals(Address.of(b.control().localAddress()), toAlice.publicAddress(), "bob's address as the server saw it");
        assertEquals(aliceId, toBob.peer());
        assertEquals(List.of(aliceLan), toBob.privateAddresses());
        assertEquals(Address.of(a.control().localAddress()), toBob.publicAddress());
        assertEquals(toAlice.relayPairingKey(), toBob.relayPairingKey());
        assertEquals(8080, toAlice.relayPort(), "the relay port comes with the key");

        // a second request gets a fresh key
        a.control().send(new ConnectionRequest(bobId, List.of()));
        b.control().next(T);
        b.control().send(new ConnectionRequestAccept(aliceId, List.of()));
        assertNotEquals(toAlice.relayPairingKey(), assertInstanceOf(ClientInfo.class, a.control().next(T)).relayPairingKey());
        assertInstanceOf(ClientInfo.class, b.control().next(T));

        // accepting a request nobody made is answered, not forwarded
        b.control().send(new ConnectionRequestAccept(aliceId, List.of()));
        assertEquals(new ConnectionRequestDenied(aliceId, RendezvousServer.DENIED_NOT_AVAILABLE), b.control().next(T));
    }

    /**
     * Dialing sessions (each `tryst connect`, one per ssh connection) beside the identity's own
     * session (its `tryst listen`): each asks on its own, gets its own CLIENT_INFO with its own key,
     * is never asked itself, and has no events nor requests.
     */
    @Test
    void dialersAskBesideTheIdentitySessionEachOnItsOwn() throws IOException {
        start();
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Bytes aliceId = id(alice);
        Bytes bobId = id(bob);
        EventClient aliceListens = login(alice);
        EventClient b = login(bob);
        ControlClient d1 = dialer(alice);
        ControlClient d2 = dialer(alice);
        d1.send(new ConnectionRequest(bobId, List.of()));
        d2.send(new ConnectionRequest(bobId, List.of()));
        assertEquals(new ConnectionRequest(aliceId, List.of()), b.control().next(T));
        assertEquals(new ConnectionRequest(aliceId, List.of()), b.control().next(T), "each dialer's request is shown");
        b.control().send(new ConnectionRequestAccept(aliceId, List.of()));
        b.control().send(new ConnectionRequestAccept(aliceId, List.of()));
        ClientInfo one = assertInstanceOf(ClientInfo.class, d1.next(T));
        ClientInfo two = assertInstanceOf(ClientInfo.class, d2.next(T));
        assertEquals(bobId, one.peer());
        assertNotEquals(one.relayPairingKey(), two.relayPairingKey());
        assertEquals(Address.of(d1.localAddress()), assertInstanceOf(ClientInfo.class, b.control().next(T)).publicAddress(),
                "the first accept answers the first dialer");
        assertEquals(Address.of(d2.localAddress()), assertInstanceOf(ClientInfo.class, b.control().next(T)).publicAddress());

        // requests to alice still go to her identity session, never to a dialer
        b.control().send(new ConnectionRequest(aliceId, List.of()));
        assertEquals(new ConnectionRequest(bobId, List.of()), aliceListens.control().next(T));
        assertThrows(SocketTimeoutException.class, () -> d1.next(Duration.ofMillis(300)));

        // a dialer neither resumes events nor sends messages: the sequence is the identity session's
        ControlClient d3 = dialer(alice);
        d3.send(new ControlWire.Resume(0));
        var closed = assertThrows(ControlClient.ControlClosedException.class, () -> d3.next(T));
        assertEquals(ControlWire.REASON_INVALID_PACKET, closed.reason());
    }

    @Test
    void dialersPerIdentityAreBounded() throws IOException {
        start();
        Identity alice = Identity.generate();
        for (int i = 0; i < PresenceHandler.MAX_DIALERS; i++) {
            dialer(alice);
        }
        var refused = assertThrows(ControlClient.ControlClosedException.class, () -> dialer(alice));
        assertEquals(RendezvousServer.REASON_TOO_MANY_DIALERS, refused.reason());
        assertInstanceOf(LoginState.class, login(alice).control().loginState(), "the identity session is not one of them");
    }

    private ControlClient dialer(Identity id) throws IOException {
        ControlClient c = ControlClient.connectDialer(plain(), id, T);
        open.add(c);
        return c;
    }

    /**
     * A requester the target has not accepted learns nothing of whether it is online: an offline
     * target, and an online one that refuses, are both answered "Not available", and only when the
     * request's lifetime is over (an immediate "Not online" told anyone whether a key was online).
     */
    @Test
    void finding11_aRequesterIsNotToldWhetherTheTargetIsOnline() throws IOException {
        FakeTicker clock = startOnAFakeClock();
        Identity alice = Identity.generate();
        Bytes aliceId = id(alice);
        Bytes bobId = id(Identity.generate()); // never logs in
        Identity carol = Identity.generate();
        Bytes carolId = id(carol);
        Identity dave = Identity.generate();
        Raw a = new Raw().loggedIn(alice);
        Raw c = new Raw().loggedIn(carol);
        Raw d = new Raw().loggedIn(dave);
        a.send(new ConnectionRequest(id(dave), List.of()));
        d.expect(ConnectionRequest.class);
        d.send(new ConnectionRequestAccept(aliceId, List.of()));
        d.expect(ClientInfo.class);
        assertEquals(List.of(ClientInfo.class), a.sync().stream().map(Object::getClass).toList(), "an accept, at once");
        a.send(new ConnectionRequest(bobId, List.of()));
        a.send(new ConnectionRequest(carolId, List.of()));
        assertEquals(new ConnectionRequest(aliceId, List.of()), c.expect(ConnectionRequest.class));
        c.send(new ConnectionRequestDenied(aliceId, "I am here, and no"));
        assertEquals(List.of(), c.sync());
        assertEquals(List.of(), a.sync(), "nothing at once, for the offline target or the refusing one");

        clock.advance(Duration.ofNanos(PresenceHandler.REQUEST_LIFETIME_NANOS - 1));
        sweptTwice();
        assertEquals(List.of(), a.sync(), "nothing before the requests' lifetime is over");
        clock.advance(Duration.ofNanos(1));
        assertEquals(Set.of(new ConnectionRequestDenied(bobId, RendezvousServer.DENIED_NOT_AVAILABLE),
                        new ConnectionRequestDenied(carolId, RendezvousServer.DENIED_NOT_AVAILABLE)),
                Set.of(a.next(), a.next()), "the same answer at the same time");
        assertEquals(List.of(), a.sync(), "nothing for the accepted request");
    }

    /** The requester's private addresses reach the target in CLIENT_INFO once it accepts, not with the request. */
    @Test
    void finding11_theTargetIsToldTheRequestersAddressesOnlyOnceItAccepts() throws IOException {
        start();
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Bytes aliceId = id(alice);
        Bytes bobId = id(bob);
        Address aliceLan = new Address(Bytes.fromHex("c0a80105"), 40001);
        EventClient a = login(alice);
        EventClient b = login(bob);
        a.control().send(new ConnectionRequest(bobId, List.of(aliceLan)));
        ConnectionRequest asked = assertInstanceOf(ConnectionRequest.class, b.control().next(T));
        assertEquals(aliceId, asked.peer());
        assertEquals(List.of(), asked.privateAddresses(), "the target has not accepted yet");
        b.control().send(new ConnectionRequestAccept(aliceId, List.of()));
        assertInstanceOf(ClientInfo.class, a.control().next(T));
        assertEquals(List.of(aliceLan), assertInstanceOf(ClientInfo.class, b.control().next(T)).privateAddresses());
    }

    /**
     * Connection requests are rated: one identity may make {@value PresenceHandler#REQUESTS_PER_IDENTITY}
     * a minute, one source address {@value PresenceHandler#REQUESTS_PER_SOURCE}, whoever asks;
     * one more ends the session.
     */
    @Test
    void finding11_connectionRequestsAreRatedPerIdentityAndPerSource() throws IOException {
        FakeTicker clock = startOnAFakeClock();
        Raw a = new Raw().loggedIn(Identity.generate());
        for (int i = 0; i < PresenceHandler.REQUESTS_PER_IDENTITY; i++) {
            a.send(new ConnectionRequest(id(Identity.generate()), List.of()));
        }
        a.sync();
        a.send(new ConnectionRequest(id(Identity.generate()), List.of()));
        assertEquals(RendezvousServer.REASON_TOO_MANY_REQUESTS, a.disconnected());

        InetAddress source = InetAddress.getByName("127.0.0.3");
        Bytes target = id(Identity.generate());
        for (int i = 0; i < PresenceHandler.REQUESTS_PER_SOURCE; i++) {
            asks(target, source);
        }
        Raw over = new Raw(source).loggedIn(Identity.generate());
        over.send(new ConnectionRequest(target, List.of()));
        assertEquals(RendezvousServer.REASON_TOO_MANY_REQUESTS, over.disconnected());

        clock.advance(Duration.ofMinutes(1));
        asks(target, source); // a minute later the source may ask again
        assertEquals(2, server.stats().requestLimitDisconnects());
    }

    /**
     * Free identities from one source address cannot hold all of a target's waiting places: at
     * most {@value PresenceHandler#MAX_PENDING_PER_SOURCE} of them are forwarded, and a requester from
     * elsewhere still reaches the target.
     */
    @Test
    void finding11_oneSourceCannotFillTheRequestsWaitingForATarget() throws IOException {
        startOnAFakeClock();
        Identity bob = Identity.generate();
        Bytes bobId = id(bob);
        Raw b = new Raw().loggedIn(bob);
        List<Bytes> askers = new ArrayList<>();
        for (int i = 0; i < RendezvousServer.MAX_PENDING_REQUESTS; i++) {
            askers.add(id(asks(bobId, null)));
        }
        Identity dave = asks(bobId, InetAddress.getByName("127.0.0.2"));
        List<Bytes> forwarded = new ArrayList<>();
        for (int i = 0; i <= PresenceHandler.MAX_PENDING_PER_SOURCE; i++) {
            forwarded.add(b.expect(ConnectionRequest.class).peer());
        }
        List<Bytes> expected = new ArrayList<>(askers.subList(0, PresenceHandler.MAX_PENDING_PER_SOURCE));
        expected.add(id(dave));
        assertEquals(expected, forwarded, "the first few from one source, then the one from another");
    }

    /**
     * Asking again while a request waits is not forwarded: a requester cannot flood its target.
     * Alice's packets are handled in order, so her ACCEPT of Bob's own request, sent after fifty
     * requests to Bob, reaches Bob after everything those fifty made: one CONNECTION_REQUEST, then
     * the CLIENT_INFO.
     */
    @Test
    void aRepeatedConnectionRequestIsForwardedOnce() throws IOException {
        start();
        Identity alice = Identity.generate();
        Identity bob = Identity.generate();
        Bytes aliceId = id(alice);
        Bytes bobId = id(bob);
        EventClient a = login(alice);
        EventClient b = login(bob);
        b.control().send(new ConnectionRequest(aliceId, List.of()));
        assertEquals(new ConnectionRequest(bobId, List.of()), a.control().next(T));
        for (int i = 0; i < 50; i++) {
            a.control().send(new ConnectionRequest(bobId, List.of()));
        }
        a.control().send(new ConnectionRequestAccept(bobId, List.of()));
        assertEquals(new ConnectionRequest(aliceId, List.of()), b.control().next(T));
        assertInstanceOf(ClientInfo.class, b.control().next(T), "one request forwarded, then the answer to Bob's own");
    }

    /**
     * At most {@value RendezvousServer#MAX_PENDING_REQUESTS} requests wait for one target (from
     * four sources here, each of which may hold only a few); one more is not forwarded, an answer
     * frees a place.
     */
    @Test
    void theRequestsWaitingForOneTargetAreBounded() throws IOException {
        startOnAFakeClock();
        Identity bob = Identity.generate();
        Bytes bobId = id(bob);
        Raw b = new Raw().loggedIn(bob);
        List<Identity> askers = new ArrayList<>();
        for (int i = 0; i < RendezvousServer.MAX_PENDING_REQUESTS; i++) {
            InetAddress source = InetAddress.getByName("127.0.0." + (1 + i / PresenceHandler.MAX_PENDING_PER_SOURCE));
            Identity x = asks(bobId, source);
            askers.add(x);
            assertEquals(new ConnectionRequest(id(x), List.of()), b.expect(ConnectionRequest.class));
        }
        InetAddress elsewhere = InetAddress.getByName("127.0.0.9");
        asks(bobId, elsewhere); // not forwarded, and not told: the target's places are full
        // Bob answers one: its place is free for the next
        b.send(new ConnectionRequestDenied(id(askers.getFirst()), "no"));
        assertEquals(List.of(), b.sync());
        Identity next = asks(bobId, elsewhere);
        assertEquals(new ConnectionRequest(id(next), List.of()), b.expect(ConnectionRequest.class),
                "the late request was not forwarded; the next one is");
    }

    // ---------------------------------------------------------------- over TLS, as tryst server runs it

    @Test
    void loginOverTlsIsBoundToTheCertificate() throws IOException {
        ServerIdentity tls = ServerIdentity.loadOrCreate(dir.resolve("tls"));
        store = EventStore.open(dir, EventLimits.defaults(), InstantSource.system());
        server = RendezvousServer.start(RendezvousConfig.defaults()
                        .withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                Tls.serverSocketFactory(tls), new RendezvousBackend(tls.fingerprint().hex(), 0, store));
        Identity alice = Identity.generate();
        ControlClient.Server pinned = new ControlClient.Server(server.address(), Pin.fingerprint(tls.fingerprint()), false);
        try (EventClient c = EventClient.login(pinned, alice, InstantSource.system(), T)) {
            assertEquals(0, c.lastOrderAtLogin());
            c.sendMessage(alice.publicKey(), "note to self".getBytes(StandardCharsets.UTF_8), T);
            c.resume(0);
            assertEquals("note to self", open(alice, c.nextEvent(T), alice));
        }
    }

    @Test
    void anErrorTextIsShownToTheClient() throws IOException {
        start();
        EventClient a = login(Identity.generate());
        var e = assertThrows(ControlException.class,
                () -> a.call(77, Bytes.of(), T));
        assertTrue(e.getMessage().contains("Unknown method 77"), e.getMessage());
    }
}
