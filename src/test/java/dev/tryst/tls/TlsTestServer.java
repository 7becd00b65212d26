package dev.tryst.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * For tests: a TLS 1.3 server on loopback that serves each accepted connection with a
 * {@link Behaviour}, one connection at a time, until closed. The handshake runs on the
 * behaviour's first read or write.
 */
public final class TlsTestServer implements AutoCloseable {
    /** What the server does with one accepted connection; an IOException just ends that connection. */
    public interface Behaviour {
        void serve(SSLSocket socket) throws IOException;
    }

    public final SSLServerSocket socket;
    private final Thread thread;

    /** Serves connections accepted on {@code socket} (bound, TLS 1.3) with {@code behaviour}. */
    public TlsTestServer(SSLServerSocket socket, Behaviour behaviour) {
        this.socket = socket;
        this.thread = Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try (SSLSocket s = (SSLSocket) socket.accept()) {
                    s.setSoTimeout(5000);
                    behaviour.serve(s);
                } catch (IOException e) {
                    // a client that refused our certificate, or hung up: next connection
                }
            }
        });
    }

    /** Serves {@code id} on loopback {@code port} (0: any) as {@link Tls#serverSocket} sets it up, echoing each connection's bytes. */
    public static TlsTestServer echo(ServerIdentity id, int port) throws IOException {
        return new TlsTestServer(Tls.serverSocket(id, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)), s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        });
    }

    /** The server as 127.0.0.1:port. */
    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
