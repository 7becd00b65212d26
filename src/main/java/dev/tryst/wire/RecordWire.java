package dev.tryst.wire;

/**
 * The record format of the encrypted channel: every constant of the wire in one place.
 *
 * <pre>
 *  0        1                          4
 *  +--------+--------------------------+----------------------------+------------+
 *  |  type  |  length (u24, big-endian)|  ciphertext (length - 16)  |  tag (16)  |
 *  +--------+--------------------------+----------------------------+------------+
 *  \___ header: 4 bytes, the AEAD's associated data ___/
 *
 *  type    0x01 DATA       payload is application bytes (1 .. 65536)
 *          0x02 CLOSE      empty payload: the sender's clean end of stream
 *          0x03 KEEPALIVE  empty payload: "still here"; consumed by the channel, never handed out
 *  length  ciphertext + tag, 16 .. 65552; anything else is refused before reading the body
 *  nonce   iv XOR (0x00000000 || counter as u64 big-endian), counter = 0, 1, 2 ... per direction
 *  cipher  AES-256-GCM, 16-byte tag
 * </pre>
 *
 * Each direction has its own key and iv (see {@link Handshake}), so a record reflected back to its
 * sender fails authentication; the implicit counter makes a replayed, dropped or reordered record
 * fail too. A stream that ends without an authenticated CLOSE is a cut, never a clean end.
 * Every {@value #REKEY_INTERVAL} records a direction's key is replaced by
 * HKDF-Expand(key, "tryst/v1 rekey", 32), well inside AES-GCM's usage limits.
 */
public final class RecordWire {
    private RecordWire() {}

    public static final int HEADER_LENGTH = 4;
    public static final int TAG_LENGTH = 16;
    public static final int NONCE_LENGTH = 12;
    public static final int KEY_LENGTH = 32;
    /** Largest plaintext in one record: 64 KiB. */
    public static final int MAX_PLAINTEXT = 64 * 1024;
    /** Largest length field: a full record's ciphertext plus its tag. */
    public static final int MAX_BODY = MAX_PLAINTEXT + TAG_LENGTH;
    public static final int MAX_RECORD = HEADER_LENGTH + MAX_BODY;

    public static final byte TYPE_DATA = 0x01;
    public static final byte TYPE_CLOSE = 0x02;
    public static final byte TYPE_KEEPALIVE = 0x03;
    /**
     * The last record of one direction on a path the session is leaving (empty, authenticated like
     * any other): the sender's next record is the first on the path chosen with PATH_MOVE, so the
     * reader switches there between two records and nothing is lost, doubled or reordered.
     */
    public static final byte TYPE_MOVE = 0x04;

    /** Records per key before the key is ratcheted forward (2^24, TLS 1.3's AES-GCM margin). */
    public static final long REKEY_INTERVAL = 1L << 24;
    /** Records per direction after which the channel refuses to go on (nonce space kept far from wrapping). */
    public static final long MAX_RECORDS = 1L << 48;

    public static final String REKEY_LABEL = "tryst/v1 rekey";
}
