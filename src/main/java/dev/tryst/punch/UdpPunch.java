package dev.tryst.punch;

import dev.tryst.wire.PunchWire;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.PathKeys;
import dev.tryst.net.Ticker;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * UDP hole punching between two peers who hold {@link PathKeys} for each other: the path a mesh VPN will use.
 *
 * <p>From the socket whose public mapping STUN told (and the peer learned through the room), each
 * side sends authenticated probes to the peer's mapping every {@value #PROBE_EVERY_MS} ms; a probe
 * that arrives is answered, to the address it really came from, with an ack, and that address is
 * probed too. The first valid ack proves a two-way path. If none has come after
 * {@link Plan#sprayAfter()}, the birthday spray for a symmetric NAT on one side (BASELINES: 256
 * ports per side joined cone ↔ symmetric 4 times in 5, 512 every time): {@link Plan#sprayPorts()}
 * fresh sockets each probe the peer's mapping (for when we are the symmetric side: each gets a new
 * public port, one of which the peer's NAT may have been opened for), and the main socket probes as
 * many random ports at the peer's public IP (for when the peer is: that opens our NAT for the ports
 * its fresh sockets may come from).
 *
 * <p>The probes and acks are {@link PunchWire}'s. A packet with a wrong tag, our own role (a reflection) or, for an ack, an id we never sent to
 * the address it comes from is ignored: a stray, forged or replayed packet cannot make a path. Everything is bounded: {@link Plan#window()}
 * in all, at most {@value #MAX_PROBED} addresses probed back, every socket but the winner's closed.
 */
public final class UdpPunch {
    static final int PROBE_EVERY_MS = 100;
    static final int MAX_PROBED = 64;
    /**
     * After our path is proven, how long we go on answering the peer's probes: its own proof needs
     * our ack, and it may still be on the way.
     */
    static final Duration LINGER = Duration.ofMillis(1500);
    /**
     * Spray rounds, a second apart, each with fresh sockets and fresh random ports: 512 ports miss
     * about 2% of the time (e^-(512^2/65536)); two rounds about 0.03%.
     */
    static final int SPRAY_ROUNDS = 2;
    static final long SPRAY_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * @param peer        the peer's public UDP endpoint (its STUN mapping, from the room)
     * @param privates    the peer's own addresses with its UDP port (they work behind one NAT)
     * @param sprayAfter  how long plain probing goes on before the spray
     * @param sprayPorts  sockets opened, and random ports probed, by the spray (0: no spray)
     * @param window      the whole attempt
     */
    public record Plan(Handshake.Role role, InetSocketAddress peer, List<InetSocketAddress> privates, Duration sprayAfter,
                       int sprayPorts, Duration window) {
        public Plan {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(peer, "peer");
            privates = List.copyOf(privates);
            if (sprayPorts < 0 || sprayPorts > 1024) {
                throw new IllegalArgumentException("sprayPorts must be 0 to 1024");
            }
        }
    }

    /** A proven UDP path: our socket (kept open, the caller's now) and the peer's address as it arrives. */
    public record Path(DatagramSocket socket, InetSocketAddress peer, Duration took, boolean sprayed) {}

    private final Plan plan;
    private final byte[] key;
    private final SecureRandom random;
    private final Ticker ticker;
    private final int myRole;
    /** Where each probe went: an ack counts only from the address its probe was sent to. */
    private final Map<Long, InetSocketAddress> sentTo = new ConcurrentHashMap<>();
    private final Set<DatagramSocket> answeredBack = ConcurrentHashMap.newKeySet();
    /** Probe ids answered already (bounded by what the peer, who alone holds the key, sends in one window). */
    private final Set<Long> seenProbes = ConcurrentHashMap.newKeySet();
    /** One keyed HMAC per thread: the run thread and every receiver tag packets at once. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);
    private final Set<InetSocketAddress> probedBack = ConcurrentHashMap.newKeySet();
    private final List<DatagramSocket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicReference<Path> found = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean sprayed;
    private volatile boolean stop;
    private long start;

    private UdpPunch(Plan plan, byte[] key, SecureRandom random, Ticker ticker) {
        this.plan = plan;
        this.key = key;
        this.random = random;
        this.ticker = ticker;
        this.myRole = plan.role() == Handshake.Role.INITIATOR ? PunchWire.ROLE_INITIATOR : PunchWire.ROLE_RESPONDER;
    }

    /**
     * Punches from {@code main} (bound, its mapping told to the peer) towards the peer. Returns the
     * proven path, or null if none formed within the window; every socket is closed unless it is
     * the path's socket.
     */
    public static Path punch(DatagramSocket main, Plan plan, PathKeys keys, SecureRandom random) {
        return punch(main, plan, keys, random, Ticker.SYSTEM);
    }

    /** As {@link #punch(DatagramSocket, Plan, PathKeys, SecureRandom)}, with the window measured on {@code ticker}. */
    public static Path punch(DatagramSocket main, Plan plan, PathKeys keys, SecureRandom random, Ticker ticker) {
        return new UdpPunch(plan, keys.punchKey(), random, ticker).run(main);
    }

    private Path run(DatagramSocket main) {
        start = ticker.nanoTime();
        long deadline = start + plan.window().toNanos();
        long sprayAt = start + plan.sprayAfter().toNanos();
        int rounds = 0;
        this.main = main;
        try {
            listen(main);
            while (done.getCount() > 0 && ticker.nanoTime() - deadline < 0) {
                probe(main, plan.peer());
                for (InetSocketAddress a : plan.privates()) {
                    probe(main, a);
                }
                for (InetSocketAddress a : probedBack) {
                    probe(main, a);
                }
                if (rounds < SPRAY_ROUNDS && plan.sprayPorts() > 0 && ticker.nanoTime() - sprayAt >= 0) {
                    spray(main);
                    rounds++;
                    sprayAt += SPRAY_EVERY_NANOS;
                }
                done.await(PROBE_EVERY_MS, TimeUnit.MILLISECONDS);
            }
            if (found.get() != null) {
                Thread.sleep(Math.min(LINGER.toMillis(), Math.max(0, (deadline - ticker.nanoTime()) / 1_000_000) + 1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stop = true;
            Path p = found.get();
            for (DatagramSocket s : sockets) {
                if (p == null || s != p.socket()) {
                    s.close();
                }
            }
            for (Thread t : threads) {
                try {
                    t.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (p != null) {
                try {
                    p.socket().setSoTimeout(0);
                } catch (SocketException ignored) {
                    // closed meanwhile: the caller finds out on first use
                }
            }
        }
        return found.get();
    }

    private void spray(DatagramSocket main) {
        sprayed = true;
        InetSocketAddress peer = plan.peer();
        for (int i = 0; i < plan.sprayPorts() && done.getCount() > 0; i++) {
            try {
                // from a channel, so that QUIC can take over the one that wins
                DatagramSocket s = java.nio.channels.DatagramChannel.open().bind(null).socket();
                listen(s);
                probe(s, peer);
            } catch (IOException e) {
                break; // out of ports or descriptors: spray with what we have
            }
            int port = 1024 + random.nextInt(65536 - 1024);
            InetSocketAddress guess = new InetSocketAddress(peer.getAddress(), port);
            probe(main, guess);
        }
    }

    /** A receiver thread for {@code s}, which is also registered for closing. */
    private volatile DatagramSocket main;
    /** Receiver threads of all punches still running (virtual threads do not show in Thread.getAllStackTraces): for tests. */
    static final java.util.concurrent.atomic.AtomicInteger LIVE_THREADS = new java.util.concurrent.atomic.AtomicInteger();

    private void listen(DatagramSocket s) {
        sockets.add(s);
        Thread t = Thread.ofVirtual().name("udp-punch").unstarted(() -> {
            LIVE_THREADS.incrementAndGet();
            try {
                receive(s);
            } finally {
                LIVE_THREADS.decrementAndGet();
            }
        });
        threads.add(t);
        t.start();
    }

    private void receive(DatagramSocket s) {
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        try {
            s.setSoTimeout(100); // to see stop: the winner's socket is handed over open, not closed under us
        } catch (SocketException e) {
            return;
        }
        while (!s.isClosed() && !stop) {
            try {
                s.receive(p);
            } catch (java.net.SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return; // closed at the end
            }
            PunchWire.Packet packet = PunchWire.decode(macs.get(), p.getData(), p.getLength());
            if (packet == null || packet.role() == myRole) {
                continue; // not ours, forged, or a reflection of our own
            }
            InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
            if (packet.type() == PunchWire.PROBE) {
                if (!seenProbes.add(packet.id())) {
                    continue; // every probe has a fresh id: a repeat is a replay, from wherever it claims to come
                }
                send(s, new PunchWire.Packet(PunchWire.ACK, myRole, packet.id()), from);
                if (s != main) {
                    // a spray socket probed once, maybe before the peer's NAT was open for it: now it is
                    if (answeredBack.add(s)) {
                        probe(s, from);
                    }
                    continue;
                }
                if (from.equals(plan.peer()) || plan.privates().contains(from)) {
                    continue;
                }
                if (probedBack.size() < MAX_PROBED && probedBack.add(from)) {
                    probe(s, from); // a symmetric peer's fresh port: probe it back at once, and every round
                }
            } else if (from.equals(sentTo.get(packet.id()))) { // an ack, from where its probe went
                if (found.compareAndSet(null, new Path(s, from, Duration.ofNanos(ticker.nanoTime() - start), sprayed))) {
                    done.countDown();
                }
            }
        }
    }

    /** Sends a probe with a fresh id to {@code to}, remembering where that id went. */
    private void probe(DatagramSocket s, InetSocketAddress to) {
        long id = random.nextLong();
        sentTo.put(id, to);
        send(s, new PunchWire.Packet(PunchWire.PROBE, myRole, id), to);
    }

    private void send(DatagramSocket s, PunchWire.Packet packet, InetSocketAddress to) {
        byte[] d = PunchWire.encode(macs.get(), packet);
        try {
            s.send(new DatagramPacket(d, d.length, to));
        } catch (IOException e) {
            // unreachable for now, or the socket closed: the next round tries again
        }
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
        }
    }

    /** For tests: the packet bytes of a probe or ack with this key. */
    static byte[] packet(byte[] key, int type, int role, long id) {
        return PunchWire.encode(new UdpPunch(new Plan(Handshake.Role.INITIATOR, new InetSocketAddress(0), List.of(),
                Duration.ZERO, 0, Duration.ZERO), key, new SecureRandom(), Ticker.SYSTEM).newMac(), new PunchWire.Packet(type, role, id));
    }
}
