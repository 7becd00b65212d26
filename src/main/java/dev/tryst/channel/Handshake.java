package dev.tryst.channel;

import dev.tryst.wire.MeetingWire;
import dev.tryst.wire.PathProofWire;
import dev.tryst.wire.RecordWire;
import dev.tryst.pake.PakeException;
import dev.tryst.pake.Spake2;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Turns a byte stream between two peers who share a password (the code phrase) into a
 * {@link SecureChannel}: SPAKE2, then key confirmation, then per-direction traffic keys.
 *
 * <pre>
 *  both sides, at once                      HELLO, 39 bytes
 *  +----+----+----+----+---------+------+---------------------------------------+
 *  | 'T'| 'R'| 'Y'| 'S'| version | role | SPAKE2 symmetric message (33 bytes)   |
 *  +----+----+----+----+---------+------+---------------------------------------+
 *                         0x01     0x01 initiator (made the code) / 0x02 responder
 *
 *  then both sides, at once                 CONFIRM, 32 bytes
 *  +--------------------------------------------------------------------------+
 *  | HKDF-Expand(prk, "tryst/v1 confirm initiator" or "... responder", 32)    |
 *  +--------------------------------------------------------------------------+
 *
 *  K          = SPAKE2 key (symmetric mode, idSymmetric "tryst/v1", password = the code)
 *  transcript = HELLO(initiator) || HELLO(responder)
 *  prk        = HKDF-Extract(salt = SHA-256(transcript), ikm = K)
 *  keys       = HKDF-Expand(prk, "tryst/v1 key initiator->responder", 32), "... iv ...", 12,
 *               and the same for responder->initiator
 * </pre>
 *
 * Each side sends its confirmation before checking the peer's, so both learn of a mismatch. The
 * labels differ by role, so a peer that echoes our own HELLO and CONFIRM back fails, and so does
 * a second peer of the same role (the HELLO's role byte catches that before any confirmation is
 * sent). A wrong password gives a different K and so a different confirmation: {@link WrongCodeException}.
 *
 * <p>Through a rendezvous room the confirmation has its own label, {@link Agreed#roomConfirmation}
 * (bytes and order in {@link MeetingWire}), and comes before either side tells the other where it
 * is. There the responder confirms first and the initiator, whose room anyone may join, answers
 * only after checking it (with a REJECT if it did not match), so a joiner without the words
 * learns nothing derived from the key.
 */
public final class Handshake {
    private Handshake() {}

    public static final byte[] MAGIC = {'T', 'R', 'Y', 'S'};
    public static final byte VERSION = 1;
    public static final int HELLO_LENGTH = MAGIC.length + 2 + Spake2.MESSAGE_LENGTH;
    public static final int CONFIRM_LENGTH = 32;
    public static final byte[] SPAKE2_ID = "tryst/v1".getBytes(StandardCharsets.US_ASCII);
    /** Key confirmation on the path that will carry the session (relay-only mode), then the role's label. */
    static final String CONFIRM = "tryst/v1 confirm ";
    /** Key confirmation through a rendezvous room ({@link MeetingWire}), then the role's label. */
    static final String ROOM_CONFIRM = "tryst/v1 room confirm ";

    /** Which side of the session we are: the one that made the code, or the one that typed it. */
    public enum Role {
        INITIATOR((byte) 1, "initiator"),
        RESPONDER((byte) 2, "responder");

        final byte wire;
        final String label;

        Role(byte wire, String label) {
            this.wire = wire;
            this.label = label;
        }

        public Role other() {
            return this == INITIATOR ? RESPONDER : INITIATOR;
        }
    }

    /** The HELLO we will send; the caller may write it early (for instance right behind a relay pairing key). */
    public static final class Start {
        private final Spake2 spake;
        private final Role role;
        private final byte[] hello;

        private Start(Spake2 spake, Role role) {
            this.spake = spake;
            this.role = role;
            this.hello = new byte[HELLO_LENGTH];
            System.arraycopy(MAGIC, 0, hello, 0, MAGIC.length);
            hello[4] = VERSION;
            hello[5] = role.wire;
            System.arraycopy(spake.message(), 0, hello, 6, Spake2.MESSAGE_LENGTH);
        }

        public byte[] hello() {
            return hello.clone();
        }
    }

    /**
     * Loads and exercises the handshake's crypto (SecureRandom seeding, curve tables, SPAKE2) on a
     * background thread, so a command-line run overlaps that cold-start cost (~100 ms on a fresh
     * JVM here) with parsing the code and connecting. Harmless to call more than once.
     */
    public static void warmUp() {
        Thread.ofPlatform().daemon().name("tryst-warmup").start(() -> {
            SecureRandom r = new SecureRandom();
            Spake2.startSymmetric(new byte[1], SPAKE2_ID, r);
            Hkdf.expand(Hkdf.extract(new byte[32], new byte[32]), "tryst/v1 warm-up", 32);
        });
    }

    public static Start start(Role role, byte[] password, SecureRandom random) {
        return new Start(Spake2.startSymmetric(password, SPAKE2_ID, random), role);
    }

    /** Runs the whole handshake: writes our HELLO, then {@link #finish}. */
    public static SecureChannel run(ByteChannel io, Role role, byte[] password, SecureRandom random) throws IOException {
        Start start = start(role, password, random);
        writeHello(io, start);
        return finish(io, start);
    }

    public static void writeHello(ByteChannel io, Start start) throws IOException {
        writeFully(io, start.hello);
    }

    /** Completes a handshake whose HELLO has already been written to {@code io}. */
    public static SecureChannel finish(ByteChannel io, Start start) throws IOException {
        return confirm(io, agree(start, readFully(io, HELLO_LENGTH, "its handshake")));
    }

    /**
     * The outcome of SPAKE2, before key confirmation: a shared secret that is right only if both
     * sides used the same code. Either confirmed once on the path that will carry the session
     * ({@link #confirm}, relay-only mode), or used to prove candidate paths ({@link PathKeys}:
     * rendezvous mode; bytes in {@link PathProofWire}).
     */
    public static final class Agreed implements PathKeys {
        private final Role role;
        private byte[] prk;

        private Agreed(Role role, byte[] prk) {
            this.role = role;
            this.prk = prk;
        }

        private synchronized byte[] prk() {
            if (prk == null) {
                throw new IllegalStateException("this key agreement was already used or destroyed");
            }
            return prk;
        }

        @Override
        public Role role() {
            return role;
        }

        /**
         * Proves one candidate path, up to the initiator's choice ({@link PathProofWire}). The
         * responder reveals its confirmation only to someone who proved the key first.
         *
         * @throws WrongCodeException the other end's confirmation does not match: a wrong code, or not our peer
         */
        @Override
        public ProvenPath prove(ByteChannel io, SecureRandom random, byte[] binding) throws IOException {
            byte[] k = prk();
            byte[] mine = new byte[PathProofWire.NONCE_LENGTH];
            random.nextBytes(mine);
            byte[] id;
            if (role == Role.INITIATOR) {
                writeFully(io, mine);
                id = concat(concat(mine, readFully(io, PathProofWire.NONCE_LENGTH, "its path nonce")), binding);
                writeFully(io, Hkdf.expand(k, label(PathProofWire.CONFIRM_INITIATOR, id), PathProofWire.CONFIRM_LENGTH));
                check(io, Hkdf.expand(k, label(PathProofWire.CONFIRM_RESPONDER, id), PathProofWire.CONFIRM_LENGTH),
                        PathProofWire.CONFIRM_LENGTH, "its path confirmation");
            } else {
                byte[] theirs = readFully(io, PathProofWire.NONCE_LENGTH, "its path nonce");
                writeFully(io, mine);
                id = concat(concat(theirs, mine), binding);
                byte[] expected = Hkdf.expand(k, label(PathProofWire.CONFIRM_INITIATOR, id), PathProofWire.CONFIRM_LENGTH);
                if (!MessageDigest.isEqual(expected, readFully(io, PathProofWire.CONFIRM_LENGTH, "its path confirmation"))) {
                    writeFully(io, PathProofWire.reject()); // tells a peer with another code, reveals nothing
                    throw new WrongCodeException();
                }
                writeFully(io, Hkdf.expand(k, label(PathProofWire.CONFIRM_RESPONDER, id), PathProofWire.CONFIRM_LENGTH));
            }
            return new Proven(id);
        }

        /**
         * Our key confirmation through the room ({@link MeetingWire}), before either side tells
         * the other where it is. Labelled with our role, so a room that echoes it back does not
         * pass, and apart from {@link #confirm}'s and the path proofs' labels, so it stands in for neither.
         */
        public byte[] roomConfirmation() {
            return Hkdf.expand(prk(), ROOM_CONFIRM + role.label, MeetingWire.CONFIRM_LENGTH);
        }

        /** Whether {@code theirs} is the peer's confirmation through the room; false: another code (a REJECT never is). */
        public boolean confirmsRoom(byte[] theirs) {
            byte[] expected = Hkdf.expand(prk(), ROOM_CONFIRM + role.other().label, MeetingWire.CONFIRM_LENGTH);
            return MessageDigest.isEqual(expected, theirs);
        }

        @Override
        public byte[] punchKey() {
            return Hkdf.expand(prk(), PathProofWire.PUNCH, 32);
        }

        /** Forgets the secret. */
        @Override
        public synchronized void close() {
            if (prk != null) {
                Arrays.fill(prk, (byte) 0);
                prk = null;
            }
        }

        /** A proven path: its id (nI ‖ nR ‖ binding) under this agreement. */
        private final class Proven implements ProvenPath {
            private final byte[] id;

            Proven(byte[] id) {
                this.id = id;
            }

            private byte[] choice(String label) {
                return Hkdf.expand(prk(), label(label, id), PathProofWire.SELECT_LENGTH);
            }

            @Override
            public void select(ByteChannel io) throws IOException {
                writeFully(io, choice(PathProofWire.SELECT));
            }

            @Override
            public void selectMove(ByteChannel io) throws IOException {
                writeFully(io, choice(PathProofWire.MOVE));
            }

            @Override
            public boolean awaitSelect(ByteChannel io) throws IOException {
                byte[] got = readFully(io, PathProofWire.SELECT_LENGTH, "its choice of path");
                boolean first = MessageDigest.isEqual(choice(PathProofWire.SELECT), got);
                if (!first && !MessageDigest.isEqual(choice(PathProofWire.MOVE), got)) {
                    throw new WrongCodeException();
                }
                return !first;
            }

            @Override
            public SecureChannel channel(ByteChannel io) {
                return Handshake.channel(io, prk(), role, PathProofWire.KEYS, id);
            }
        }
    }

    /**
     * The traffic keys of both directions: HKDF-Expand(prk, prefix "key " | "iv " direction ‖ suffix),
     * direction "initiator->responder" or "responder->initiator" (§4 and §9 of PROTOCOL.md).
     */
    public static SecureChannel channel(ByteChannel io, byte[] prk, Role role, String prefix, byte[] suffix) {
        String out = role.label + "->" + role.other().label;
        String back = role.other().label + "->" + role.label;
        RecordCipher sealer = RecordCipher.sealer(
                Hkdf.expand(prk, label(prefix + "key " + out, suffix), RecordWire.KEY_LENGTH),
                Hkdf.expand(prk, label(prefix + "iv " + out, suffix), RecordWire.NONCE_LENGTH));
        RecordCipher opener = RecordCipher.opener(
                Hkdf.expand(prk, label(prefix + "key " + back, suffix), RecordWire.KEY_LENGTH),
                Hkdf.expand(prk, label(prefix + "iv " + back, suffix), RecordWire.NONCE_LENGTH));
        byte[] exporter = Hkdf.expand(prk, label(prefix + "exporter", suffix), 32); // the same on both ends
        return new SecureChannel(io, sealer, opener, exporter);
    }

    private static void check(ByteChannel io, byte[] expected, int n, String what) throws IOException {
        if (!MessageDigest.isEqual(expected, readFully(io, n, what))) {
            throw new WrongCodeException();
        }
    }

    private static byte[] label(String label, byte[] nonce) {
        return concat(label.getBytes(StandardCharsets.US_ASCII), nonce);
    }

    /**
     * Checks the peer's HELLO (which may have travelled another way, such as through a rendezvous
     * room) and finishes SPAKE2 with it.
     */
    public static Agreed agree(Start start, byte[] peerHello) throws ChannelException {
        if (peerHello.length != HELLO_LENGTH) {
            throw new ChannelException("the other side sent a handshake of " + peerHello.length + " bytes, not " + HELLO_LENGTH);
        }
        checkHello(peerHello, start);
        byte[] k;
        try {
            k = start.spake.finish(Arrays.copyOfRange(peerHello, 6, HELLO_LENGTH));
        } catch (PakeException e) {
            throw new ChannelException("the other side sent a broken handshake: " + e.getMessage(), e);
        }
        Role role = start.role;
        byte[] transcript = role == Role.INITIATOR ? concat(start.hello, peerHello) : concat(peerHello, start.hello);
        byte[] prk = Hkdf.extract(sha256(transcript), k);
        Arrays.fill(k, (byte) 0);
        return new Agreed(role, prk);
    }

    /**
     * Key confirmation over {@code io}, the path that will carry the session: both sides send
     * their role's confirmation, then check the other's; a mismatch is a {@link WrongCodeException}.
     * Then the traffic keys. {@code agreed} is spent by this call, whatever its outcome, so one
     * agreement can never key two paths (which would reuse nonces).
     */
    static SecureChannel confirm(ByteChannel io, Agreed agreed) throws IOException {
        byte[] prk;
        synchronized (agreed) {
            prk = agreed.prk();
            agreed.prk = null;
        }
        try {
            Role role = agreed.role;
            writeFully(io, Hkdf.expand(prk, CONFIRM + role.label, CONFIRM_LENGTH));
            byte[] expected = Hkdf.expand(prk, CONFIRM + role.other().label, CONFIRM_LENGTH);
            byte[] got = readFully(io, CONFIRM_LENGTH, "its key confirmation");
            if (!MessageDigest.isEqual(expected, got)) {
                throw new WrongCodeException();
            }
            return channel(io, prk, role, "tryst/v1 ", new byte[0]);
        } finally {
            Arrays.fill(prk, (byte) 0);
        }
    }

    private static void checkHello(byte[] peer, Start start) throws ChannelException {
        if (Arrays.equals(peer, start.hello)) {
            throw new ChannelException("our own handshake came back: the path reflects traffic");
        }
        if (!Arrays.equals(peer, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new ChannelException("the other end is not a tryst peer (its first bytes are not 'TRYS')");
        }
        if (peer[4] != VERSION) {
            throw new ChannelException("the other side speaks tryst protocol version " + (peer[4] & 0xff)
                    + ", this one speaks " + VERSION + "; update the older one");
        }
        if (peer[5] == start.role.wire) {
            throw new ChannelException(start.role == Role.INITIATOR
                    ? "the other side is also sending with this code: someone is using the same code; make a new one"
                    : "the other side is also receiving with this code; run 'send' on the other machine");
        }
        if (peer[5] != start.role.other().wire) {
            throw new ChannelException("the other side sent an unknown role " + (peer[5] & 0xff));
        }
    }

    public static void writeFully(ByteChannel io, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            io.write(b);
        }
    }

    /** Reads exactly {@code n} bytes; the end of the stream first is a {@link ChannelCutException} naming {@code what}. */
    public static byte[] readFully(ByteChannel io, int n, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        try {
            while (b.hasRemaining()) {
                if (io.read(b) < 0) {
                    throw new EOFException();
                }
            }
        } catch (IOException e) {
            throw new ChannelCutException("the other side hung up before sending " + what
                    + " (" + b.position() + " of " + n + " bytes)", e);
        }
        return b.array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
