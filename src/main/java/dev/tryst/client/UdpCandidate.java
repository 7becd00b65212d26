package dev.tryst.client;

import dev.tryst.net.HostPort;
import dev.tryst.path.Candidates;
import dev.tryst.path.PathRace;
import dev.tryst.stun.StunClient;
import dev.tryst.wire.EndpointsWire;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Our side of a direct UDP path, made before the peer is met: a socket (from a channel, so that QUIC
 * can take it over), and its public mapping, which STUN tells. The question goes out at once and
 * again every {@link #REFRESH} while we wait for the peer, so that the mapping is there the moment
 * the code is confirmed (the relay is never held up behind it) and still fresh (NATs forget an idle
 * UDP mapping within a minute or two).
 */
final class UdpCandidate implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(UdpCandidate.class.getName());
    static final Duration REFRESH = Duration.ofSeconds(15);
    static final Duration QUERY = Duration.ofSeconds(1);
    /** How long {@link #endpoints} waits for a first answer still on its way. */
    static final Duration WAIT = Duration.ofMillis(300);

    private final DatagramChannel channel;
    private final InetSocketAddress stun;
    private final SecureRandom random;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch first = new CountDownLatch(1);
    private final Thread asker;
    private volatile InetSocketAddress mapped;
    private volatile String why;

    private UdpCandidate(DatagramChannel channel, InetSocketAddress stun, SecureRandom random) {
        this.channel = channel;
        this.stun = stun;
        this.random = random;
        this.asker = Thread.ofVirtual().name("udp-stun").start(this::ask);
    }

    /** A socket and its first STUN question to {@code stun}; null if no UDP socket can be had. */
    static UdpCandidate start(InetSocketAddress stun, SecureRandom random) {
        try {
            return new UdpCandidate(DatagramChannel.open().bind(null), stun, random);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "no UDP socket: {0}", e.toString());
            return null;
        }
    }

    private void ask() {
        try {
            do {
                try {
                    mapped = StunClient.mappedAddress(channel.socket(), stun, QUERY, random);
                } catch (IOException e) {
                    why = "no STUN answer from " + HostPort.format(stun) + " (" + e.getMessage() + ")";
                } finally {
                    first.countDown();
                }
            } while (!stop.await(REFRESH.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            // closed
        }
    }

    /**
     * Stops asking and says where we are for UDP: our public mapping, then our own addresses with
     * the socket's port ({@link EndpointsWire}); none at all without a mapping.
     */
    byte[] endpoints() {
        try {
            first.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            stop.countDown();
            asker.join(QUERY.toMillis() + 500); // a question in flight ends within its timeout
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<InetSocketAddress> mine = new ArrayList<>();
        InetSocketAddress m = mapped;
        if (m != null && !asker.isAlive()) {
            mine.add(m);
            for (var a : Candidates.local(channel.socket().getLocalPort(), EndpointsWire.MAX_ENDPOINTS - 1)) {
                mine.add(a.toSocketAddress());
            }
        } else {
            LOG.log(System.Logger.Level.DEBUG, "no UDP path offered: {0}", why == null ? "no STUN answer yet" : why);
        }
        return EndpointsWire.encode(mine);
    }

    /** The UDP path to race, given what the peer said ({@link #endpoints} on its side), or null. */
    PathRace.Udp path(byte[] peerEndpoints) {
        if (peerEndpoints == null || mapped == null || asker.isAlive()) {
            return null;
        }
        List<InetSocketAddress> theirs;
        try {
            theirs = EndpointsWire.decode(peerEndpoints);
        } catch (RuntimeException e) {
            return null; // not endpoints: an older peer's or a broken message, no UDP then
        }
        if (theirs.isEmpty()) {
            return null;
        }
        DatagramSocket s = channel.socket();
        return new PathRace.Udp(s, theirs.getFirst(), theirs.subList(1, theirs.size()));
    }

    @Override
    public void close() {
        stop.countDown();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
