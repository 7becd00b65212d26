package dev.tryst.quic;

import dev.tryst.wire.PunchWire;
import dev.tryst.wire.QuicWire;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A direct path over UDP: one QUIC connection with one bidirectional stream, on the socket that
 * punched the path, to the one address the punch proved ({@link QuicWire}). To the race of paths it
 * is a blocking byte channel like a TCP connection; the path proof then runs inside it, covering
 * both ends' certificates ({@link #binding()}).
 *
 * <p>Netty's QUIC codec (quiche and BoringSSL) does the protocol on one event-loop thread shared by
 * every link of the process; the caller's threads block on a queue for reading and on the stream's
 * writability for writing. What is read but not yet taken is bounded ({@value #HIGH_WATER} bytes,
 * then the stream stops reading and QUIC's flow control holds the sender back).
 *
 * <p>Closing sends the stream's FIN after the last write and waits (at most {@link #LINGER}) for the
 * peer's FIN before the connection is closed: QUIC, unlike TCP, throws away whatever the kernel of a
 * closed socket would still have sent, so a last record written just before close would be lost.
 */
public final class QuicLink implements ByteChannel {
    private static final System.Logger LOG = System.getLogger(QuicLink.class.getName());
    static final long HIGH_WATER = 4L << 20;
    static final long LOW_WATER = 1L << 20;
    static final Duration LINGER = Duration.ofSeconds(2);
    private static final Object EOF = new Object();

    /** One event-loop thread for every QUIC link of the process, made on first use. */
    private static final class Loop {
        static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("tryst-quic", true), NioIoHandler.newFactory());
    }

    private final NioDatagramChannel udp;
    private final QuicChannel connection;
    private final QuicStreamChannel stream;
    private final byte[] binding;
    private final InetSocketAddress peer;
    private final LinkedBlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
    private final AtomicLong queued = new AtomicLong();
    private final Object writable = new Object();
    private final java.util.concurrent.locks.ReentrantLock reading = new java.util.concurrent.locks.ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch peerDone = new CountDownLatch(1);
    private volatile Throwable failure;
    private volatile ChannelFuture lastWrite;
    private ByteBuf current;
    private boolean eof;

    private QuicLink(NioDatagramChannel udp, QuicChannel connection, QuicStreamChannel stream, byte[] binding,
                     InetSocketAddress peer) {
        this.udp = udp;
        this.connection = connection;
        this.stream = stream;
        this.binding = binding;
        this.peer = peer;
        this.lastWrite = stream.newSucceededFuture();
    }

    /**
     * QUIC on {@code punched} with {@code peer}: the client connects and opens the stream, the
     * server waits for that stream. Either way at most {@code timeout}; the socket is the link's
     * from now on (closed with it, or at once on failure).
     */
    public static QuicLink open(DatagramChannel punched, InetSocketAddress peer, boolean client, Duration timeout,
                                SecureRandom random) throws IOException {
        QuicCerts.Own own;
        try {
            own = QuicCerts.fresh(random);
        } catch (GeneralSecurityException e) {
            punched.close();
            throw new IOException("cannot make a QUIC certificate: " + e.getMessage(), e);
        }
        QuicCerts.Remembering theirs = new QuicCerts.Remembering();
        CompletableFuture<QuicLink> ready = new CompletableFuture<>();
        NioDatagramChannel udp = new NioDatagramChannel(punched);
        try {
            ChannelHandler codec = client ? clientCodec(own, theirs) : serverCodec(own, theirs, peer, ready, udp);
            udp.pipeline().addLast(new OnlyFrom(peer), codec);
            Loop.GROUP.register(udp).sync();
            if (client) {
                QuicChannel q = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter())
                        .streamHandler(new Refuse()).remoteAddress(peer)
                        .connect().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                QuicStreamChannel s = q.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter())
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                ready.complete(link(udp, q, s, own, theirs, true, peer));
            }
            return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            udp.close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening QUIC to " + peer);
        } catch (ExecutionException e) {
            udp.close();
            throw new IOException("QUIC to " + peer + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            udp.close();
            throw new IOException("QUIC to " + peer + " did not open within " + timeout.toMillis() + " ms");
        } catch (RuntimeException e) {
            udp.close();
            throw new IOException("QUIC to " + peer + " failed: " + e, e);
        }
    }

    private static ChannelHandler clientCodec(QuicCerts.Own own, QuicCerts.Remembering theirs) {
        var ssl = QuicSslContextBuilder.forClient().trustManager(theirs).keyManager(own.key(), null, own.cert())
                .applicationProtocols(QuicWire.ALPN).build();
        return tune(new QuicClientCodecBuilder()).sslContext(ssl).build();
    }

    private static ChannelHandler serverCodec(QuicCerts.Own own, QuicCerts.Remembering theirs, InetSocketAddress peer,
                                              CompletableFuture<QuicLink> ready, NioDatagramChannel udp) {
        var ssl = QuicSslContextBuilder.forServer(own.key(), null, own.cert()).trustManager(theirs)
                .clientAuth(ClientAuth.REQUIRE).applicationProtocols(QuicWire.ALPN).build();
        AtomicReference<QuicChannel> first = new AtomicReference<>();
        return tune(new QuicServerCodecBuilder()).sslContext(ssl)
                // no token handler: no Retry round trip, the punch proved the address already
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        if (!first.compareAndSet(null, (QuicChannel) ctx.channel())) {
                            ctx.close(); // one connection per path
                        }
                        ctx.fireChannelActive();
                    }
                })
                .streamHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRegistered(ChannelHandlerContext ctx) {
                        QuicStreamChannel s = (QuicStreamChannel) ctx.channel();
                        ctx.pipeline().remove(this);
                        if (s.parent() != first.get() || s.type() != QuicStreamType.BIDIRECTIONAL || ready.isDone()) {
                            s.close(); // one stream per path
                            return;
                        }
                        ready.complete(link(udp, s.parent(), s, own, theirs, false, peer));
                    }
                })
                .build();
    }

    private static <B extends QuicCodecBuilder<B>> B tune(B b) {
        return b.maxIdleTimeout(QuicWire.IDLE_SECONDS, TimeUnit.SECONDS)
                .initialMaxData(QuicWire.CONNECTION_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(QuicWire.STREAM_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(QuicWire.STREAM_WINDOW)
                .initialMaxStreamsBidirectional(1)
                .initialMaxStreamsUnidirectional(0)
                .activeMigration(false)
                .maxSendUdpPayloadSize(QuicWire.MAX_UDP_PAYLOAD)
                .maxRecvUdpPayloadSize(QuicWire.MAX_UDP_PAYLOAD);
    }

    private static QuicLink link(NioDatagramChannel udp, QuicChannel q, QuicStreamChannel s, QuicCerts.Own own,
                                 QuicCerts.Remembering theirs, boolean client, InetSocketAddress peer) {
        X509Certificate other = theirs.seen();
        if (other == null) {
            throw new IllegalStateException("QUIC handshake done without the other end's certificate");
        }
        byte[] mine = QuicCerts.fingerprint(own.cert());
        byte[] its = QuicCerts.fingerprint(other);
        QuicLink link = new QuicLink(udp, q, s, binding(client ? mine : its, client ? its : mine), peer);
        s.config().setAllowHalfClosure(true);
        s.pipeline().addLast(link.new Inbound());
        return link;
    }

    /** The channel binding both proofs cover ({@link QuicWire}). */
    static byte[] binding(byte[] clientCert, byte[] serverCert) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(QuicWire.BINDING.getBytes(StandardCharsets.US_ASCII));
            d.update(clientCert);
            d.update(serverCert);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** What the path proof must cover: both certificates of this connection, as this end saw them. */
    public byte[] binding() {
        return binding.clone();
    }

    /** The peer's address, as the punch proved it. */
    public InetSocketAddress peer() {
        return peer;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        reading.lock();
        try {
            while (current == null) {
                if (eof) {
                    return -1;
                }
                if (closed.get()) {
                    throw new ClosedChannelException();
                }
                Object o = inbound.poll();
                if (o == null) {
                    resume();
                    try {
                        o = inbound.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted reading QUIC from " + peer);
                    }
                }
                if (o == EOF) {
                    eof = true;
                    inbound.add(EOF); // for whoever reads next
                    if (closed.get()) {
                        throw new ClosedChannelException();
                    }
                    if (failure != null) {
                        throw new IOException("QUIC from " + peer + ": " + failure.getMessage(), failure);
                    }
                    return -1;
                }
                current = (ByteBuf) o;
            }
            int n = Math.min(dst.remaining(), current.readableBytes());
            ByteBuffer part = dst.duplicate();
            part.limit(part.position() + n);
            current.readBytes(part);
            dst.position(dst.position() + n);
            if (!current.isReadable()) {
                current.release();
                current = null;
            }
            if (queued.addAndGet(-n) < LOW_WATER) {
                resume();
            }
            return n;
        } finally {
            reading.unlock();
        }
    }

    private void resume() {
        if (!stream.config().isAutoRead()) {
            stream.config().setAutoRead(true);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (n == 0) {
            return 0;
        }
        synchronized (writable) {
            while (!stream.isWritable()) {
                if (closed.get() || !stream.isActive()) {
                    throw closedForWriting();
                }
                try {
                    writable.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted writing QUIC to " + peer);
                }
            }
            if (closed.get() || !stream.isActive()) {
                throw closedForWriting();
            }
            ByteBuf b = stream.alloc().directBuffer(n).writeBytes(src);
            lastWrite = stream.writeAndFlush(b).addListener(f -> {
                if (!f.isSuccess()) {
                    failure = f.cause();
                }
            });
        }
        if (failure != null) {
            throw new IOException("QUIC to " + peer + ": " + failure.getMessage(), failure);
        }
        return n;
    }

    private IOException closedForWriting() {
        return closed.get() ? new ClosedChannelException()
                : new IOException("the QUIC path to " + peer + " closed" + (failure == null ? "" : ": " + failure.getMessage()));
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * FIN after the last write, then up to {@link #LINGER} for the peer's FIN (at once if the
     * connection is gone already), then the connection and the socket are closed.
     */
    @Override
    public void close() {
        close(true);
    }

    /** Closes the connection and the socket at once, whatever is still unsent: for a path that lost. */
    public void abort() {
        close(false);
    }

    private void close(boolean linger) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (linger && connection.isActive() && !udp.eventLoop().inEventLoop()) { // never stall the loop
                lastWrite.addListener(f -> stream.shutdownOutput());
                if (!peerDone.await(LINGER.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.log(System.Logger.Level.DEBUG, "no FIN from {0} within {1} ms; closing", peer, LINGER.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (udp.eventLoop().inEventLoop()) {
                connection.close().addListener(f -> udp.close());
            } else { // the socket is closed when close returns, as a TCP one is
                connection.close().awaitUninterruptibly(1000);
                udp.close().awaitUninterruptibly(1000);
            }
            release();
            inbound.add(EOF);
            synchronized (writable) {
                writable.notifyAll();
            }
        }
    }

    /** Frees what was received but never read: pooled direct buffers, up to {@value #HIGH_WATER} bytes. */
    private void release() {
        for (Object o; (o = inbound.poll()) != null; ) {
            if (o instanceof ByteBuf b) {
                b.release();
            }
        }
        if (reading.tryLock()) {
            try {
                if (current != null) {
                    current.release();
                    current = null;
                }
            } finally {
                reading.unlock();
            }
        }
    }

    /** The stream's inbound side, on the event loop. */
    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            if (closed.get()) {
                b.release();
                return;
            }
            if (queued.addAndGet(b.readableBytes()) > HIGH_WATER) {
                ctx.channel().config().setAutoRead(false);
            }
            inbound.add(b);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                peerDone.countDown();
                inbound.add(EOF);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peerDone.countDown();
            inbound.add(EOF);
            wake();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
            failure = t;
            peerDone.countDown();
            inbound.add(EOF);
            wake();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            wake();
            ctx.fireChannelWritabilityChanged();
        }

        private void wake() {
            synchronized (writable) {
                writable.notifyAll();
            }
        }
    }

    /** The client takes no stream the server opens. */
    private static final class Refuse extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRegistered(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }

    /**
     * Lets through only datagrams from the peer's punched address, and of those no late punch
     * packet: a stranger's, forged or reflected datagram never reaches the QUIC codec.
     */
    static final class OnlyFrom extends ChannelInboundHandlerAdapter {
        static final AtomicLong DROPPED = new AtomicLong();
        private final InetSocketAddress peer;

        OnlyFrom(InetSocketAddress peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p && (!same(peer, p.sender()) || punch(p.content()))) {
                p.release();
                DROPPED.incrementAndGet();
                return;
            }
            ctx.fireChannelRead(msg);
        }

        private static boolean punch(ByteBuf b) {
            if (b.readableBytes() != PunchWire.LENGTH) {
                return false;
            }
            byte[] head = new byte[PunchWire.MAGIC.length];
            b.getBytes(b.readerIndex(), head);
            return Arrays.equals(head, PunchWire.MAGIC);
        }

        /** Equal addresses, an IPv4 one and its IPv4-mapped IPv6 form counted as one (a dual-stack socket). */
        static boolean same(InetSocketAddress a, InetSocketAddress b) {
            if (a.getPort() != b.getPort()) {
                return false;
            }
            return Arrays.equals(v4(a.getAddress().getAddress()), v4(b.getAddress().getAddress()));
        }

        private static byte[] v4(byte[] ip) {
            if (ip.length == 16) {
                boolean mapped = ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
                for (int i = 0; i < 10 && mapped; i++) {
                    mapped = ip[i] == 0;
                }
                if (mapped) {
                    return Arrays.copyOfRange(ip, 12, 16);
                }
            }
            return ip;
        }
    }
}
