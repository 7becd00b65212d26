package dev.tryst.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tryst.channel.Handshake;
import dev.tryst.code.Code;
import dev.tryst.rendezvous.RendezvousConfig;
import dev.tryst.rendezvous.RendezvousServer;
import dev.tryst.session.SessionException;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.RoomClosed;
import dev.tryst.wire.ControlWire.RoomContact;
import dev.tryst.wire.ControlWire.RoomDone;
import dev.tryst.wire.ControlWire.RoomJoin;
import dev.tryst.wire.ControlWire.RoomJoined;
import dev.tryst.wire.ControlWire.RoomMessage;
import dev.tryst.wire.ControlWire.RoomRelay;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two peers meeting in a room of a real rendezvous server on loopback, with the real client
 * ({@link Connector}), and a stranger who joins the room without knowing the words (finding 8).
 */
@Timeout(60)
class RoomMeetingTest {
    private static final Duration T = Duration.ofSeconds(20);
    private final SecureRandom random = new SecureRandom();
    private final List<ControlClient> open = new ArrayList<>();
    /** One thread per meeting: the common pool may have a single worker on a small machine. */
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private RendezvousServer server;

    @BeforeEach
    void start() throws IOException {
        server = RendezvousServer.start(RendezvousConfig.defaults()
                .withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withTimes(Duration.ofMillis(200), Duration.ofSeconds(10)));
    }

    @AfterEach
    void stop() {
        open.forEach(ControlClient::close);
        threads.shutdownNow();
        server.close();
    }

    private ControlClient connect() throws IOException {
        ControlClient c = ControlClient.connect(new ControlClient.Server(server.address(), null, true), null, T);
        open.add(c);
        return c;
    }

    private static ConnectConfig config(Handshake.Role role) {
        return ConnectConfig.defaults(role).withWaitForPeer(T);
    }

