package dev.tryst.connect;

import dev.tryst.wire.PeerWire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * What a listener offers to the streams its peers open: its pipe (standard input and output,
 * once) and the TCP ports it exposes, each to a local address of its choosing. Nothing else: a
 * stream for anything not offered is reset, saying what is.
 */
public final class Services implements Mux.Acceptor {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** The listener's own input and output for the pipe. */
    public record Pipe(InputStream in, OutputStream out, Pipes.End outEnded) {}

    /** Says what happened to each stream. */
    public interface Events {
        default void opened(String peer, String what) {}

        default void refused(String peer, String what, String why) {}

        default void closed(String peer, String what, IOException failure) {}

        /** The pipe was used and is done: it cannot be used again. */
        default void pipeDone() {}
    }

    private final Map<Integer, InetSocketAddress> ports;
    private final Pipe pipe;
    private final AtomicBoolean pipeTaken = new AtomicBoolean();
    private final Events events;

    /**
     * @param ports exposed port → the local address it reaches
     * @param pipe  the pipe, or null if not offered
     */
    public Services(Map<Integer, InetSocketAddress> ports, Pipe pipe, Events events) {
        this.ports = new TreeMap<>(ports);
        this.pipe = pipe;
        this.events = events == null ? new Events() {} : events;
    }

    /** {@code PORT} or {@code PORT=[HOST:]TARGET_PORT}: which port peers ask for, and where it leads (localhost by default). */
    public static Map.Entry<Integer, InetSocketAddress> parseExpose(String spec) {
        String s = spec.strip();
        int eq = s.indexOf('=');
        int port = port(eq < 0 ? s : s.substring(0, eq), spec);
        String target = eq < 0 ? "localhost:" + port : s.substring(eq + 1);
        int colon = target.lastIndexOf(':');
        String host = colon < 0 ? "localhost" : target.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int to = port(colon < 0 ? target : target.substring(colon + 1), spec);
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "': no host before ':'");
        }
        return Map.entry(port, InetSocketAddress.createUnresolved(host, to));
    }

    private static int port(String text, String spec) {
        try {
            int p = Integer.parseInt(text.strip());
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + spec + "': '" + text + "' is not a port (1 to 65535)");
        }
    }

    /** In words: "the pipe, ports 22, 8080" or "nothing". */
    public String describe() {
        String p = ports.isEmpty() ? "" : (ports.size() == 1 ? "port " : "ports ")
                + ports.keySet().stream().map(String::valueOf).collect(Collectors.joining(", "));
        if (pipe != null) {
            return p.isEmpty() ? "the pipe" : "the pipe, " + p;
        }
        return p.isEmpty() ? "nothing" : p;
    }

    @Override
    public void accept(Stream s) {
        String peer = s.peer();
        if (s.service() == PeerWire.SERVICE_PIPE) {
            if (pipe == null) {
                refuse(s, "the pipe", "no pipe is offered (" + describe() + " is)");
            } else if (!pipeTaken.compareAndSet(false, true)) {
                refuse(s, "the pipe", "the pipe is in use or was used (it joins one connection)");
            } else {
                events.opened(peer, "the pipe");
                events.closed(peer, "the pipe", Pipes.join(s, pipe.in(), pipe.out(), pipe.outEnded()));
                events.pipeDone();
            }
            return;
        }
        String what = "port " + s.port();
        InetSocketAddress target = ports.get(s.port());
        if (target == null) {
            refuse(s, what, "port " + s.port() + " is not exposed (" + describe() + " is)");
            return;
        }
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(target.getHostString(), target.getPort()), (int) CONNECT_TIMEOUT.toMillis());
        } catch (IOException e) {
            close(socket);
            // the peer learns that the service does not answer, not where it is nor why
            events.refused(s.peer(), what, "cannot reach " + target.getHostString() + ":" + target.getPort() + " (" + e.getMessage() + ")");
            s.reset("port " + s.port() + " does not answer");
            return;
        }
        events.opened(peer, what + " → " + target.getHostString() + ":" + target.getPort());
        events.closed(peer, what, Pipes.join(s, socket));
    }

    private void refuse(Stream s, String what, String why) {
        events.refused(s.peer(), what, why);
        s.reset(why);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** The exposed ports, for tests and logs. */
    public Map<Integer, InetSocketAddress> ports() {
        return ports;
    }

    @Override
    public String toString() {
        return "Services[" + describe() + "]";
    }
}
