package dev.tryst.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Pairing two identities with a code (`tryst pair`): after the code's session is proven (SPAKE2,
 * §3 and §9 of PROTOCOL.md), each side sends, one message per record:
 *
 * <pre>
 *  0x01 NONCE       16 random bytes                                        both, first
 *  0x02 IDENTITY    key (32) | name length u8 (1 .. 63) | name (UTF-8) | signature (64)    both, then
 *  0x03 STORED      (empty): the other is now a contact here               both, last
 *  0x04 NOT_STORED  reason, UTF-8, rest of the record (0 .. 1 024 bytes)   instead of STORED
 *
 *  signature = Ed25519(key, "tryst/v1 pair" ‖ 0x00 ‖ role u8 (1 initiator, 2 responder)
 *                           ‖ channel binding (32) ‖ the other's nonce (16) ‖ own nonce (16) ‖ key (32) ‖ name)
 *  channel binding = the session channel's exporter: HKDF-Expand(prk, keys prefix ‖ "exporter" ‖ path id, 32)
 * </pre>
 *
 * The name is the one the sender suggests to be called by. The signature proves the sender holds
 * the key it names, in this very exchange: the other's fresh nonce is in it, so an IDENTITY from
 * another pairing cannot be replayed here, and so is the channel binding, so whoever holds two
 * codes cannot relay two pairings into each other (each side would store the other's key while
 * believing it paired with the relayer).
 */
public final class PairWire {
    private PairWire() {}

    public static final byte NONCE = 0x01;
    public static final byte IDENTITY = 0x02;
    public static final byte STORED = 0x03;
    public static final byte NOT_STORED = 0x04;
    public static final int NONCE_LENGTH = 16;
    public static final int BINDING_LENGTH = 32;
    public static final int KEY_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;
    public static final int MAX_NAME = 63;
    public static final int MAX_REASON = 1024;
    public static final String LABEL = "tryst/v1 pair";

    public sealed interface Message permits Nonce, IdentityMessage, Stored, NotStored {}

    public record Nonce(Bytes nonce) implements Message {
        public Nonce {
            if (nonce.length() != NONCE_LENGTH) {
                throw new IllegalArgumentException("a pairing nonce is " + NONCE_LENGTH + " bytes");
            }
        }
    }

    public record IdentityMessage(Bytes key, String name, Bytes signature) implements Message {
        public IdentityMessage {
            int n = name.getBytes(StandardCharsets.UTF_8).length;
            if (key.length() != KEY_LENGTH || signature.length() != SIGNATURE_LENGTH || n < 1 || n > MAX_NAME) {
                throw new IllegalArgumentException("an IDENTITY is a 32-byte key, a 1 to 63 byte name and a 64-byte signature");
            }
        }
    }

    public record Stored() implements Message {}

    public record NotStored(String reason) implements Message {
        public NotStored {
            if (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON) {
                throw new IllegalArgumentException("a reason is at most " + MAX_REASON + " bytes");
            }
        }
    }

    /** The bytes an IDENTITY's signature covers. */
    public static byte[] signed(byte role, Bytes binding, Bytes theirNonce, Bytes ownNonce, Bytes key, String name) {
        if (binding.length() != BINDING_LENGTH) {
            throw new IllegalArgumentException("a channel binding is " + BINDING_LENGTH + " bytes");
        }
        byte[] label = LABEL.getBytes(StandardCharsets.US_ASCII);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(label.length + 2 + BINDING_LENGTH + 2 * NONCE_LENGTH + KEY_LENGTH + n.length).put(label)
                .put((byte) 0).put(role).put(binding.toByteArray()).put(theirNonce.toByteArray()).put(ownNonce.toByteArray())
                .put(key.toByteArray()).put(n).array();
    }

    public static byte[] encode(Message m) {
        return switch (m) {
            case Nonce x -> ByteBuffer.allocate(1 + NONCE_LENGTH).put(NONCE).put(x.nonce().toByteArray()).array();
            case IdentityMessage i -> {
                byte[] n = i.name().getBytes(StandardCharsets.UTF_8);
                yield ByteBuffer.allocate(1 + KEY_LENGTH + 1 + n.length + SIGNATURE_LENGTH).put(IDENTITY)
                        .put(i.key().toByteArray()).put((byte) n.length).put(n).put(i.signature().toByteArray()).array();
            }
            case Stored s -> new byte[] {STORED};
            case NotStored x -> {
                byte[] r = x.reason().getBytes(StandardCharsets.UTF_8);
                yield ByteBuffer.allocate(1 + r.length).put(NOT_STORED).put(r).array();
            }
        };
    }

    public static Message decode(ByteBuffer record) throws WireException {
        ByteBuffer b = record.slice();
        try {
            byte type = b.get();
            Message m = switch (type) {
                case NONCE -> new Nonce(bytes(b, NONCE_LENGTH));
                case IDENTITY -> {
                    Bytes key = bytes(b, KEY_LENGTH);
                    int n = b.get() & 0xff;
                    if (n < 1 || n > MAX_NAME) {
                        throw new WireException("a pairing name of " + n + " bytes");
                    }
                    String name = text(bytes(b, n).toByteArray());
                    yield new IdentityMessage(key, name, bytes(b, SIGNATURE_LENGTH));
                }
                case STORED -> new Stored();
                case NOT_STORED -> {
                    if (b.remaining() > MAX_REASON) {
                        throw new WireException("a reason of " + b.remaining() + " bytes");
                    }
                    yield new NotStored(Printable.of(text(bytes(b, b.remaining()).toByteArray()))); // shown to a person
                }
                default -> throw new WireException("unknown pairing message type 0x" + Integer.toHexString(type & 0xff));
            };
            if (b.hasRemaining()) {
                throw new WireException("a pairing message with " + b.remaining() + " bytes too many");
            }
            return m;
        } catch (java.nio.BufferUnderflowException e) {
            throw new WireException("a pairing message is too short");
        }
    }

    private static Bytes bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return Bytes.of(out);
    }

    private static String text(byte[] utf8) throws WireException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new WireException("a pairing message's text is not UTF-8");
        }
    }
}
