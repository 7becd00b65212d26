package dev.tryst.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.tryst.events.EventLimits;
import dev.tryst.events.EventStore;
import dev.tryst.identity.Identity;
import dev.tryst.net.Await;
import dev.tryst.net.FakeTicker;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Challenge;
import dev.tryst.wire.ControlWire.ChallengeResponse;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.LoginState;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.Ping;
import dev.tryst.wire.ControlWire.Pong;
import dev.tryst.wire.ControlWire.Resume;
import dev.tryst.wire.ControlWire.RoomClosed;
import dev.tryst.wire.ControlWire.RoomCreate;
import dev.tryst.wire.ControlWire.RoomCreated;
import dev.tryst.wire.ControlWire.RoomJoin;
import dev.tryst.wire.ControlWire.RoomJoined;
import dev.tryst.wire.ControlWire.RoomRelay;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import javax.net.ServerSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose queue overflows while a room is being joined: it is dropped as too slow, the room
 * closes, and the joiner is told so and keeps its session.
 */
@Timeout(120)
class RoomOverflowTest {
    @TempDir
    Path dir;

    private EventStore store;
    private RendezvousServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static final class Raw implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final OutputStream out;

        Raw(InetSocketAddress server, int receiveBuffer) throws IOException {
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer); // before connecting: the window stays small
            }
            socket.connect(server, 5000);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        Raw send(Packet p) throws IOException {
            ControlWire.write(out, p);
            out.flush();
            return this;
        }

        Frame next() throws IOException {
            while (true) {
                Frame f = ControlWire.read(in);
                if (f instanceof Ping p) {
                    send(new Pong(p.id()));
                } else {
                    return f;
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * Finding 10: the creator's queue is full (its writer is stuck sending it 60 MB of stored events
     * it does not read, and pings filled the rest), so the ROOM_RELAY sent to it when someone joins
     * drops it as too slow, which closes the room while the join is still telling its members. That
     * used to throw ConcurrentModificationException out of the join, and the joiner was disconnected
     * with "Server closing"; now the joiner hears that the room closed, and keeps its session.
     */
    @Test
    void finding10_aMemberOverflowingDuringAJoinClosesTheRoomAndTheJoinerIsToldSo() throws Exception {
        store = EventStore.open(dir, new EventLimits(64 * 1024, 2_000, 128L << 20, Duration.ofDays(7)), InstantSource.system());
        FakeTicker clock = new FakeTicker();
        server = RendezvousServer.start(RendezvousConfig.defaults()
                        .withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                        .withTimes(Duration.ofSeconds(5), Duration.ofSeconds(60)).withOutgoingQueue(4),
                ServerSocketFactory.getDefault(), new RendezvousBackend(RendezvousBackend.PLAIN_NAME, 8080, store), clock);
        Identity creatorId = Identity.generate();
        Bytes key = Bytes.of(creatorId.publicKey().bytes());
        for (int i = 0; i < 1_000; i++) {
            store.append(key, (byte) ControlWire.EVENT_MESSAGE, Bytes.of(new byte[60_000]));
        }
        try (Raw creator = new Raw(server.address(), 4096); Raw joiner = new Raw(server.address(), 0)) {
            creator.send(Connect.identity(key));
            byte[] nonce = assertInstanceOf(Challenge.class, creator.next()).nonce().toByteArray();
            creator.send(new ChallengeResponse(Bytes.of(creatorId.signChallenge(nonce, RendezvousBackend.PLAIN_NAME))));
            assertInstanceOf(Connected.class, creator.next());
            assertInstanceOf(LoginState.class, creator.next());
            creator.send(new RoomCreate("full"));
            assertEquals("full", ((RoomCreated) creator.next()).nameplate());
            creator.send(new Resume(0)); // 60 MB of events start towards a reader that reads no more
            for (int i = 0; i < 6; i++) { // a ping every 5 s on the server's clock, until the queue of 4 is full
                clock.advance(Duration.ofSeconds(5));
                long s = server.sweeps();
                Await.until("a sweep", () -> server.sweeps() >= s + 2);
            }
            joiner.send(Connect.anonymous());
            assertInstanceOf(Connected.class, joiner.next());
            joiner.send(new RoomJoin("full"));
            assertEquals(new RoomJoined("full"), joiner.next());
            assertInstanceOf(RoomRelay.class, joiner.next());
            assertEquals(new RoomClosed(RendezvousServer.ROOM_REASON_PEER_LEFT), joiner.next());
            joiner.send(new RoomCreate("after"));
            assertEquals("after", ((RoomCreated) joiner.next()).nameplate(), "the joiner keeps its session");
            assertEquals(1, server.stats().slowConsumers());
        }
    }
}