    /** Meets in the room on another thread; the control session closes when the meeting fails, as in {@code Tryst}. */
    private CompletableFuture<Connector.Met> meet(ControlClient control, Code code, Handshake.Role role) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Connector.meet(control, code, role, config(role), null, random);
            } catch (SessionException e) {
                control.close();
                throw new RuntimeException(e);
            }
        }, threads);
    }

    private static SessionException failure(CompletableFuture<Connector.Met> meeting) throws Exception {
        try {
            Connector.Met met = meeting.get(T.toSeconds(), TimeUnit.SECONDS);
            met.agreed().close();
            return fail("the meeting went on as if the codes matched; the peer's contact: " + met.peer());
        } catch (ExecutionException e) {
            return assertInstanceOf(SessionException.class, e.getCause().getCause(), String.valueOf(e.getCause()));
        }
    }

    /** The code with other words: what someone who knows only the public number would try. */
    private static Code guess(Code code) {
        return new Code(code.nameplate(), code.words().stream().map(w -> w.equals("abacus") ? "abdomen" : "abacus").toList());
    }

    /** A sender's room, and its meeting going on. */
    private record Sending(ControlClient control, Code code, CompletableFuture<Connector.Met> meeting) {}

    private Sending send() throws IOException {
        ControlClient sender = connect();
        Code code = Connector.createRoom(sender, null, 3, Duration.ofMinutes(10), random).code();
        return new Sending(sender, code, meet(sender, code, Handshake.Role.INITIATOR));
    }

    /** A sender's room, a stranger who joined it by its public number, and what it was told up to the sender's HELLO. */
    private record Intrusion(Sending sending, ControlClient stranger, List<Packet> told) {
        Code code() {
            return sending.code();
        }
    }

    private Intrusion strangerInARoom() throws IOException {
        Sending sending = send();
        ControlClient stranger = connect();
        stranger.send(new RoomJoin(sending.code().nameplate()));
        assertInstanceOf(RoomJoined.class, stranger.next(T));
        List<Packet> told = new ArrayList<>();
        Packet p;
        do {
            p = stranger.next(T);
            told.add(p);
        } while (!(p instanceof RoomMessage));
        return new Intrusion(sending, stranger, told);
    }

    /**
     * A stranger who joins the room by its public number and plays a receiver (a HELLO under a
     * guessed code, then a confirmation it cannot get right, then ROOM_DONE to ask for the
     * creator's contact) is told the creator's HELLO and nothing else: no address, public or
     * private. The sender finds the wrong code in the room, as "the codes did not match".
     */
    @Test
    void finding8_aStrangerWhoJoinsIsToldNoAddressOfTheCreator() throws Exception {
        Intrusion in = strangerInARoom();
        ControlClient stranger = in.stranger();
        List<Packet> told = in.told();
        Handshake.Start mine = Handshake.start(Handshake.Role.RESPONDER, guess(in.code()).password(), random);
        byte[] confirmation = new byte[32];
        random.nextBytes(confirmation);
        stranger.send(new RoomMessage(Bytes.of(mine.hello())));
        stranger.send(new RoomMessage(Bytes.of(confirmation)));
        stranger.send(new RoomDone());
        Packet p;
        while (!((p = stranger.next(T)) instanceof RoomClosed)) {
            told.add(p);
            if (p instanceof RoomContact c && c.whose() == ControlWire.CONTACT_PEERS) {
                fail("a stranger who does not know the words was told the creator's contact " + c + "; all it was told: " + told);
            }
        }
        SessionException e = failure(in.sending().meeting());
        assertEquals(SessionException.Kind.WRONG_CODE, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("the codes did not match"), e.getMessage());
        for (Packet q : told) {
            assertTrue(q instanceof RoomRelay || q instanceof RoomMessage
                    || q instanceof RoomContact c && c.whose() == ControlWire.CONTACT_YOURS, "told the stranger: " + q);
        }
    }

    /**
     * A stranger who joins and leaves before the exchange is done leaves the room open: the real
     * receiver joins after it and the two meet, with a relay key the stranger never saw.
     */
    @Test
    void finding8_aStrangerWhoLeavesEarlyDoesNotEndTheRealPairsMeeting() throws Exception {
        Intrusion in = strangerInARoom();
        Sending sending = in.sending();
        Code code = in.code();
        ControlClient stranger = in.stranger();
        RoomRelay strangersKey = assertInstanceOf(RoomRelay.class, in.told().getFirst());
        stranger.send(new Disconnect("Bye"));
        // the server has left the room for it before it answers the goodbye
        var bye = org.junit.jupiter.api.Assertions.assertThrows(ControlClient.ControlClosedException.class, () -> {
            while (true) {
                stranger.next(T);
            }
        });
        assertEquals(RendezvousServer.REASON_BYE, bye.reason());

        ControlClient receiver = connect();
        Connector.joinRoom(receiver, code);
        Connector.Met got = Connector.meet(receiver, code, Handshake.Role.RESPONDER, config(Handshake.Role.RESPONDER), null, random);
        Connector.Met sent = sending.meeting().get(T.toSeconds(), TimeUnit.SECONDS);
        try {
            assertArrayEquals(sent.agreed().punchKey(), got.agreed().punchKey(), "one agreement");
            assertEquals(sent.relay(), got.relay());
            assertNotEquals(strangersKey.pairingKey(), got.relay().pairingKey(), "a fresh relay key for the new joiner");
            assertEquals(Address.of(receiver.localAddress()), sent.peer().publicAddress());
            assertEquals(Address.of(sending.control().localAddress()), got.peer().publicAddress());
        } finally {
            sent.agreed().close();
            got.agreed().close();
        }
    }

    /** Two real clients with different words: both learn it in the room, before any path, and neither learns an address. */
    @Test
    void finding8_aWrongCodeIsFoundInTheRoomBeforeAnyAddressIsTold() throws Exception {
        Sending sending = send();
        Code wrong = guess(sending.code());
        ControlClient receiver = connect();
        Connector.joinRoom(receiver, wrong);
        CompletableFuture<Connector.Met> receiving = meet(receiver, wrong, Handshake.Role.RESPONDER);
        for (CompletableFuture<Connector.Met> side : List.of(sending.meeting(), receiving)) {
            SessionException e = failure(side);
            assertEquals(SessionException.Kind.WRONG_CODE, e.kind(), e.getMessage());
            assertTrue(e.getMessage().startsWith("the codes did not match"), e.getMessage());
        }
        assertEquals(0, server.stats().contactsExchanged(), "no contact went either way");
    }
}
