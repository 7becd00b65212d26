package dev.tryst.wire;

/**
 * The relay's wire format, which is almost nothing.
 *
 * <p>A client opens a TCP connection to the relay (default port {@value #DEFAULT_PORT}) and sends:
 *
 * <pre>
 *  0                                 33                                   ...
 *  +---------------------------------+--------------------------------------+
 *  |  pairing key (33 bytes, opaque) |  payload bytes, piped to the peer    |
 *  +---------------------------------+--------------------------------------+
 * </pre>
 *
 * <p>The relay never sends anything of its own: no greeting, no status byte, no error. The first
 * connection presenting a key waits; the second connection presenting the same key is stapled to
 * it, and from then on every byte after the key is copied blindly to the other side, in both
 * directions, including any payload bytes the client sent together with its key. A half-close
 * (shutdown of one side's output) is passed on to the other side. When both sides have closed,
 * or either side errors, or the pair idles out, both connections are closed. A connection that is
 * refused (limits, key already stapled, timeouts) is simply closed; the client sees EOF or a reset.
 */
public final class RelayWire {
    /** Length of the pairing key every client sends first. */
    public static final int PAIRING_KEY_LENGTH = 33;
    /** Default TCP port of the relay. */
    public static final int DEFAULT_PORT = 8080;

    private RelayWire() {}
}
