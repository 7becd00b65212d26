package dev.tryst.client;

import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlException;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Challenge;
import dev.tryst.wire.ControlWire.ChallengeResponse;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.LoginState;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.Ping;
import dev.tryst.wire.ControlWire.Pong;
import dev.tryst.wire.ControlWire.Unknown;
import dev.tryst.identity.Identity;
import dev.tryst.net.HostPort;
import dev.tryst.tls.Fingerprint;
import dev.tryst.tls.Pin;
import dev.tryst.tls.PinMismatchException;
import dev.tryst.tls.Pinning;
import dev.tryst.tls.Tls;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;

/**
 * A client session on a rendezvous server's control port ({@link ControlWire}): connects (TLS 1.3
 * with a pinned certificate, or plain TCP when asked), logs in anonymously or as an
 * {@link Identity}, answers the server's PINGs by itself, and hands every other packet to
 * {@link #next}.
 *
 * <p>One virtual thread reads; {@link #send} may be called from any thread. A DISCONNECT from the
 * server, the end of the stream or a malformed frame ends the session: {@link #next} then throws
 * {@link ControlClosedException} with the server's reason.
 */
public final class ControlClient implements AutoCloseable {
    private static final Object END = new Object();

    private final Socket socket;
    private final InetSocketAddress server;
    private final String serverName;
    private final OutputStream out;
    /**
     * Packets for {@link #next}, bounded: a full queue holds the reader back (and so, through TCP,
     * the server), except for ROOM_MESSAGEs, which are dropped when it is full, so a peer flooding the
     * room while nobody reads (during a race) costs a bounded amount of memory.
     */
    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>(MAX_QUEUED);
    static final int MAX_QUEUED = 256;
    private volatile boolean ended;
    private final Thread reader;
    private volatile String endReason;
    private volatile LoginState loginState;
    private volatile int stunPort;

    /** Where to meet: the control address, and whether and how to trust it. */
    public record Server(InetSocketAddress address, Pin pin, boolean plain) {
        public String describe() {
            return HostPort.format(address);
        }
    }

    /** The server ended the session (DISCONNECT, its reason) or the connection broke. */
    public static final class ControlClosedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        ControlClosedException(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        /** The server's DISCONNECT reason, or null if the connection just ended. */
        public String reason() {
            return reason;
        }
    }

