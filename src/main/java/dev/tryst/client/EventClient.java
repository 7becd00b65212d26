package dev.tryst.client;

import dev.tryst.wire.Bytes;
import dev.tryst.wire.ControlException;
import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.Event;
import dev.tryst.wire.ControlWire.EventAck;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.Request;
import dev.tryst.wire.ControlWire.RequestError;
import dev.tryst.wire.ControlWire.Response;
import dev.tryst.wire.ControlWire.Resume;
import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * An identity's session on the ordered event channel (Cryptology's, kept and fixed): requests
 * carry the SEQUENCE that continues from the one the server reported at login and a REQUEST ID
 * that the answer echoes; events arrive in ORDER after {@link #resume}, and {@link #ack} lets the
 * server forget them. Not thread-safe: one caller at a time.
 */
public final class EventClient implements AutoCloseable {
    /** Largest message body {@link #sendMessage} accepts: a sealed message and its recipient fit one REQUEST. */
    public static final int MAX_MESSAGE = ControlWire.MAX_BLOB - ControlWire.ID_LENGTH - dev.tryst.identity.Sealed.OVERHEAD;

    private final ControlClient control;
    private final Identity identity;
    private final InstantSource clock;
    private long nextSequence;
    private long nextRequestId = 1;

    private EventClient(ControlClient control, Identity identity, InstantSource clock) {
        this.control = control;
        this.identity = identity;
        this.clock = clock;
        this.nextSequence = control.loginState().lastSequence() + 1;
    }

    /**
     * Logs {@code identity} in at {@code server}; {@code clock} dates the messages it seals
     * ({@link #sendMessage}: the time the recipient is shown, signed).
     */
    public static EventClient login(ControlClient.Server server, Identity identity, InstantSource clock, Duration timeout) throws IOException {
        Objects.requireNonNull(clock, "clock");
        return new EventClient(ControlClient.connect(server, identity, timeout), identity, clock);
    }

    public ControlClient control() {
        return control;
    }

    /** The id of the server's event store: orders kept from another store mean nothing here. */
    public Bytes storeId() {
        return control.loginState().storeId();
    }

    /** The last event order the server had given this identity at login. */
    public long lastOrderAtLogin() {
        return control.loginState().lastOrder();
    }

    /**
     * Thrown when the server refuses a message it understood: a bound of what it keeps (a full
     * inbox, a full store) or a spent sending budget; the message says which, in the server's words.
     */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    /**
     * Seals {@code text} to {@code recipient}, signed with this client's clock's time and a fresh
     * message id, and has the server store it; returns once the server has it on disk. Must not be
     * interleaved with {@link #nextEvent} after {@link #resume}.
     */
    public void sendMessage(IdentityKey recipient, byte[] text, Duration timeout) throws IOException {
        if (text.length > MAX_MESSAGE) {
            throw new IllegalArgumentException("a message holds at most " + MAX_MESSAGE + " bytes, not " + text.length);
        }
        byte[] sealed = dev.tryst.identity.Sealed.seal(identity, recipient, text, clock);
        byte[] body = new byte[ControlWire.ID_LENGTH + sealed.length];
        System.arraycopy(recipient.bytes(), 0, body, 0, ControlWire.ID_LENGTH);
        System.arraycopy(sealed, 0, body, ControlWire.ID_LENGTH, sealed.length);
        Response r;
        try {
            r = call(ControlWire.METHOD_SEND_MESSAGE, Bytes.of(body), timeout);
        } catch (ErrorAnswer e) {
            if (e.code == ControlWire.ERROR_NOT_AVAILABLE) { // a spent sending budget: the session ends, the user is told why
                throw new RefusedException("the server refused the message: " + e.text);
            }
            throw e;
        }
        if (r.status() != ControlWire.STATUS_OK) {
            throw new RefusedException("the server refused the message: " + new String(r.body().toByteArray(), StandardCharsets.UTF_8));
        }
    }

    /** One request, its answer. An ERROR from the server ends the session and is thrown with its text. */
    public Response call(int method, Bytes body, Duration timeout) throws IOException {
        long id = nextRequestId++;
        control.send(new Request(nextSequence++, id, method, body));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("the server did not answer request " + id + " within " + timeout.toMillis() + " ms");
            }
            Packet p = control.next(Duration.ofNanos(left));
            switch (p) {
                case Response r when r.requestId() == id -> {
                    return r;
                }
                case RequestError e -> throw new ErrorAnswer(e);
                default -> { } // not ours
            }
        }
    }

    /** An ERROR from the server, with its code and text. */
    private static final class ErrorAnswer extends ControlException {
        private static final long serialVersionUID = 1L;
        final int code;
        final String text;

        ErrorAnswer(RequestError e) {
            super("the server refused request " + e.requestId() + ": " + e.text() + " (error " + e.code() + ")");
            this.code = e.code();
            this.text = e.text();
        }
    }

    /** Asks for every event after {@code lastProcessedOrder}; the server forgets those up to it. */
    public void resume(long lastProcessedOrder) throws IOException {
        control.send(new Resume(lastProcessedOrder));
    }

    /** The next event, in order; other packets are skipped. */
    public Event nextEvent(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("no event within " + timeout.toMillis() + " ms");
            }
            Packet p = control.next(Duration.ofNanos(left));
            if (p instanceof Event e) {
                return e;
            }
            if (p instanceof RequestError e) {
                throw new ControlException("the server: " + e.text() + " (error " + e.code() + ")");
            }
        }
    }

    /** Every event up to {@code order} is processed (and recorded by the caller): the server may forget them. */
    public void ack(long order) throws IOException {
        control.send(new EventAck(order));
    }

    @Override
    public void close() {
        control.close();
    }
}
