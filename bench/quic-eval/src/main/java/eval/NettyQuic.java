package eval;

import io.netty.buffer.ByteBuf;
import io.netty.channel.*;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.*;
import io.netty.handler.ssl.ClientAuth;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;

/** Netty QUIC (quiche/BoringSSL via JNI) over a caller-owned java.nio DatagramChannel. */
public final class NettyQuic implements Duplex.Quic {
    /** Event-loop threads shared by every socket of the process; 2 so that, in the one-JVM benchmark, client and
     *  server each get their own loop (round-robin), as they would in two tryst processes. tryst itself needs 1. */
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(Integer.getInteger("netty.threads", 2), NioIoHandler.newFactory());

    public String name() { return "netty-quic"; }

    static <B extends QuicCodecBuilder<B>> B tune(B b) {
        return b.maxIdleTimeout(Duplex.IDLE_SECONDS, TimeUnit.SECONDS)
                .initialMaxData(Duplex.CONN_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(Duplex.WINDOW)
                .initialMaxStreamDataBidirectionalRemote(Duplex.WINDOW)
                .initialMaxStreamsBidirectional(16)
                .initialMaxStreamsUnidirectional(16)
                .activeMigration(false)                // disable_active_migration transport parameter
                // default 1350 (what an Internet path takes); -Dquic.payload=N only for the loopback per-packet-cost experiment
                .maxSendUdpPayloadSize(Long.getLong("quic.payload", 1350)).maxRecvUdpPayloadSize(Long.getLong("quic.payload", 1350));
    }

    public CompletableFuture<Duplex> listen(DatagramChannel socket, InetSocketAddress peer, Certs.Identity me, String peerPin) {
        QuicSslContextBuilder ssl = QuicSslContextBuilder.forServer(me.key(), null, me.cert()).applicationProtocols("tryst");
        if (peerPin != null) ssl.trustManager(new Certs.Pin(peerPin)).clientAuth(ClientAuth.REQUIRE); // mutual TLS, pinned
        CompletableFuture<Duplex> accepted = new CompletableFuture<>();
        ChannelHandler codec = tune(new QuicServerCodecBuilder()).sslContext(ssl.build())
                .tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                .handler(new ChannelInboundHandlerAdapter())
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override protected void initChannel(QuicStreamChannel ch) { accepted.complete(new Stream(ch)); }
                })
                .build();
        NioDatagramChannel ch = new NioDatagramChannel(socket);            // wrap tryst's own socket
        ch.pipeline().addLast(new OnlyFrom(peer), codec);
        GROUP.register(ch).syncUninterruptibly();
        accepted.whenComplete((d, e) -> { if (e != null) ch.close(); });
        return accepted;
    }

    public Duplex connect(DatagramChannel socket, InetSocketAddress peer, Certs.Identity me, String serverPin) throws Exception {
        QuicSslContextBuilder ssl = QuicSslContextBuilder.forClient()
                .trustManager(new Certs.Pin(serverPin)).applicationProtocols("tryst");
        if (me != null) ssl.keyManager(me.key(), null, me.cert());
        ChannelHandler codec = tune(new QuicClientCodecBuilder()).sslContext(ssl.build()).build();
        NioDatagramChannel ch = new NioDatagramChannel(socket);
        ch.pipeline().addLast(new OnlyFrom(peer), codec);
        GROUP.register(ch).syncUninterruptibly();
        try {
            QuicChannel quic = QuicChannel.newBootstrap(ch).handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(peer)
                    .connect().get(Duplex.CONNECT_SECONDS, TimeUnit.SECONDS);
            QuicStreamChannel s = quic.createStream(QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter()).sync().getNow();
            return new Stream(s);
        } catch (ExecutionException e) {
            ch.close();
            throw new IOException("QUIC connect failed: " + e.getCause(), e.getCause());
        }
    }

    /** Drops every datagram not from the one expected peer (before the QUIC codec sees it). */
    static final class OnlyFrom extends ChannelInboundHandlerAdapter {
        final InetSocketAddress peer;
        static final AtomicLong dropped = new AtomicLong();
        OnlyFrom(InetSocketAddress peer) { this.peer = peer; }
        @Override public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket p && !peer.equals(p.sender())) { p.release(); dropped.incrementAndGet(); return; }
            ctx.fireChannelRead(msg);
        }
    }

    /** Thinnest blocking adapter: inbound ByteBufs go to a queue; autoRead is switched off above HIGH queued bytes
     *  (so quiche stops granting flow-control credit); writers block while the stream channel is not writable. */
    static final class Stream extends ChannelInboundHandlerAdapter implements Duplex {
        static final long HIGH = 4 << 20, LOW = 1 << 20;
        static final Object EOF = new Object();
        final QuicStreamChannel ch;
        final LinkedBlockingQueue<Object> q = new LinkedBlockingQueue<>();
        final AtomicLong queued = new AtomicLong();
        final Object writable = new Object();
        volatile Throwable failure;
        volatile ChannelFuture lastWrite;

        Stream(QuicStreamChannel ch) {
            this.ch = ch;
            this.lastWrite = ch.newSucceededFuture();
            ch.config().setAllowHalfClosure(true);  // FIN from peer must not close our sending side
            ch.pipeline().addLast(this);
        }
        @Override public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            if (queued.addAndGet(b.readableBytes()) > HIGH) ch.config().setAutoRead(false);
            q.add(b);
        }
        @Override public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (Boolean.getBoolean("debug")) System.err.println("event " + evt + " queued=" + queued);
            if (evt instanceof ChannelInputShutdownEvent) q.add(EOF);
            ctx.fireUserEventTriggered(evt);
        }
        @Override public void channelInactive(ChannelHandlerContext ctx) { if (Boolean.getBoolean("debug")) System.err.println("inactive"); q.add(EOF); wake(); }
        @Override public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) { if (Boolean.getBoolean("debug")) t.printStackTrace(); failure = t; q.add(EOF); wake(); }
        @Override public void channelWritabilityChanged(ChannelHandlerContext ctx) { wake(); }
        void wake() { synchronized (writable) { writable.notifyAll(); } }

        final InputStream in = new InputStream() {
            ByteBuf cur;
            boolean eof;
            @Override public int read() throws IOException { byte[] one = new byte[1]; return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff; }
            @Override public int read(byte[] dst, int off, int len) throws IOException {
                if (len == 0) return 0;
                while (cur == null) {
                    if (eof) return -1;
                    Object o = q.poll();
                    if (o == null) {
                        if (!ch.config().isAutoRead()) ch.config().setAutoRead(true);
                        try { o = q.take(); } catch (InterruptedException e) { throw new InterruptedIOException(); }
                    }
                    if (o == EOF) { eof = true; if (failure != null) throw new IOException(failure); }
                    else cur = (ByteBuf) o;
                }
                int n = Math.min(len, cur.readableBytes());
                cur.readBytes(dst, off, n);
                if (!cur.isReadable()) { cur.release(); cur = null; }
                if (queued.addAndGet(-n) < LOW && !ch.config().isAutoRead()) ch.config().setAutoRead(true);
                return n;
            }
        };
        final OutputStream out = new OutputStream() {
            @Override public void write(int b) throws IOException { write(new byte[]{(byte) b}, 0, 1); }
            @Override public void write(byte[] src, int off, int len) throws IOException {
                synchronized (writable) {
                    while (!ch.isWritable()) {
                        if (!ch.isActive()) throw new IOException("stream closed", failure);
                        try { writable.wait(5); } catch (InterruptedException e) { throw new InterruptedIOException(); }
                    }
                }
                ByteBuf b = ch.alloc().directBuffer(len).writeBytes(src, off, len);
                lastWrite = ch.writeAndFlush(b).addListener(f -> { if (!f.isSuccess()) failure = f.cause(); });
                if (failure != null) throw new IOException(failure);
            }
            // FIN only after the last write reached quiche: shutdownOutput() does not wait for queued writes
            @Override public void close() { lastWrite.addListener(f -> ch.shutdownOutput()); }
        };
        public InputStream in() { return in; }
        public OutputStream out() { return out; }
        public void close() {
            Channel udp = ch.parent().parent();
            ch.parent().close().syncUninterruptibly();   // close the QUIC connection
            udp.close();                                 // and the wrapped UDP socket (Netty owns it once registered)
        }
    }
}
