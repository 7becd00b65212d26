package dev.tryst.connect;

import dev.tryst.session.Session;
import dev.tryst.wire.PeerWire;
import dev.tryst.wire.WireException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a session between two identities is for, said once on its first path: the initiator asks
 * (SESSION_OPEN with a purpose), the responder accepts or refuses with a reason ({@link PeerWire}).
 */
public final class Opening {
    private Opening() {}

    /** The peer said no to the session, or to a stream: its reason is the message. */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    /** Initiator: asks for {@code purpose}; returns once accepted. */
    public static void ask(Session s, byte purpose, String peer) throws IOException {
        s.channel().send(PeerWire.encode(new PeerWire.SessionOpen(PeerWire.VERSION, purpose)));
        ByteBuffer answer = s.channel().receive();
        if (answer == null) {
            throw new IOException(peer + " ended the session without answering");
        }
        switch (PeerWire.decode(answer)) {
            case PeerWire.SessionAccepted a -> { }
            case PeerWire.SessionRefused r -> throw new RefusedException(peer + " refused: " + r.reason());
            default -> throw new WireException(peer + " answered the session's opening with something else");
        }
    }

    /** Responder: what the initiator asks for ({@link PeerWire#PURPOSE_STREAMS} or {@link PeerWire#PURPOSE_FILES}). */
    public static byte read(Session s, String peer) throws IOException {
        ByteBuffer first = s.channel().receive();
        if (first == null) {
            throw new IOException(peer + " ended the session before saying what it is for");
        }
        if (!(PeerWire.decode(first) instanceof PeerWire.SessionOpen open)) {
            throw new WireException(peer + " did not open the session with SESSION_OPEN");
        }
        if (open.version() != PeerWire.VERSION) {
            refuse(s, "this side speaks version " + PeerWire.VERSION + " of the peer protocol, not " + open.version());
            throw new WireException(peer + " speaks version " + open.version() + " of the peer protocol; update the older one");
        }
        return open.purpose();
    }

    public static void accept(Session s) throws IOException {
        s.channel().send(PeerWire.encode(new PeerWire.SessionAccepted()));
    }

    public static void refuse(Session s, String reason) throws IOException {
        String r = reason;
        while (r.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > PeerWire.MAX_REASON) {
            r = r.substring(0, r.length() - 16);
        }
        s.channel().send(PeerWire.encode(new PeerWire.SessionRefused(r)));
        s.channel().shutdownOutput();
    }
}
