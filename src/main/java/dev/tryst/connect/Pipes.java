package dev.tryst.connect;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Joins a {@link Stream} to something local — a TCP connection, standard input and output — both
 * ways, passing each end on: our input's end becomes the stream's FIN, the peer's FIN ends our
 * output, and a failure on either side resets the stream with the reason.
 */
public final class Pipes {
    private Pipes() {}

    static final int BUFFER = dev.tryst.wire.PeerWire.MAX_DATA;

    /** Where the local side's output ends (a socket's half-close, standard output's close). */
    @FunctionalInterface
    public interface End {
        void end() throws IOException;
    }

    /**
     * Copies {@code in} to the stream and the stream to {@code out} until both directions are
     * done or one fails; returns the first failure, or null. {@code outEnded} runs when the peer's
     * side ended cleanly.
     */
    public static IOException join(Stream s, InputStream in, OutputStream out, End outEnded) {
        AtomicReference<IOException> failure = new AtomicReference<>();
        Thread up = Thread.ofVirtual().name("pipe-up-" + s.id()).start(() -> {
            byte[] buf = new byte[BUFFER];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n > 0) {
                        s.output().write(buf, 0, n);
                    }
                }
                s.output().close(); // FIN: the peer reads to the end
            } catch (IOException e) {
                if (failure.compareAndSet(null, e)) {
                    s.reset("the other side's local input failed"); // the details stay here
                }
            }
        });
        byte[] buf = new byte[BUFFER];
        try {
            int n;
            InputStream from = s.input();
            while ((n = from.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            outEnded.end();
        } catch (IOException e) {
            if (failure.compareAndSet(null, e)) {
                s.reset("the other side's local output failed");
            }
            s.close();
            return failure.get(); // the caller closes what the upload may still block on
        }
        try {
            up.join(); // our input goes on to its own end, as netcat's does
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        s.close();
        return failure.get();
    }

    /** Joins the stream to a TCP connection, then closes it. */
    public static IOException join(Stream s, Socket socket) {
        try (socket) {
            return join(s, socket.getInputStream(), socket.getOutputStream(), socket::shutdownOutput);
        } catch (IOException e) {
            s.reset("the other side's connection failed");
            return e;
        }
    }
}
