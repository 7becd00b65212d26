package dev.tryst.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import dev.tryst.net.Watchdog;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/** Blocking TLS 1.3 sockets for the control port: a pinned client and a server. */
public final class Tls {
    private static final String[] PROTOCOLS = {Pinning.PROTOCOL};

    private Tls() {
    }

    /**
     * A connected socket that has completed a TLS 1.3 handshake with a server trusted by
     * {@code pin} (see {@link Pinning}: no host name verification, the fingerprint decides).
     * {@code timeout} bounds the TCP connect; the whole handshake then gets three times that (a
     * loaded server's first handshakes are slow — its JIT is cold and TLS is CPU work — while a
     * stalled or trickling one still cannot hold us for long); afterwards the socket has no read
     * timeout (SO_TIMEOUT 0).
     *
     * <p>Under trust on first use this only checks: an unknown server is accepted and nothing is
     * written; the caller remembers it with {@link Pinning#remember} once the server has answered
     * in tryst's protocol.
     *
     * @throws PinMismatchException  the server's certificate is not the pinned one
     * @throws SocketTimeoutException connect or handshake took longer than {@code timeout}
     * @throws SSLHandshakeException  the handshake failed otherwise (e.g. the server does not speak TLS 1.3)
     * @throws IOException            the connection failed
     */
    /** The handshake's bound, in units of the connect timeout. */
    static final int HANDSHAKE_FACTOR = 3;

    public static SSLSocket openClient(InetSocketAddress server, Pin pin, Duration timeout) throws IOException {
        return openClient(new Socket(), server, pin, timeout);
    }

    /**
     * As {@link #openClient(InetSocketAddress, Pin, Duration)} over {@code plain}, an unconnected
     * socket the caller prepared (bound to a chosen local port, say). It is closed on failure.
     */
    public static SSLSocket openClient(Socket plain, InetSocketAddress server, Pin pin, Duration timeout) throws IOException {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        String host = server.getHostString();
        String name = KnownServers.key(host, server.getPort());
        SSLSocket ssl = null;
        boolean ok = false;
        try {
            try {
                plain.connect(server, millis);
            } catch (SocketTimeoutException e) {
                throw timeout("connecting to " + name + " timed out after " + timeout.toMillis() + " ms", e);
            }
            plain.setTcpNoDelay(true);
            Duration handshake = timeout.multipliedBy(HANDSHAKE_FACTOR);
            plain.setSoTimeout((int) Math.min(Integer.MAX_VALUE, handshake.toMillis()));
            ssl = (SSLSocket) Pinning.clientContext(pin).getSocketFactory().createSocket(plain, host, server.getPort(), true);
            ssl.setEnabledProtocols(PROTOCOLS);
            ssl.setUseClientMode(true);
            // SO_TIMEOUT bounds each read; the watchdog bounds the whole handshake, so a server that
            // trickles a byte just inside every read timeout cannot hold us for longer.
            Watchdog whole = Watchdog.watch(plain, handshake);
            try {
                ssl.startHandshake();
            } catch (SocketTimeoutException e) {
                throw timeout("the TLS handshake with " + name + " timed out after " + handshake.toMillis() + " ms", e);
            } catch (IOException e) {
                if (whole.fired()) {
                    throw timeout("the TLS handshake with " + name + " took longer than " + handshake.toMillis() + " ms", e);
                }
                if (!(e instanceof SSLHandshakeException)) {
                    throw e;
                }
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof PinMismatchException mismatch) {
                        PinMismatchException thrown = new PinMismatchException(mismatch.server(), mismatch.presented(), mismatch.expected(), mismatch.knownServers());
                        thrown.initCause(e);
                        throw thrown;
                    }
                }
                throw new SSLHandshakeException("TLS 1.3 handshake with " + name + " failed: " + e.getMessage(), e);
            } finally {
                whole.close();
            }
            ssl.setSoTimeout(0);
            ok = true;
            return ssl;
        } finally {
            if (!ok) {
                closeQuietly(ssl != null ? ssl : plain);
            }
        }
    }

    /**
     * A server socket bound to {@code bind} that serves {@code identity} over TLS 1.3 only and
     * asks for no client certificate. Accepted sockets handshake on first I/O (or
     * {@link SSLSocket#startHandshake}); the caller should set a read timeout on them first.
     */
    public static SSLServerSocket serverSocket(ServerIdentity identity, InetSocketAddress bind) throws IOException {
        SSLServerSocket socket = (SSLServerSocket) identity.serverContext().getServerSocketFactory().createServerSocket();
        try {
            socket.setEnabledProtocols(PROTOCOLS);
            socket.setNeedClientAuth(false);
            socket.setWantClientAuth(false);
            socket.setReuseAddress(true);
            socket.bind(bind, 128);
            return socket;
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /** A factory of unbound server sockets that serve {@code identity} over TLS 1.3 only (for servers that bind themselves). */
    public static javax.net.ServerSocketFactory serverSocketFactory(ServerIdentity identity) {
        javax.net.ServerSocketFactory tls = identity.serverContext().getServerSocketFactory();
        return new javax.net.ServerSocketFactory() {
            private java.net.ServerSocket configure(java.net.ServerSocket s) {
                SSLServerSocket ssl = (SSLServerSocket) s;
                ssl.setEnabledProtocols(PROTOCOLS);
                ssl.setNeedClientAuth(false);
                ssl.setWantClientAuth(false);
                return ssl;
            }

            @Override
            public java.net.ServerSocket createServerSocket() throws IOException {
                return configure(tls.createServerSocket());
            }

            @Override
            public java.net.ServerSocket createServerSocket(int port) throws IOException {
                return configure(tls.createServerSocket(port));
            }

            @Override
            public java.net.ServerSocket createServerSocket(int port, int backlog) throws IOException {
                return configure(tls.createServerSocket(port, backlog));
            }

            @Override
            public java.net.ServerSocket createServerSocket(int port, int backlog, java.net.InetAddress bind) throws IOException {
                return configure(tls.createServerSocket(port, backlog, bind));
            }
        };
    }

    private static SocketTimeoutException timeout(String message, Throwable cause) {
        SocketTimeoutException e = new SocketTimeoutException(message);
        e.initCause(cause);
        return e;
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}
