package dev.tryst.channel;

import dev.tryst.wire.PathProofWire;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.security.SecureRandom;

/**
 * What a path needs from whoever agreed the keys with the peer: a way to prove one connection (or
 * UDP socket) to that peer, whatever the key source — the SPAKE2 agreement of a code
 * ({@link Handshake.Agreed}) today, an identity-keyed handshake next. The race of paths, direct TCP,
 * the relay, its fallback and UDP punching ({@code dev.tryst.path}, {@code dev.tryst.punch}) know
 * only this interface.
 *
 * <p>The contract every implementation keeps (see {@link PathProofWire} for the SPAKE2 bytes):
 * both sides contribute a fresh nonce to each proof, so no two paths, nor a replayed one, share
 * keys; the responder reveals its proof only to someone who proved the keys first; a stranger who
 * holds no key learns nothing it can use on another connection; exactly one proven path is chosen,
 * by the initiator, with an authenticated choice. The keys stay usable for further paths (a
 * fallback later) until closed.
 */
public interface PathKeys extends AutoCloseable {
    /** Which side we are: the initiator chooses the path. */
    Handshake.Role role();

    /**
     * Proves {@code io} as a path to the peer.
     *
     * @throws WrongCodeException the other end does not hold the same keys: a wrong code, or not our peer
     */
    default ProvenPath prove(ByteChannel io, SecureRandom random) throws IOException {
        return prove(io, random, NO_BINDING);
    }

    /**
     * Proves {@code io} as a path to the peer, the proof covering {@code binding} too: what the
     * layer below says about this connection (a QUIC path: both ends' certificates). The two ends
     * pass only if they saw the same binding, so nobody who stands between them in that layer
     * passes; an empty binding proves exactly as {@link #prove(ByteChannel, SecureRandom)}.
     *
     * @throws WrongCodeException the other end does not hold the same keys, or saw another binding
     */
    ProvenPath prove(ByteChannel io, SecureRandom random, byte[] binding) throws IOException;

    /** The binding of a path with nothing below it to bind (TCP, the relay). */
    byte[] NO_BINDING = new byte[0];

    /** The key that authenticates UDP punch packets between the two peers (32 bytes). */
    byte[] punchKey();

    /**
     * Who it is, in words, when a path's proof failed with someone holding the path's meeting key
     * (at the relay): for a code, someone other than the peer; for an identity, whoever could not
     * prove to be it.
     */
    default String stranger() {
        return "someone other than the other side";
    }

    /** Forgets the keys. */
    @Override
    void close();

    /** One proven path, waiting to be chosen or dropped. */
    interface ProvenPath {
        /** Initiator: chooses this path to carry the session. */
        void select(ByteChannel io) throws IOException;

        /** Initiator: chooses this path to move the running session onto (PATH_MOVE). */
        void selectMove(ByteChannel io) throws IOException;

        /**
         * Responder: waits for the initiator's choice of this path; anything else is a {@link WrongCodeException}.
         *
         * @return false: the session starts here (PATH_SELECT); true: the running session moves here (PATH_MOVE)
         */
        boolean awaitSelect(ByteChannel io) throws IOException;

        /** The record channel of this path, with keys of its own. */
        SecureChannel channel(ByteChannel io);
    }
}
