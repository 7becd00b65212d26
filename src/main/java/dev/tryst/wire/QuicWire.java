package dev.tryst.wire;

/**
 * A direct path over UDP: QUIC (RFC 9000, TLS 1.3 per RFC 9001) on the socket that punched the
 * path ({@link PunchWire}). Every constant tryst chooses for it is here; the bytes on the wire are
 * QUIC's own.
 *
 * <pre>
 *  roles        the initiator (the sender of a code) is the QUIC client, the responder the server
 *  ALPN         "tryst/1"
 *  certificates each side a fresh ECDSA P-256 key and a self-signed certificate, for this path only;
 *               the server asks for the client's (mutual TLS); no certificate authority, no name
 *  streams      the client opens one bidirectional stream (the server sees it with its first bytes,
 *               the initiator's first proof message); it carries the path proof
 *               ({@link PathProofWire} or {@link PeerPathWire}) and then records, as a TCP path does
 *  binding      B = SHA-256("tryst/v1 quic certs" ‖ SHA-256(client certificate DER) ‖ SHA-256(server certificate DER))
 *               the path proof covers B: for a code the path id is nI ‖ nR ‖ B, for an identity
 *               B is appended to the Noise prologue; an end that showed another certificate than
 *               the peer's (a man in the middle of the UDP path) cannot pass the proof
 *  transport    max UDP payload 1350 bytes; stream window {@value #STREAM_WINDOW} bytes, connection
 *               window {@value #CONNECTION_WINDOW}; 1 bidirectional stream each way at most; no
 *               active migration; QUIC idle timeout {@value #IDLE_SECONDS} s (the session's own watchdog
 *               and keepalives decide sooner)
 * </pre>
 *
 * Before the QUIC codec sees a datagram, every one not from the peer's punched address is
 * dropped, and so is every late punch packet ({@link PunchWire#MAGIC}, {@value PunchWire#LENGTH} bytes).
 */
public final class QuicWire {
    private QuicWire() {}

    public static final String ALPN = "tryst/1";
    public static final String BINDING = "tryst/v1 quic certs";
    public static final int BINDING_LENGTH = 32;
    public static final int MAX_UDP_PAYLOAD = 1350;
    public static final long STREAM_WINDOW = 16L << 20;
    public static final long CONNECTION_WINDOW = 32L << 20;
    public static final int IDLE_SECONDS = 120;
}
