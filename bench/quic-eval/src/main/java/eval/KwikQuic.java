package eval;

import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** kwik (pure Java QUIC + agent15 TLS) over a caller-owned DatagramChannel, via its blocking DatagramSocket adaptor. */
public final class KwikQuic implements Duplex.Quic {
    public String name() { return "kwik"; }

    public CompletableFuture<Duplex> listen(DatagramChannel socket, InetSocketAddress peer, Certs.Identity me, String peerPin) throws Exception {
        if (peerPin != null) throw new UnsupportedOperationException("kwik 0.10 server cannot request/verify client certificates");
        socket.configureBlocking(true);
        socket.connect(peer);   // kernel drops datagrams from anyone but the peer (kwik has no accept filter hook)
        char[] pw = "x".toCharArray();
        ServerConnectionConfig cfg = ServerConnectionConfig.builder()
                .maxIdleTimeoutInSeconds(Duplex.IDLE_SECONDS)
                .maxConnectionBufferSize(Duplex.CONN_WINDOW)
                .maxBidirectionalStreamBufferSize(Duplex.WINDOW)
                .maxUnidirectionalStreamBufferSize(Duplex.WINDOW)
                .maxOpenPeerInitiatedBidirectionalStreams(16)
                .maxOpenPeerInitiatedUnidirectionalStreams(16)
                .build();
        ServerConnector server = ServerConnector.builder()
                .withSocket(socket.socket())                         // tryst's socket
                .withKeyStore(Certs.keyStore(me, pw), "k", pw)
                .withConfiguration(cfg)
                .withLogger(new NullLogger())
                .build();
        CompletableFuture<Duplex> accepted = new CompletableFuture<>();
        server.registerApplicationProtocol("tryst", new ApplicationProtocolConnectionFactory() {
            @Override public ApplicationProtocolConnection createConnection(String proto, QuicConnection conn) {
                return new ApplicationProtocolConnection() {
                    @Override public void acceptPeerInitiatedStream(QuicStream s) { accepted.complete(new Stream(s, conn, server)); }
                };
            }
            @Override public int maxConcurrentPeerInitiatedBidirectionalStreams() { return 16; }
            @Override public long maxBidirectionalStreamReceiverBufferSize() { return Duplex.WINDOW; }
            @Override public int minBidirectionalStreamReceiverBufferSize() { return (int) Duplex.WINDOW; }
        });
        server.start();
        return accepted;
    }

    public Duplex connect(DatagramChannel socket, InetSocketAddress peer, Certs.Identity me, String serverPin) throws Exception {
        socket.configureBlocking(true);
        socket.connect(peer);
        var b = QuicClientConnection.newBuilder()
                .uri(URI.create("quic://" + peer.getAddress().getHostAddress() + ":" + peer.getPort()))
                .applicationProtocol("tryst")
                // agent15 checks the server name against the cert CN/SAN after the trust manager and offers no
                // way to turn that off except noServerCertificateCheck(); so pin right after the handshake instead.
                .noServerCertificateCheck()
                .socketFactory(dest -> socket.socket())            // tryst's socket instead of a new one
                .connectTimeout(Duration.ofSeconds(Duplex.CONNECT_SECONDS))
                .maxIdleTimeout(Duration.ofSeconds(Duplex.IDLE_SECONDS))
                .defaultStreamReceiveBufferSize(Duplex.WINDOW)
                .logger(new NullLogger());
        if (me != null) b.clientCertificate(me.cert()).clientCertificateKey(me.key());
        QuicClientConnection c = b.build();
        c.connect();
        String got = Certs.fingerprint(c.getServerCertificateChain().get(0));   // CertificateVerify was checked by agent15
        if (!got.equals(serverPin)) { c.close(); throw new java.io.IOException("pinned fingerprint mismatch: got " + got.substring(0, 16) + "…"); }
        return new Stream(c.createStream(true), c, null);
    }

    /** kwik streams already are blocking java.io streams. */
    record Stream(QuicStream s, QuicConnection conn, ServerConnector server) implements Duplex {
        public InputStream in() { return s.getInputStream(); }
        public OutputStream out() { return s.getOutputStream(); }
        public void close() { conn.close(); if (server != null) server.close(); }
    }
}
