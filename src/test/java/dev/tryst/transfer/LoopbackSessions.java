package dev.tryst.transfer;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.net.Watchdog;
import dev.tryst.session.Session;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Two ends of one real session over loopback, after a real handshake, each watched with a 20 s idle timeout. */
public record LoopbackSessions(Session initiator, Session responder) implements AutoCloseable {
    private static final byte[] PW = "1-zoom-zoom".getBytes();
    private static final Duration IDLE = Duration.ofSeconds(20);

    /** Connects; {@code pool} runs the responder's half of the handshake. */
    public static LoopbackSessions open(ExecutorService pool) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            Future<SecureChannel> r = pool.submit(() -> Handshake.run(b, Handshake.Role.RESPONDER, PW, new SecureRandom()));
            SecureChannel i = Handshake.run(a, Handshake.Role.INITIATOR, PW, new SecureRandom());
            SecureChannel rc = r.get(10, TimeUnit.SECONDS);
            return new LoopbackSessions(Session.start(i, Watchdog.watch(i, IDLE), IDLE, "test"),
                    Session.start(rc, Watchdog.watch(rc, IDLE), IDLE, "test"));
        }
    }

    @Override
    public void close() throws IOException {
        initiator.close();
        responder.close();
    }
}
