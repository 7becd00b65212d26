package dev.tryst.identity;

import dev.tryst.channel.Handshake;
import dev.tryst.channel.SecureChannel;
import dev.tryst.wire.Bytes;
import dev.tryst.wire.PairWire;
import dev.tryst.wire.WireException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * The identity exchange of `tryst pair` over a code's proven session ({@link PairWire}): each
 * side learns the other's key and suggested name, each proven by a signature over the other's
 * fresh nonce. Storing the contact, and saying so, is the caller's ({@link #tell}, {@link #awaitTold}).
 */
public final class Pairing {
    private Pairing() {}

    /** The other side: its key, proven, and the name it suggests. */
    public record Peer(IdentityKey key, String suggestedName) {}

    /** Sends our nonce, then our identity; reads and checks theirs. */
    public static Peer exchange(SecureChannel ch, Handshake.Role role, Identity me, String ourName, SecureRandom random)
            throws IOException {
        byte[] mine = new byte[PairWire.NONCE_LENGTH];
        random.nextBytes(mine);
        Bytes ownNonce = Bytes.of(mine);
        ch.send(PairWire.encode(new PairWire.Nonce(ownNonce)));
        if (!(read(ch) instanceof PairWire.Nonce(Bytes theirNonce))) {
            throw new WireException("the other side did not begin the pairing with its nonce");
        }
        Bytes binding = Bytes.of(ch.exporter());
        Bytes key = Bytes.of(me.publicKey().bytes());
        byte[] sig = me.sign(PairWire.signed(roleByte(role), binding, theirNonce, ownNonce, key, ourName));
        ch.send(PairWire.encode(new PairWire.IdentityMessage(key, ourName, Bytes.of(sig))));
        if (!(read(ch) instanceof PairWire.IdentityMessage theirs)) {
            throw new WireException("the other side did not send its identity");
        }
        IdentityKey peer;
        try {
            peer = IdentityKey.of(theirs.key().toByteArray());
        } catch (IllegalArgumentException e) {
            throw new WireException("the other side's identity is not a valid key: " + e.getMessage());
        }
        byte[] signed = PairWire.signed(roleByte(role.other()), binding, ownNonce, theirNonce, theirs.key(), theirs.name());
        if (!Identity.verify(peer, signed, theirs.signature().toByteArray())) {
            throw new WireException("the other side's identity is not proven: its signature does not verify");
        }
        if (peer.equals(me.publicKey())) {
            throw new WireException("the other side has this very identity (the same identity file on both machines?)");
        }
        return new Peer(peer, theirs.name());
    }

    /** Tells the other side we stored it (reason null), or why not. */
    public static void tell(SecureChannel ch, String notStored) throws IOException {
        ch.send(PairWire.encode(notStored == null ? new PairWire.Stored() : new PairWire.NotStored(notStored)));
    }

    /** The other side's word: null if it stored us, else its reason. */
    public static String awaitTold(SecureChannel ch) throws IOException {
        return switch (read(ch)) {
            case PairWire.Stored s -> null;
            case PairWire.NotStored n -> n.reason();
            default -> throw new WireException("the other side sent something else than whether it stored us");
        };
    }

    private static PairWire.Message read(SecureChannel ch) throws IOException {
        ByteBuffer r = ch.receive();
        if (r == null) {
            throw new IOException("the other side ended the pairing early");
        }
        return PairWire.decode(r);
    }

    private static byte roleByte(Handshake.Role role) {
        return role == Handshake.Role.INITIATOR ? (byte) 1 : (byte) 2;
    }
}
