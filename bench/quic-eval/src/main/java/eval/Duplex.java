package eval;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CompletableFuture;

/** A blocking bidirectional byte stream: out().close() sends FIN; close() tears the connection down. */
public interface Duplex extends AutoCloseable {
    InputStream in();
    OutputStream out();
    @Override void close();

    /** What each QUIC candidate must provide: QUIC over a DatagramChannel that the caller already owns (bound, punched). */
    interface Quic {
        String name();
        /** Server on `socket`, only for `peer`; me = our identity; peerPin = client cert fingerprint or null (no client auth). */
        CompletableFuture<Duplex> listen(DatagramChannel socket, InetSocketAddress peer, Certs.Identity me, String peerPin) throws Exception;
        /** Client on `socket` to `peer`, verifying the server by `serverPin`; me may be null (no client cert). */
        Duplex connect(DatagramChannel socket, InetSocketAddress peer, Certs.Identity me, String serverPin) throws Exception;
    }

    /** Stream / connection flow-control windows used for both candidates. */
    long WINDOW = 16L << 20;      // 16 MiB per stream
    long CONN_WINDOW = 32L << 20; // 32 MiB per connection
    int IDLE_SECONDS = 30;
    int CONNECT_SECONDS = 5;
}
