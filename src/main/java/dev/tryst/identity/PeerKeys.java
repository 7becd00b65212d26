package dev.tryst.identity;

import dev.tryst.channel.ChannelException;
import dev.tryst.channel.Handshake;
import dev.tryst.channel.Hkdf;
import dev.tryst.channel.PathKeys;
import dev.tryst.channel.SecureChannel;
import dev.tryst.channel.WrongCodeException;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.PeerPathWire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * The {@link PathKeys} of a connection between two identities: each candidate path is proven by a
 * Noise IK handshake between their static keys with fresh ephemeral keys ({@link PeerPathWire}),
 * so the race of paths, the relay fallback and UDP punching work for contacts as they do for codes.
 *
 * <p>Who the peer is comes from our own contacts, never from the server: the initiator encrypts to
 * the key it named, and the responder takes only the key it expected for this request. A server
 * that swaps keys, endpoints or relay keys can make every path fail, never make a path succeed
 * with anyone else.
 */
public final class PeerKeys implements PathKeys {
    private final Handshake.Role role;
    private final Identity me;
    private final IdentityKey peer;
    private final String peerName;
    private final byte[] prologue;
    private final byte[] connectionId;
    private volatile boolean closed;

    private PeerKeys(Handshake.Role role, Identity me, IdentityKey peer, String peerName, Bytes connectionId) {
        this.role = role;
        this.me = Objects.requireNonNull(me, "me");
        this.peer = Objects.requireNonNull(peer, "peer");
        this.peerName = Objects.requireNonNull(peerName, "peerName");
        this.connectionId = connectionId.toByteArray();
        byte[] label = PeerPathWire.PROLOGUE.getBytes(StandardCharsets.US_ASCII);
        this.prologue = ByteBuffer.allocate(label.length + this.connectionId.length).put(label).put(this.connectionId).array();
    }

    /**
     * We asked for the connection: we prove ourselves first and choose the path.
     *
     * @param peer         the identity we named (from our contacts)
     * @param peerName     how to call it in messages
     * @param connectionId the pairing key the server gave both of us for this connection
     */
    public static PeerKeys initiator(Identity me, IdentityKey peer, String peerName, Bytes connectionId) {
        return new PeerKeys(Handshake.Role.INITIATOR, me, peer, peerName, connectionId);
    }

    /** We accepted {@code expected}'s request: only that identity's proof is taken. */
    public static PeerKeys responder(Identity me, IdentityKey expected, String peerName, Bytes connectionId) {
        return new PeerKeys(Handshake.Role.RESPONDER, me, expected, peerName, connectionId);
    }

    @Override
    public Handshake.Role role() {
        return role;
    }

    /** The identity on the other side. */
    public IdentityKey peer() {
        return peer;
    }

    @Override
    public ProvenPath prove(ByteChannel io, SecureRandom random, byte[] binding) throws IOException {
        if (closed) {
            throw new IllegalStateException("these peer keys were closed");
        }
        byte[] secret = me.x25519Private();
        byte[][] ephemeral = X25519.generate(random);
        NoiseIK noise = role == Handshake.Role.INITIATOR
                ? NoiseIK.initiator(bound(binding), secret, peer.toX25519(), ephemeral)
                : NoiseIK.responder(bound(binding), secret, ephemeral);
        Arrays.fill(secret, (byte) 0);
        Arrays.fill(ephemeral[0], (byte) 0);
        byte[] payload = {PeerPathWire.VERSION};
        try {
            if (role == Handshake.Role.INITIATOR) {
                Handshake.writeFully(io, noise.writeMessage1(payload));
                byte[] m2 = Handshake.readFully(io, PeerPathWire.MESSAGE_2_LENGTH, "its identity proof");
                try {
                    checkVersion(noise.readMessage2(m2));
                } catch (NoiseIK.NoiseException e) {
                    throw new WrongCodeException(peerName + " did not prove its identity on this path");
                }
            } else {
                byte[] m1 = Handshake.readFully(io, PeerPathWire.MESSAGE_1_LENGTH, "its identity proof");
                byte[] got;
                try {
                    got = noise.readMessage1(m1);
                } catch (NoiseIK.NoiseException e) {
                    Handshake.writeFully(io, PeerPathWire.reject());
                    throw new WrongCodeException("the other end's handshake was not made for us (a stranger, or not "
                            + peerName + ")");
                }
                if (!MessageDigest.isEqual(noise.remoteStatic(), peer.toX25519())) {
                    Handshake.writeFully(io, PeerPathWire.reject());
                    throw new WrongCodeException("the other end proved another identity than " + peerName
                            + "'s, whom the server named");
                }
                checkVersion(got);
                Handshake.writeFully(io, noise.writeMessage2(payload));
            }
            byte[] ck = noise.chainingKey();
            byte[] prk = Hkdf.extract(noise.handshakeHash(), ck);
            Arrays.fill(ck, (byte) 0);
            return new Proven(prk);
        } catch (NoiseIK.NoiseException e) {
            throw new ChannelException("the identity handshake failed: " + e.getMessage());
        } finally {
            noise.destroy();
        }
    }

    /** The Noise prologue of one path: the connection's, then the path's binding (none for TCP and the relay). */
    private byte[] bound(byte[] binding) {
        return binding.length == 0 ? prologue
                : ByteBuffer.allocate(prologue.length + binding.length).put(prologue).put(binding).array();
    }

    private static void checkVersion(byte[] payload) throws ChannelException {
        if (payload.length != 1 || payload[0] != PeerPathWire.VERSION) {
            throw new ChannelException("the other side speaks another version of the tryst peer protocol"
                    + (payload.length == 1 ? " (" + (payload[0] & 0xff) + ", this one " + PeerPathWire.VERSION + ")" : "")
                    + "; update the older one");
        }
    }

    @Override
    public byte[] punchKey() {
        byte[] secret = me.x25519Private();
        try {
            byte[] shared = X25519.dh(secret, peer.toX25519());
            byte[] prk = Hkdf.extract(connectionId, shared);
            Arrays.fill(shared, (byte) 0);
            return Hkdf.expand(prk, PeerPathWire.PUNCH, 32);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("an identity key is never of small order", e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    @Override
    public String stranger() {
        return "someone who could not prove to be " + peerName;
    }

    @Override
    public void close() {
        closed = true;
    }

    /** One path proven by a Noise handshake: its own pseudo-random key. */
    private final class Proven implements ProvenPath {
        private final byte[] prk;

        Proven(byte[] prk) {
            this.prk = prk;
        }

        private byte[] choice(String label) {
            return Hkdf.expand(prk, label, PeerPathWire.SELECT_LENGTH);
        }

        @Override
        public void select(ByteChannel io) throws IOException {
            Handshake.writeFully(io, choice(PeerPathWire.SELECT));
        }

        @Override
        public void selectMove(ByteChannel io) throws IOException {
            Handshake.writeFully(io, choice(PeerPathWire.MOVE));
        }

        @Override
        public boolean awaitSelect(ByteChannel io) throws IOException {
            byte[] got = Handshake.readFully(io, PeerPathWire.SELECT_LENGTH, "its choice of path");
            boolean first = MessageDigest.isEqual(choice(PeerPathWire.SELECT), got);
            if (!first && !MessageDigest.isEqual(choice(PeerPathWire.MOVE), got)) {
                throw new WrongCodeException(peerName + "'s choice of path did not verify");
            }
            return !first;
        }

        @Override
        public SecureChannel channel(ByteChannel io) {
            return Handshake.channel(io, prk, role, PeerPathWire.KEYS, new byte[0]);
        }
    }
}
