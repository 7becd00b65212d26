package dev.tryst.stun;

import dev.tryst.wire.StunWire;
import dev.tryst.wire.StunFormatException;
import dev.tryst.wire.StunWire.Attribute;
import dev.tryst.wire.StunWire.Message;
import dev.tryst.net.Ticker;
import dev.tryst.server.ServiceCore;
import dev.tryst.server.SourceRateLimiter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A STUN Binding responder over UDP (RFC 8489, with RFC 5780's CHANGE-REQUEST, RESPONSE-ORIGIN
 * and OTHER-ADDRESS when an alternate address is configured). See {@link StunWire}.
 *
 * <h2>What it answers</h2>
 * Only well-formed Binding requests (with a correct FINGERPRINT if they carry one); everything
 * else (responses, indications, other methods, garbage) is dropped silently and counted.
 * <ul>
 *   <li>Success: XOR-MAPPED-ADDRESS of the source, or MAPPED-ADDRESS instead when the request has
 *       no magic cookie (an RFC 3489 client, which would reject the unknown comprehension-required
 *       XOR-MAPPED-ADDRESS; RFC 8489 section 12 says "instead"). With an alternate address also
 *       RESPONSE-ORIGIN and OTHER-ADDRESS (SOURCE-ADDRESS and CHANGED-ADDRESS for RFC 3489
 *       clients). Then SOFTWARE and FINGERPRINT.</li>
 *   <li>420 with UNKNOWN-ATTRIBUTES when the request carries comprehension-required attributes
 *       the server does not understand. CHANGE-REQUEST is understood only with an alternate
 *       address (RFC 5780: a server without one does not support it).</li>
 *   <li>400 for a CHANGE-REQUEST whose value is not 4 bytes.</li>
 * </ul>
 *
 * <h2>Abuse</h2>
 * No amplification: a response is never larger than the datagram that asked for it (plus
 * {@link StunConfig#responseSlack()}, 0 by default). If it would be, SOFTWARE is left out; if it
 * still would be, nothing is sent. Requests are rate limited per source IPv4 address / IPv6 /64
 * with a token bucket ({@link SourceRateLimiter}).
 *
 * <h2>Threads</h2>
 * Threads and closing are the {@link ServiceCore} skeleton's; rates are measured on its
 * {@link Ticker}. One virtual thread ({@code stun-io}) owns a selector over the non-blocking channel(s) (one, or
 * four with an alternate: A1:P1, A1:P2, A2:P1, A2:P2), the rate limiter and the receive buffer;
 * it answers from the socket the CHANGE-REQUEST flags pick.
 */
public final class StunServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StunServer.class.getName());

    /** Receive buffer size; a datagram that fills it is treated as oversize and dropped. */
    private static final int RECEIVE_SIZE = 2049;
    /** Datagrams drained from one socket before looking at the others. */
    private static final int BATCH = 256;

    private final StunConfig config;
    /** Index = ipIndex * 2 + portIndex; length 1 without an alternate, 4 with one. */
    private final DatagramChannel[] channels;
    private final InetSocketAddress[] locals;
    private final Selector selector;
    private final byte[] software;
    private final SourceRateLimiter limiter;
    private final ServiceCore core;

    private final LongAdder datagrams = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder responses = new LongAdder();
    private final LongAdder errorResponses = new LongAdder();
    private final LongAdder droppedMalformed = new LongAdder();
    private final LongAdder droppedRateLimited = new LongAdder();
    private final LongAdder droppedAmplification = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final AtomicLong sources = new AtomicLong();

    private StunServer(StunConfig config, DatagramChannel[] channels, Selector selector, Ticker ticker) throws IOException {
        this.config = config;
        this.core = new ServiceCore("stun", LOG, ticker);
        this.channels = channels;
        this.selector = selector;
        this.locals = new InetSocketAddress[channels.length];
        for (int i = 0; i < channels.length; i++) {
            locals[i] = (InetSocketAddress) channels[i].getLocalAddress();
        }
        this.software = config.software().getBytes(StandardCharsets.UTF_8);
        this.limiter = new SourceRateLimiter(config.ratePerSecond(), config.burst(), config.maxSources());
    }

    /** Binds (one socket, or four with an alternate address), starts answering, and returns. */
    public static StunServer start(StunConfig config) throws IOException {
        return start(config, Ticker.SYSTEM);
    }

    /** As {@link #start(StunConfig)}, with rates measured on {@code ticker}. */
    public static StunServer start(StunConfig config, Ticker ticker) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(ticker, "ticker");
        List<DatagramChannel> opened = new ArrayList<>();
        Selector selector = null;
        StunServer server;
        try {
            DatagramChannel primary = open(config.bind(), opened);
            if (config.alternate() != null) {
                InetSocketAddress a1p1 = (InetSocketAddress) primary.getLocalAddress();
                DatagramChannel a2p2 = open(config.alternate(), opened);
                InetSocketAddress bound2 = (InetSocketAddress) a2p2.getLocalAddress();
                if (bound2.getPort() == a1p1.getPort()) {
                    throw new IOException("alternate port equals the primary port " + a1p1.getPort());
                }
                DatagramChannel a1p2 = open(new InetSocketAddress(a1p1.getAddress(), bound2.getPort()), opened);
                DatagramChannel a2p1 = open(new InetSocketAddress(bound2.getAddress(), a1p1.getPort()), opened);
                opened = List.of(primary, a1p2, a2p1, a2p2);
            }
            selector = Selector.open();
            for (int i = 0; i < opened.size(); i++) {
                opened.get(i).register(selector, SelectionKey.OP_READ, i);
            }
            server = new StunServer(config, opened.toArray(DatagramChannel[]::new), selector, ticker);
        } catch (IOException | RuntimeException e) {
            for (DatagramChannel ch : opened) {
                closeQuietly(ch);
            }
            if (selector != null) {
                closeQuietly(selector);
            }
            throw e;
        }
        try {
            server.core.spawn("stun-io", server::ioLoop);
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        LOG.log(Level.DEBUG, () -> "stun listening on " + Arrays.toString(server.locals)); // the command line says it
        return server;
    }

    private static DatagramChannel open(InetSocketAddress bind, List<DatagramChannel> opened) throws IOException {
        DatagramChannel ch = DatagramChannel.open(bind.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        opened.add(ch);
        // No SO_REUSEADDR: for UDP it would let a second server bind the same port and take its packets,
        // instead of being told the port is taken (UDP has no TIME_WAIT to get past).
        ch.bind(bind);
        ch.configureBlocking(false);
        return ch;
    }

    /** The primary bound address (useful when binding port 0). */
    public InetSocketAddress address() {
        return locals[0];
    }

    /** With an alternate: the bound alternate address A2:P2; otherwise null. */
    public InetSocketAddress alternateAddress() {
        return locals.length == 4 ? locals[3] : null;
    }

    /** All bound addresses: A1:P1, then (with an alternate) A1:P2, A2:P1, A2:P2. */
    public List<InetSocketAddress> addresses() {
        return List.of(locals);
    }

    public StunConfig config() {
        return config;
    }

    /** Whether the responder is still answering (not closed). */
    public boolean isOpen() {
        return !core.closed();
    }

    /** A snapshot of the counters. */
    public StunStats stats() {
        return new StunStats(datagrams.sum(), requests.sum(), responses.sum(), errorResponses.sum(),
                droppedMalformed.sum(), droppedRateLimited.sum(), droppedAmplification.sum(),
                sendFailures.sum(), sources.get());
    }

    /** Stops answering, closes the sockets, and waits (up to 5 s) for the I/O thread to end. */
    @Override
    public void close() {
        if (!core.beginClose()) {
            return;
        }
        selector.wakeup();
        core.awaitThreads(locals[0]); // the I/O thread sees closed() and ends; then its sockets go
        for (DatagramChannel ch : channels) {
            closeQuietly(ch);
        }
        closeQuietly(selector);
    }

    // ---------------------------------------------------------------- I/O

    private void ioLoop() {
        ByteBuffer buf = ByteBuffer.allocate(RECEIVE_SIZE);
        try {
            while (!core.closed()) {
                selector.select();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext() && !core.closed()) {
                    SelectionKey key = it.next();
                    it.remove();
                    drain((Integer) key.attachment(), buf);
                }
            }
        } catch (ClosedSelectorException e) {
            // closing
        } catch (IOException | RuntimeException e) {
            if (!core.closed()) {
                LOG.log(Level.ERROR, "stun I/O loop failed", e);
            }
        }
    }

    private void drain(int sock, ByteBuffer buf) {
        DatagramChannel ch = channels[sock];
        for (int n = 0; n < BATCH && !core.closed(); n++) {
            InetSocketAddress src;
            buf.clear();
            try {
                src = (InetSocketAddress) ch.receive(buf);
            } catch (IOException e) {
                // e.g. ICMP port unreachable surfacing on Windows; keep serving.
                LOG.log(Level.DEBUG, "stun receive failed: {0}", e.toString());
                return;
            }
            if (src == null) {
                return;
            }
            datagrams.increment();
            try {
                handle(sock, buf.array(), buf.position(), src);
            } catch (RuntimeException e) {
                // A bug, not the peer's fault; never let it stop the server.
                droppedMalformed.increment();
                LOG.log(Level.WARNING, "stun request from " + src + " failed", e);
            }
        }
    }

    private void handle(int sock, byte[] data, int len, InetSocketAddress src) {
        if (len >= RECEIVE_SIZE) {
            droppedMalformed.increment();
            return;
        }
        Message req;
        try {
            req = StunWire.decode(data, 0, len);
        } catch (StunFormatException e) {
            droppedMalformed.increment();
            return;
        }
        if (req.type() != StunWire.BINDING_REQUEST) {
            droppedMalformed.increment();
            return;
        }
        boolean admitted = limiter.tryAcquire(src.getAddress(), core.now());
        sources.set(limiter.size());
        if (!admitted) {
            droppedRateLimited.increment();
            return;
        }
        requests.increment();

        boolean hasAlternate = channels.length == 4;
        Attribute change = null;
        int[] unknown = new int[0];
        for (Attribute a : req.attributes()) {
            if (a.type() == StunWire.CHANGE_REQUEST && hasAlternate) {
                if (change == null) {
                    change = a;
                }
            } else if (a.comprehensionRequired() && !contains(unknown, a.type())) {
                unknown = Arrays.copyOf(unknown, unknown.length + 1);
                unknown[unknown.length - 1] = a.type();
            }
        }

        int out = sock;
        int type;
        List<Attribute> attrs = new ArrayList<>(4);
        if (unknown.length > 0) {
            type = StunWire.BINDING_ERROR;
            attrs.add(new Attribute(StunWire.ERROR_CODE, StunWire.errorCodeValue(420, "Unknown Attribute")));
            attrs.add(new Attribute(StunWire.UNKNOWN_ATTRIBUTES, StunWire.unknownAttributesValue(unknown)));
        } else if (change != null && change.value().length != 4) {
            type = StunWire.BINDING_ERROR;
            attrs.add(new Attribute(StunWire.ERROR_CODE, StunWire.errorCodeValue(400, "Bad Request")));
        } else {
            type = StunWire.BINDING_SUCCESS;
            if (change != null) {
                int flags = StunWire.i32(change.value(), 0);
                if ((flags & StunWire.CHANGE_IP) != 0) {
                    out ^= 2;
                }
                if ((flags & StunWire.CHANGE_PORT) != 0) {
                    out ^= 1;
                }
            }
            boolean classic = !req.hasMagicCookie();
            attrs.add(classic
                    ? new Attribute(StunWire.MAPPED_ADDRESS, StunWire.addressValue(src))
                    : new Attribute(StunWire.XOR_MAPPED_ADDRESS,
                            StunWire.xorAddressValue(src, req.cookie(), req.transactionId())));
            if (hasAlternate) {
                attrs.add(new Attribute(classic ? StunWire.SOURCE_ADDRESS : StunWire.RESPONSE_ORIGIN,
                        StunWire.addressValue(locals[out])));
                attrs.add(new Attribute(classic ? StunWire.CHANGED_ADDRESS : StunWire.OTHER_ADDRESS,
                        StunWire.addressValue(locals[sock ^ 3])));
            }
        }

        int limit = len + config.responseSlack();
        byte[] resp = null;
        if (software.length > 0) {
            List<Attribute> withSoftware = new ArrayList<>(attrs);
            withSoftware.add(new Attribute(StunWire.SOFTWARE, software));
            resp = StunWire.encode(new Message(type, req.cookie(), req.transactionId(), withSoftware), true);
        }
        if (resp == null || resp.length > limit) {
            resp = StunWire.encode(new Message(type, req.cookie(), req.transactionId(), attrs), true);
        }
        if (resp.length > limit) {
            droppedAmplification.increment();
            return;
        }
        // Counted before sending, so that whoever receives the answer already sees it counted;
        // a send that fails is counted again as such.
        responses.increment();
        if (type == StunWire.BINDING_ERROR) {
            errorResponses.increment();
        }
        try {
            if (channels[out].send(ByteBuffer.wrap(resp), src) == 0) {
                sendFailures.increment();
            }
        } catch (IOException e) {
            sendFailures.increment();
            LOG.log(Level.DEBUG, "stun send to {0} failed: {1}", src, e.toString());
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(AutoCloseable c) {
        ServiceCore.closeQuietly(c);
    }

}