    private ControlClient(Socket socket, InetSocketAddress server, String serverName) throws IOException {
        this.socket = socket;
        this.server = server;
        this.serverName = serverName;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 8192);
        InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
        this.reader = Thread.ofVirtual().name("control-read").start(() -> readLoop(in));
    }

    /**
     * Connects and logs in: anonymously if {@code identity} is null, else with the identity's
     * signature over the server's challenge. {@code timeout} bounds the connect and each step of the login.
     *
     * <p>Under trust on first use an unknown server's certificate is remembered only here, once the
     * login has succeeded ({@link Pinning#remember}): a server that fails the handshake, never
     * answers, or answers with anything but CONNECTED is not remembered.
     *
     * @throws PinMismatchException the server's certificate is not the one pinned or remembered
     */
    public static ControlClient connect(Server server, Identity identity, Duration timeout) throws IOException {
        return connect(server, identity, false, timeout);
    }

    /**
     * Logs in as {@code identity} to dial only ({@link ControlWire#MODE_DIALER}): it may ask for
     * connections while the identity's own session (a listener) runs elsewhere, and has no events.
     */
    public static ControlClient connectDialer(Server server, Identity identity, Duration timeout) throws IOException {
        return connect(server, Objects.requireNonNull(identity, "identity"), true, timeout);
    }

    private static ControlClient connect(Server server, Identity identity, boolean dialer, Duration timeout) throws IOException {
        InetSocketAddress address = HostPort.resolve(server.address());
        Socket socket;
        String name;
        if (server.plain()) {
            socket = punchable();
            try {
                socket.connect(address, (int) Math.max(1, timeout.toMillis()));
                socket.setTcpNoDelay(true);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            name = ControlWire.PLAIN_SERVER_NAME;
        } else {
            SSLSocket ssl = Tls.openClient(punchable(), address, server.pin(), timeout);
            socket = ssl;
            name = Fingerprint.of((X509Certificate) ssl.getSession().getPeerCertificates()[0]).hex();
        }
        ControlClient c;
        try {
            c = new ControlClient(socket, address, name);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        try {
            c.login(identity, dialer, timeout);
            if (socket instanceof SSLSocket ssl) {
                Pinning.remember(ssl, server.pin());
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * A socket whose local port can be shared: direct connections listen and connect on the very
     * port the server saw this connection come from (its NAT mapping), so it is bound with
     * SO_REUSEADDR and SO_REUSEPORT before it connects.
     */
    private static Socket punchable() throws IOException {
        Socket s = new Socket();
        try {
            s.setReuseAddress(true);
            try {
                s.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
            } catch (UnsupportedOperationException e) {
                // not on this platform: direct attempts then use other ports and mostly fail; the relay remains
            }
            s.bind(null);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void login(Identity identity, boolean dialer, Duration timeout) throws IOException {
        send(identity == null ? Connect.anonymous() : dialer ? Connect.dialer(Bytes.of(identity.publicKey().bytes()))
                : Connect.identity(Bytes.of(identity.publicKey().bytes())));
        if (identity != null) {
            Packet p = next(timeout);
            if (!(p instanceof Challenge c)) {
                throw new ControlException("the server answered the login with " + p.getClass().getSimpleName());
            }
            send(new ChallengeResponse(Bytes.of(identity.signChallenge(c.nonce().toByteArray(), serverName))));
        }
        Packet p = next(timeout);
        if (!(p instanceof Connected connected)) {
            throw new ControlException("the server answered the login with " + p.getClass().getSimpleName());
        }
        stunPort = connected.stunPort();
        if (identity != null) {
            Packet s = next(timeout);
            if (!(s instanceof LoginState state)) {
                throw new ControlException("the server sent " + s.getClass().getSimpleName() + " instead of its login state");
            }
            loginState = state;
        }
    }

    /** After an identity login: the last request sequence the server accepted and the last event order it gave. */
    public LoginState loginState() {
        return loginState;
    }

    /** The control server's address as connected. */
    /** The port of the server's STUN responder, as CONNECTED said (0: it runs none). */
    public int stunPort() {
        return stunPort;
    }

    public InetSocketAddress server() {
        return server;
    }

    /** Our end of the control connection (its local port is the one direct connections reuse). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public synchronized void send(Packet p) throws IOException {
        ControlWire.write(out, p);
        out.flush();
    }

    /**
     * The next packet from the server other than PING, waiting up to {@code timeout}.
     *
     * @throws SocketTimeoutException   nothing came in time (the session stays usable)
     * @throws ControlClosedException   the session ended
     */
    public Packet next(Duration timeout) throws IOException {
        Object o = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (o == null) {
                o = inbox.poll();
                if (o == null && ended) {
                    o = inbox.poll(); // the reader may have queued a last packet just before it ended
                    if (o == null) {
                        o = END;
                    }
                    break;
                }
                long left = deadline - System.nanoTime();
                if (o == null && left <= 0) {
                    throw new SocketTimeoutException("the server at " + HostPort.format(server) + " sent nothing for "
                            + timeout.toMillis() + " ms");
                }
                if (o == null) {
                    o = inbox.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the server");
        }
        if (o == END) {
            String r = endReason;
            throw new ControlClosedException(r, r == null
                    ? "the server at " + HostPort.format(server) + " closed the connection"
                    : "the server at " + HostPort.format(server) + " ended the session: " + r);
        }
        return (Packet) o;
    }

    private void readLoop(InputStream in) {
        try {
            while (true) {
                Frame f = ControlWire.read(in);
                if (f == null) {
                    break;
                }
                switch (f) {
                    case Unknown u -> { } // a newer server's packet
                    case Ping p -> send(new Pong(p.id()));
                    case Disconnect d -> {
                        endReason = dev.tryst.wire.Printable.of(d.reason()); // shown to a person, as the server put it
                        return;
                    }
                    case ControlWire.RoomMessage m -> inbox.offer(m); // dropped when nobody keeps up
                    case Packet p -> inbox.put(p);
                }
            }
        } catch (EOFException | ControlException e) {
            endReason = endReason == null ? "broken frame from the server: " + e.getMessage() : endReason;
        } catch (IOException e) {
            // closed locally, or the connection broke: next() reports it
        } catch (InterruptedException e) {
            // closing
        } finally {
            ended = true;
            inbox.offer(END);
        }
    }

    /** Says goodbye (DISCONNECT) and closes; idempotent. */
    @Override
    public void close() {
        try {
            if (!socket.isClosed()) {
                synchronized (this) {
                    ControlWire.write(out, new Disconnect("Bye"));
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
        reader.interrupt(); // it may wait for room in a full queue nobody reads any more
        try {
            reader.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
