package dev.tryst.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The control-plane framing between a peer and the rendezvous server, after Chatr Connect (2016):
 * Chatr's frame, opcodes and field types are kept; its open or missing fields are filled in here.
 * Every constant of the wire is in this class.
 *
 * <pre>
 *  +-----------------+-----------+---------------------------+
 *  | length (VarInt) | opcode u8 | payload (length - 1)      |
 *  +-----------------+-----------+---------------------------+
 *  length  counts opcode + payload: 1 .. {@value #MAX_FRAME}; anything else is refused before
 *          the frame's body is read or anything is allocated for it
 *
 *  VarInt  protobuf base-128: 7 bits per byte, least significant group first, 0x80 = more follows.
 *          1 .. 5 bytes, value 0 .. 2^31-1. Refused: a 5th byte with 0x80 set, a value over the
 *          field's maximum, and over-long encodings (a last byte of 0x00 after the first, e.g.
 *          80 00 for 0): every value has exactly one encoding, so every frame has one byte string.
 *  String  VarInt byte length (0 .. {@value #MAX_STRING}) | UTF-8, strictly checked
 *  Address version u8 (4 | 6) | 4 | 16 address bytes (network order) | port u16 big-endian
 *          (7 or 19 bytes; Chatr forgot the port, without which a public endpoint is useless)
 *  Address* count u8 (0 .. {@value #MAX_ADDRESSES}) | Address * count
 *  id32    32 bytes: a peer's identity (its Ed25519 public key in identity mode)
 *  integers are big-endian
 *
 *  op  packet                    payload                                         sent by
 *   0  CONNECT                   version u8 | mode u8 (0 anonymous, 1 identity,  client
 *                                2 dialer) | modes 1 and 2: Ed25519 public key (32)
 *   1  DISCONNECT                reason String                                   both
 *   2  CONNECTED                 STUN port u16 (0: none; same host as the control port)  server
 *   3  PING                      id i64                                          server
 *   4  PONG                      id i64 (the last ping's)                        client
 *   5  CONNECTION_REQUEST        peer id32 | private Address*                    both
 *                                (to the server: the target and the sender's own private endpoints;
 *                                 from it: the requester and no endpoints, count 0: they come in
 *                                 CLIENT_INFO once the target accepts)
 *   6  CONNECTION_REQUEST_ACCEPT requester id32 | private Address* (the acceptor's)  both
 *   7  CONNECTION_REQUEST_DENIED requester id32 | reason String                 both
 *   8  CLIENT_INFO               peer id32 | public Address (as the server saw it)  server
 *                                | private Address* | relay pairing key (33)
 *                                | relay port u16 (0: no relay)
 *   9  CHALLENGE                 nonce (32)                                      server
 *  10  CHALLENGE_RESPONSE        Ed25519 signature (64)                          client
 *  11  ROOM_CREATE               nameplate String (empty: the server picks one)  client
 *                                | lifetime u32 seconds (0: the server's longest)
 *  12  ROOM_CREATED              nameplate String | lifetime u32 seconds granted  server
 *  13  ROOM_TAKEN                nameplate String                                server
 *  14  ROOM_JOIN                 nameplate String                                client
 *  15  ROOM_JOINED               nameplate String                                server
 *  16  ROOM_NOT_FOUND            nameplate String                                server
 *  17  ROOM_ADDRESSES            private Address*                                client
 *  18  ROOM_DONE                 (empty)                                         client
 *  19  ROOM_CONTACT              whose u8 (0 yours, 1 peer's) | public Address   server
 *                                | private Address*
 *  20  ROOM_MESSAGE              data Blob                                       both
 *                                (opaque; forwarded by the server to the other member)
 *  21  ROOM_CLOSED               reason String                                   server
 *  22  ROOM_RELAY                relay pairing key (33) | relay port u16 (0: none)  server
 *                                (to both members once the room has two)
 *  23  LOGIN_STATE               last sequence u64 | last order u64 | store id (16)  server
 *                                (identity sessions, right after CONNECTED)
 *  24  RESUME                    last processed order u64                        client
 *  25  EVENT                     order u64 (>= 1) | timestamp i64 (ms since 1970)  server
 *                                | kind u8 (1 sealed message) | data Blob
 *  26  EVENT_ACK                 order u64 (every event up to it is processed)   client
 *  27  REQUEST                   sequence u64 | request id u64 | method u8 | body Blob   client
 *                                (method 1 SEND_MESSAGE: body = recipient id32 | sealed message)
 *  28  RESPONSE                  request id u64 | status u8 (0 ok, 1 refused) | body Blob  server
 *                                (refused: body = UTF-8 reason)
 *  29  ERROR                     request id u64 | code u8 | text String          server
 *                                (1 replayed sequence, 2 skipped sequence, 3 unknown method,
 *                                 4 bad request, 5 not available; DISCONNECT text follows)
 *  30  ROOM_PEER_LEFT            (empty)                                         server
 *                                (to the creator: the joiner left before the exchange was done;
 *                                 the room is open for another joiner)
 *
 *  Blob    VarInt byte length (0 .. {@value #MAX_BLOB}, ROOM_MESSAGE {@value #MAX_ROOM_MESSAGE}) | bytes
 *  u64     8 bytes big-endian, at most 2^63-1
 * </pre>
 *
 * <p>Rooms follow gday's contact exchange: one member creates a room under a nameplate, the other
 * joins it; each sends its private addresses and DONE; the server answers DONE with that member's
 * own full contact (the public address it saw, whose 0) at once and, once both are done, each the
 * other's (whose 1).
 *
 * Chatr's flow is kept: CONNECT first (anything else first: DISCONNECT "Invalid Packet"), then
 * CONNECTED; PING at least every {@link #PING_INTERVAL}, DISCONNECT "Time out" after
 * {@link #PING_TIMEOUT} of silence; a request is forwarded with the requester's id, the target
 * accepts or denies, and on accept both sides get CLIENT_INFO about the other. Where Chatr signed a
 * static UUID (replayable), identity mode adds a server CHALLENGE between CONNECT and CONNECTED,
 * answered by a CHALLENGE_RESPONSE (what exactly is signed is the server's business, not the
 * framing's); a bad one is DISCONNECT "Failed to verify!". Those are new opcodes: Chatr's numbers
 * keep their meaning, and no number is ever reused. A frame with an opcode not listed here is
 * skipped by its length and read as {@link Unknown}, so newer peers can add packets.
 * Payloads must parse exactly: too short, bytes left over, a bad field is a {@link ControlException}.
 *
 * <p>Why one class of ~1 000 lines: it is one wire format, and every packet's record, writer and
 * reader sit side by side under the diagram above, so that a number is never reused and each
 * packet's bytes can be checked against the diagram in one place (as OkHttp's {@code Http2} and
 * DERP's {@code derp.go} keep theirs).
 */
public final class ControlWire {
    private ControlWire() {}

    public static final int CONNECT = 0;
    public static final int DISCONNECT = 1;
    public static final int CONNECTED = 2;
    public static final int PING = 3;
    public static final int PONG = 4;
    public static final int CONNECTION_REQUEST = 5;
    public static final int CONNECTION_REQUEST_ACCEPT = 6;
    public static final int CONNECTION_REQUEST_DENIED = 7;
    public static final int CLIENT_INFO = 8;
    public static final int CHALLENGE = 9;
    public static final int CHALLENGE_RESPONSE = 10;
    public static final int ROOM_CREATE = 11;
    public static final int ROOM_CREATED = 12;
    public static final int ROOM_TAKEN = 13;
    public static final int ROOM_JOIN = 14;
    public static final int ROOM_JOINED = 15;
    public static final int ROOM_NOT_FOUND = 16;
    public static final int ROOM_ADDRESSES = 17;
    public static final int ROOM_DONE = 18;
    public static final int ROOM_CONTACT = 19;
    public static final int ROOM_MESSAGE = 20;
    public static final int ROOM_CLOSED = 21;
    /** ROOM_CLOSED's reason when a member left (or its session ended). */
    public static final String ROOM_CLOSED_PEER_LEFT = "Peer left";
    /** ROOM_CLOSED's reason at the room's lifetime (ROOM_CREATED said when). */
    public static final String ROOM_CLOSED_EXPIRED = "Expired";
    public static final int ROOM_RELAY = 22;
    public static final int LOGIN_STATE = 23;
    public static final int RESUME = 24;
    public static final int EVENT = 25;
    public static final int EVENT_ACK = 26;
    public static final int REQUEST = 27;
    public static final int RESPONSE = 28;
    public static final int ERROR = 29;
    public static final int ROOM_PEER_LEFT = 30;

    /** Largest opaque body of an EVENT, REQUEST or RESPONSE: a frame with its headers stays under {@link #MAX_FRAME}. */
    public static final int MAX_BLOB = 60 * 1024;
    /** EVENT kinds. */
    public static final int EVENT_MESSAGE = 1;
    /** REQUEST methods. */
    public static final int METHOD_SEND_MESSAGE = 1;
    /** RESPONSE statuses. */
    public static final int STATUS_OK = 0;
    public static final int STATUS_REFUSED = 1;
    /** ERROR codes: the request broke the session's rules; the server disconnects after sending it. */
    public static final int ERROR_REPLAYED_SEQUENCE = 1;
    public static final int ERROR_SKIPPED_SEQUENCE = 2;
    public static final int ERROR_UNKNOWN_METHOD = 3;
    public static final int ERROR_BAD_REQUEST = 4;
    public static final int ERROR_NOT_AVAILABLE = 5;

    /** ROOM_CONTACT's whose: the receiver's own contact, or its peer's. */
    public static final int CONTACT_YOURS = 0;
    public static final int CONTACT_PEERS = 1;
    /** Largest ROOM_MESSAGE data in bytes. */
    public static final int MAX_ROOM_MESSAGE = 4096;

    /**
     * The name identity logins are signed for on a control port without TLS (tests and local use);
     * with TLS it is the hex SHA-256 fingerprint of the server's certificate.
     */
    public static final String PLAIN_SERVER_NAME = "plain";

    /** The version this code speaks in CONNECT. */
    public static final int PROTOCOL_VERSION = 1;
    public static final int MODE_ANONYMOUS = 0;
    public static final int MODE_IDENTITY = 1;
    /**
     * An identity that only dials: it proves its key like {@link #MODE_IDENTITY} and may send
     * CONNECTION_REQUESTs, but does not hold the identity's place (requests to it keep going to its
     * identity session, if any) and has no events; several may run beside one identity session.
     */
    public static final int MODE_DIALER = 2;

    /** Largest frame length (opcode + payload): 64 KiB. */
    public static final int MAX_FRAME = 64 * 1024;
    public static final int MAX_VARINT_BYTES = 5;
    /** Largest String in bytes of UTF-8. */
    public static final int MAX_STRING = 1024;
    /** Most addresses in one list. */
    public static final int MAX_ADDRESSES = 8;

    public static final int ID_LENGTH = 32;
    public static final int PUBLIC_KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;
    public static final int PAIRING_KEY_LENGTH = 33;
    public static final int STORE_ID_LENGTH = 16;
    public static final int ADDRESS_V4 = 4;
    public static final int ADDRESS_V6 = 6;

    /** The server pings at least this often (Chatr: 5 s). */
    public static final Duration PING_INTERVAL = Duration.ofSeconds(5);
    /** Silence after a ping that ends the connection with {@link #REASON_TIME_OUT} (Chatr: 15 s). */
    public static final Duration PING_TIMEOUT = Duration.ofSeconds(15);

    /** Chatr's disconnect reasons, kept verbatim. */
    public static final String REASON_INVALID_PACKET = "Invalid Packet";
    public static final String REASON_ALREADY_CONNECTED = "Already connected!";
    public static final String REASON_FAILED_TO_VERIFY = "Failed to verify!";
    public static final String REASON_TIME_OUT = "Time out";

    /** What one frame reads as: a packet this code knows, or an unknown opcode that was skipped. */
    public sealed interface Frame permits Packet, Unknown {}

    /** The packets this code can write. */
    public sealed interface Packet extends Frame permits Connect, Disconnect, Connected, Ping, Pong,
            ConnectionRequest, ConnectionRequestAccept, ConnectionRequestDenied, ClientInfo, Challenge,
            ChallengeResponse, RoomCreate, RoomCreated, RoomTaken, RoomJoin, RoomJoined, RoomNotFound,
            RoomAddresses, RoomDone, RoomContact, RoomMessage, RoomClosed, RoomRelay, LoginState, Resume, Event,
            EventAck, Request, Response, RequestError, RoomPeerLeft {}

    /** A frame whose opcode this code does not know; its payload was skipped. */
    public record Unknown(int opcode) implements Frame {}

    /** {@code publicKey} is null in anonymous mode, the 32-byte Ed25519 key in identity and dialer mode. */
    public record Connect(int version, int mode, Bytes publicKey) implements Packet {
        public Connect {
            u8(version, "version");
            if (mode != MODE_ANONYMOUS && mode != MODE_IDENTITY && mode != MODE_DIALER) {
                throw new IllegalArgumentException("unknown mode " + mode);
            }
            if ((mode == MODE_ANONYMOUS) != (publicKey == null)) {
                throw new IllegalArgumentException("a public key in identity and dialer mode, and only there");
            }
            if (publicKey != null) {
                length(publicKey, PUBLIC_KEY_LENGTH, "public key");
            }
        }

        /** Anonymous with a null key, identity mode with one. */
        public Connect(int version, Bytes publicKey) {
            this(version, publicKey == null ? MODE_ANONYMOUS : MODE_IDENTITY, publicKey);
        }

        public static Connect anonymous() {
            return new Connect(PROTOCOL_VERSION, null);
        }

        public static Connect identity(Bytes publicKey) {
            return new Connect(PROTOCOL_VERSION, Objects.requireNonNull(publicKey));
        }

        public static Connect dialer(Bytes publicKey) {
            return new Connect(PROTOCOL_VERSION, MODE_DIALER, Objects.requireNonNull(publicKey));
        }
    }

    public record Disconnect(String reason) implements Packet {
        public Disconnect {
            checkString(reason, "reason");
        }
    }

    /** The session is open; {@code stunPort} is where the server's STUN responder answers (0: it runs none). */
    public record Connected(int stunPort) implements Packet {
        public Connected {
            u16(stunPort, "STUN port");
        }
    }

    public record Ping(long id) implements Packet {}

    public record Pong(long id) implements Packet {}

    /** To the server: {@code peer} is the target; from it: the requester. */
    public record ConnectionRequest(Bytes peer, List<Address> privateAddresses) implements Packet {
        public ConnectionRequest {
            length(peer, ID_LENGTH, "peer id");
            privateAddresses = addresses(privateAddresses);
        }
    }

    /** {@code privateAddresses} are the acceptor's. */
    public record ConnectionRequestAccept(Bytes requester, List<Address> privateAddresses) implements Packet {
        public ConnectionRequestAccept {
            length(requester, ID_LENGTH, "requester id");
            privateAddresses = addresses(privateAddresses);
        }
    }

    public record ConnectionRequestDenied(Bytes requester, String reason) implements Packet {
        public ConnectionRequestDenied {
            length(requester, ID_LENGTH, "requester id");
            checkString(reason, "reason");
        }
    }

    /** About the other party of an accepted request: who, where the server saw it, where it says it is. */
    public record ClientInfo(Bytes peer, Address publicAddress, List<Address> privateAddresses, Bytes relayPairingKey,
                             int relayPort) implements Packet {
        public ClientInfo {
            length(peer, ID_LENGTH, "peer id");
            Objects.requireNonNull(publicAddress, "public address");
            privateAddresses = addresses(privateAddresses);
            length(relayPairingKey, PAIRING_KEY_LENGTH, "relay pairing key");
            u16(relayPort, "relay port");
        }
    }

    public record Challenge(Bytes nonce) implements Packet {
        public Challenge {
            length(nonce, NONCE_LENGTH, "nonce");
        }
    }

    public record ChallengeResponse(Bytes signature) implements Packet {
        public ChallengeResponse {
            length(signature, SIGNATURE_LENGTH, "signature");
        }
    }

    /** {@code nameplate} empty asks the server to choose one. */
    /** A room asked for: {@code lifetimeSeconds} is how long its creator will wait (0: as long as the server allows). */
    public record RoomCreate(String nameplate, long lifetimeSeconds) implements Packet {
        public RoomCreate {
            checkString(nameplate, "nameplate");
            u32(lifetimeSeconds, "lifetime");
        }

        /** A room for as long as the server allows. */
        public RoomCreate(String nameplate) {
            this(nameplate, 0);
        }
    }

    /** The room made: it closes {@code lifetimeSeconds} from now, asked for or the server's longest, whichever is shorter. */
    public record RoomCreated(String nameplate, long lifetimeSeconds) implements Packet {
        public RoomCreated {
            checkString(nameplate, "nameplate");
            u32(lifetimeSeconds, "lifetime");
        }
    }

    public record RoomTaken(String nameplate) implements Packet {
        public RoomTaken {
            checkString(nameplate, "nameplate");
        }
    }

    public record RoomJoin(String nameplate) implements Packet {
        public RoomJoin {
            checkString(nameplate, "nameplate");
        }
    }

    public record RoomJoined(String nameplate) implements Packet {
        public RoomJoined {
            checkString(nameplate, "nameplate");
        }
    }

    public record RoomNotFound(String nameplate) implements Packet {
        public RoomNotFound {
            checkString(nameplate, "nameplate");
        }
    }

    /** The sender's private endpoints, for the room it is in. */
    public record RoomAddresses(List<Address> privateAddresses) implements Packet {
        public RoomAddresses {
            privateAddresses = addresses(privateAddresses);
        }
    }

    public record RoomDone() implements Packet {}

    /** A full contact: {@code whose} is {@link #CONTACT_YOURS} or {@link #CONTACT_PEERS}. */
    public record RoomContact(int whose, Address publicAddress, List<Address> privateAddresses) implements Packet {
        public RoomContact {
            if (whose != CONTACT_YOURS && whose != CONTACT_PEERS) {
                throw new IllegalArgumentException("whose must be 0 or 1, not " + whose);
            }
            Objects.requireNonNull(publicAddress, "public address");
            privateAddresses = addresses(privateAddresses);
        }
    }

    /** Opaque data for the other member of the room. */
    public record RoomMessage(Bytes data) implements Packet {
        public RoomMessage {
            Objects.requireNonNull(data, "data");
            if (data.length() > MAX_ROOM_MESSAGE) {
                throw new IllegalArgumentException("room message of " + data.length() + " bytes exceeds "
                        + MAX_ROOM_MESSAGE);
            }
        }
    }

    public record RoomClosed(String reason) implements Packet {
        public RoomClosed {
            checkString(reason, "reason");
        }
    }

    /** Sent to both members once the room has two: where and how to meet at the relay if no direct path works. */
    public record RoomRelay(Bytes pairingKey, int relayPort) implements Packet {
        public RoomRelay {
            length(pairingKey, PAIRING_KEY_LENGTH, "pairing key");
            u16(relayPort, "relay port");
        }
    }

    /**
     * To a room's creator: the member that joined left before the exchange was done, and the room
     * is open again for another joiner (whose HELLO the creator then waits for).
     */
    public record RoomPeerLeft() implements Packet {}

    /**
     * Identity sessions, right after CONNECTED: the last request sequence accepted, the last event
     * order given, and the id of the store they count in (a new id: the server's store was replaced,
     * and orders kept from before mean nothing).
     */
    public record LoginState(long lastSequence, long lastOrder, Bytes storeId) implements Packet {
        public LoginState {
            notNegative(lastSequence, "last sequence");
            notNegative(lastOrder, "last order");
            length(storeId, STORE_ID_LENGTH, "store id");
        }
    }

    /** The client processed every event up to {@code lastProcessedOrder}: send what follows. */
    public record Resume(long lastProcessedOrder) implements Packet {
        public Resume {
            notNegative(lastProcessedOrder, "last processed order");
        }
    }

    /** One event for the logged-in identity; {@code timestamp} in ms since the epoch, when the server stored it. */
    public record Event(long order, long timestamp, int kind, Bytes data) implements Packet {
        public Event {
            if (order < 1) {
                throw new IllegalArgumentException("event order starts at 1, not " + order);
            }
            u8(kind, "kind");
            blob(data, "event data");
        }
    }

    /** Every event up to {@code order} is processed; the server may forget them. */
    public record EventAck(long order) implements Packet {
        public EventAck {
            notNegative(order, "order");
        }
    }

    public record Request(long sequence, long requestId, int method, Bytes body) implements Packet {
        public Request {
            notNegative(sequence, "sequence");
            u8(method, "method");
            blob(body, "request body");
        }
    }

    public record Response(long requestId, int status, Bytes body) implements Packet {
        public Response {
            u8(status, "status");
            blob(body, "response body");
        }
    }

    /** The request (0: none in particular) broke the session's rules; DISCONNECT follows. */
    public record RequestError(long requestId, int code, String text) implements Packet {
        public RequestError {
            u8(code, "code");
            checkString(text, "text");
        }
    }

    /**
     * An IP endpoint: 4 or 16 raw address bytes and a port. Raw bytes, not {@link InetAddress}, so
     * an IPv4-mapped IPv6 address stays version 6 and every address reads back as it was written.
     */
    public record Address(Bytes ip, int port) {
        public Address {
            Objects.requireNonNull(ip, "ip");
            if (ip.length() != 4 && ip.length() != 16) {
                throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + ip.length());
            }
            if (port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("port " + port + " is not in 0 .. 65535");
            }
        }

        public static Address of(InetSocketAddress a) {
            if (a.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address " + a);
            }
            return new Address(Bytes.of(a.getAddress().getAddress()), a.getPort());
        }

        /** 4 or 6. */
        public int version() {
            return ip.length() == 4 ? ADDRESS_V4 : ADDRESS_V6;
        }

        public InetSocketAddress toSocketAddress() {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(ip.toByteArray()), port);
            } catch (UnknownHostException e) {
                throw new AssertionError("4 or 16 bytes are always an address", e);
            }
        }

        int encodedLength() {
            return 1 + ip.length() + 2;
        }
    }

    // ---------------------------------------------------------------- writing

    /** The whole frame of {@code p}: length, opcode, payload. */
    public static byte[] encode(Packet p) {
        Out o = new Out();
        int opcode = switch (p) {
            case Connect c -> {
                o.u8(c.version()).u8(c.mode());
                if (c.publicKey() != null) {
                    o.bytes(c.publicKey());
                }
                yield CONNECT;
            }
            case Disconnect d -> {
                o.string(d.reason());
                yield DISCONNECT;
            }
            case Connected c -> {
                o.u16(c.stunPort());
                yield CONNECTED;
            }
            case Ping ping -> {
                o.i64(ping.id());
                yield PING;
            }
            case Pong pong -> {
                o.i64(pong.id());
                yield PONG;
            }
            case ConnectionRequest r -> {
                o.bytes(r.peer()).addresses(r.privateAddresses());
                yield CONNECTION_REQUEST;
            }
            case ConnectionRequestAccept a -> {
                o.bytes(a.requester()).addresses(a.privateAddresses());
                yield CONNECTION_REQUEST_ACCEPT;
            }
            case ConnectionRequestDenied d -> {
                o.bytes(d.requester()).string(d.reason());
                yield CONNECTION_REQUEST_DENIED;
            }
            case ClientInfo i -> {
                o.bytes(i.peer()).address(i.publicAddress()).addresses(i.privateAddresses()).bytes(i.relayPairingKey())
                        .u16(i.relayPort());
                yield CLIENT_INFO;
            }
            case Challenge c -> {
                o.bytes(c.nonce());
                yield CHALLENGE;
            }
            case ChallengeResponse r -> {
                o.bytes(r.signature());
                yield CHALLENGE_RESPONSE;
            }
            case RoomCreate r -> {
                o.string(r.nameplate()).u32(r.lifetimeSeconds());
                yield ROOM_CREATE;
            }
            case RoomCreated r -> {
                o.string(r.nameplate()).u32(r.lifetimeSeconds());
                yield ROOM_CREATED;
            }
            case RoomTaken r -> {
                o.string(r.nameplate());
                yield ROOM_TAKEN;
            }
            case RoomJoin r -> {
                o.string(r.nameplate());
                yield ROOM_JOIN;
            }
            case RoomJoined r -> {
                o.string(r.nameplate());
                yield ROOM_JOINED;
            }
            case RoomNotFound r -> {
                o.string(r.nameplate());
                yield ROOM_NOT_FOUND;
            }
            case RoomAddresses r -> {
                o.addresses(r.privateAddresses());
                yield ROOM_ADDRESSES;
            }
            case RoomDone r -> ROOM_DONE;
            case RoomContact c -> {
                o.u8(c.whose()).address(c.publicAddress()).addresses(c.privateAddresses());
                yield ROOM_CONTACT;
            }
            case RoomMessage m -> {
                o.blob(m.data());
                yield ROOM_MESSAGE;
            }
            case RoomClosed r -> {
                o.string(r.reason());
                yield ROOM_CLOSED;
            }
            case RoomRelay r -> {
                o.bytes(r.pairingKey()).u16(r.relayPort());
                yield ROOM_RELAY;
            }
            case RoomPeerLeft r -> ROOM_PEER_LEFT;
            case LoginState l -> {
                o.i64(l.lastSequence()).i64(l.lastOrder()).bytes(l.storeId());
                yield LOGIN_STATE;
            }
            case Resume r -> {
                o.i64(r.lastProcessedOrder());
                yield RESUME;
            }
            case Event e -> {
                o.i64(e.order()).i64(e.timestamp()).u8(e.kind()).blob(e.data());
                yield EVENT;
            }
            case EventAck a -> {
                o.i64(a.order());
                yield EVENT_ACK;
            }
            case Request r -> {
                o.i64(r.sequence()).i64(r.requestId()).u8(r.method()).blob(r.body());
                yield REQUEST;
            }
            case Response r -> {
                o.i64(r.requestId()).u8(r.status()).blob(r.body());
                yield RESPONSE;
            }
            case RequestError e -> {
                o.i64(e.requestId()).u8(e.code()).string(e.text());
                yield ERROR;
            }
        };
        int length = 1 + o.size();
        if (length > MAX_FRAME) {
            throw new IllegalArgumentException("frame of " + length + " bytes exceeds " + MAX_FRAME);
        }
        byte[] frame = new byte[varIntLength(length) + length];
        int at = putVarInt(frame, 0, length);
        frame[at++] = (byte) opcode;
        o.copyTo(frame, at);
        return frame;
    }

    /** Writes the frame of {@code p} in one call (not flushed). */
    public static void write(OutputStream out, Packet p) throws IOException {
        out.write(encode(p));
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads one frame. Returns null at a clean end of stream before a frame; an end inside a frame,
     * or a frame that does not parse, is a {@link ControlException}. Reads exactly the frame's bytes.
     */
    public static Frame read(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int length = readLength(first, in::read);
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new ControlException("frame of " + length + " bytes ends after " + body.length);
        }
        return decodeBody(ByteBuffer.wrap(body));
    }

    /**
     * Reads one frame from {@code src}, whose end counts as the end of the stream: null if nothing
     * remains, a {@link ControlException} if a frame is cut or does not parse. On success the
     * position moves past the frame; on failure it is unchanged.
     */
    public static Frame read(ByteBuffer src) throws ControlException {
        if (!src.hasRemaining()) {
            return null;
        }
        ByteBuffer b = src.duplicate();
        int length = readLength(b);
        if (b.remaining() < length) {
            throw new ControlException("frame of " + length + " bytes ends after " + b.remaining());
        }
        Frame f = decodeBody(b.slice(b.position(), length));
        src.position(b.position() + length);
        return f;
    }

    /**
     * For non-blocking readers: the number of bytes the next whole frame takes in {@code src}
     * (length field included), or -1 if its length field is not complete yet. A bad length field
     * is refused as soon as it is seen. Does not move the position.
     */
    public static int peekFrameLength(ByteBuffer src) throws ControlException {
        ByteBuffer b = src.duplicate();
        if (!b.hasRemaining()) {
            return -1;
        }
        try {
            int length = readLength(b);
            return b.position() - src.position() + length;
        } catch (Truncated t) {
            return -1;
        }
    }

    private interface ByteSource {
        /** The next byte, 0 .. 255, or -1 at the end. */
        int next() throws IOException;
    }

    /** A VarInt cut by the end of the input; a ControlException, so peek can tell it apart. */
    private static final class Truncated extends ControlException {
        Truncated(String message) {
            super(message);
        }
    }

    private static int readLength(int first, ByteSource rest) throws IOException {
        int length = readVarInt(first, rest, MAX_FRAME, "frame length");
        if (length == 0) {
            throw new ControlException("frame length 0 leaves no room for the opcode");
        }
        return length;
    }

    /** A frame length from {@code b} (at least one byte remaining), moving its position past it. */
    private static int readLength(ByteBuffer b) throws ControlException {
        try {
            return readLength(b.get() & 0xFF, () -> b.hasRemaining() ? b.get() & 0xFF : -1);
        } catch (ControlException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError("a buffer does no I/O", e);
        }
    }

    /** The VarInt that starts with {@code first}; the rest from {@code rest}. */
    private static int readVarInt(int first, ByteSource rest, int max, String what) throws IOException {
        long value = 0;
        int b = first;
        for (int i = 0; ; i++) {
            value |= (long) (b & 0x7F) << (7 * i);
            if (value > max) {
                throw new ControlException(what + " " + value + " exceeds " + max);
            }
            if ((b & 0x80) == 0) {
                if (i > 0 && b == 0) {
                    throw new ControlException(what + " " + value + " is over-long: " + (i + 1) + " bytes");
                }
                return (int) value;
            }
            if (i == MAX_VARINT_BYTES - 1) {
                throw new ControlException(what + " VarInt runs past " + MAX_VARINT_BYTES + " bytes");
            }
            b = rest.next();
            if (b < 0) {
                throw new Truncated(what + " VarInt ends after " + (i + 1) + " bytes");
            }
        }
    }

    /**
     * Reads a VarInt of at most {@code max} (0 .. 2^31-1) from {@code b}, with the same rules as
     * frame lengths; the end of {@code b} inside it is a {@link ControlException}.
     */
    public static int readVarInt(ByteBuffer b, int max) throws ControlException {
        if (!b.hasRemaining()) {
            throw new ControlException("VarInt expected, 0 bytes left");
        }
        try {
            return readVarInt(b.get() & 0xFF, () -> b.hasRemaining() ? b.get() & 0xFF : -1, max, "VarInt");
        } catch (ControlException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The minimal VarInt encoding of {@code value} (0 .. 2^31-1). */
    public static byte[] varInt(int value) {
        byte[] out = new byte[varIntLength(value)];
        putVarInt(out, 0, value);
        return out;
    }

    /** Bytes in the VarInt encoding of {@code value}: 1 .. 5. */
    public static int varIntLength(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("VarInt of negative " + value);
        }
        int n = 1;
        while ((value >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    private static int putVarInt(byte[] dst, int at, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("VarInt of negative " + value);
        }
        while ((value & ~0x7F) != 0) {
            dst[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        dst[at++] = (byte) value;
        return at;
    }

    /** Decodes opcode + payload, exactly {@code body}'s remaining bytes (at least one). */
    private static Frame decodeBody(ByteBuffer body) throws ControlException {
        int opcode = body.get() & 0xFF;
        In in = new In(body, opcode);
        Frame f = switch (opcode) {
            case CONNECT -> {
                int version = in.u8("version");
                int mode = in.u8("mode");
                yield switch (mode) {
                    case MODE_ANONYMOUS -> new Connect(version, null);
                    case MODE_IDENTITY, MODE_DIALER -> new Connect(version, mode, in.bytes(PUBLIC_KEY_LENGTH, "public key"));
                    default -> throw in.fault("unknown mode " + mode);
                };
            }
            case DISCONNECT -> new Disconnect(in.string("reason"));
            case CONNECTED -> new Connected(in.u16("STUN port"));
            case PING -> new Ping(in.i64("id"));
            case PONG -> new Pong(in.i64("id"));
            case CONNECTION_REQUEST ->
                new ConnectionRequest(in.bytes(ID_LENGTH, "peer id"), in.addresses("private addresses"));
            case CONNECTION_REQUEST_ACCEPT ->
                new ConnectionRequestAccept(in.bytes(ID_LENGTH, "requester id"), in.addresses("private addresses"));
            case CONNECTION_REQUEST_DENIED ->
                new ConnectionRequestDenied(in.bytes(ID_LENGTH, "requester id"), in.string("reason"));
            case CLIENT_INFO -> new ClientInfo(in.bytes(ID_LENGTH, "peer id"), in.address("public address"),
                    in.addresses("private addresses"), in.bytes(PAIRING_KEY_LENGTH, "relay pairing key"), in.u16("relay port"));
            case CHALLENGE -> new Challenge(in.bytes(NONCE_LENGTH, "nonce"));
            case CHALLENGE_RESPONSE -> new ChallengeResponse(in.bytes(SIGNATURE_LENGTH, "signature"));
            case ROOM_CREATE -> new RoomCreate(in.string("nameplate"), in.u32("lifetime"));
            case ROOM_CREATED -> new RoomCreated(in.string("nameplate"), in.u32("lifetime"));
            case ROOM_TAKEN -> new RoomTaken(in.string("nameplate"));
            case ROOM_JOIN -> new RoomJoin(in.string("nameplate"));
            case ROOM_JOINED -> new RoomJoined(in.string("nameplate"));
            case ROOM_NOT_FOUND -> new RoomNotFound(in.string("nameplate"));
            case ROOM_ADDRESSES -> new RoomAddresses(in.addresses("private addresses"));
            case ROOM_DONE -> new RoomDone();
            case ROOM_CONTACT -> {
                int whose = in.u8("whose");
                if (whose != CONTACT_YOURS && whose != CONTACT_PEERS) {
                    throw in.fault("whose " + whose + " is not 0 or 1");
                }
                yield new RoomContact(whose, in.address("public address"), in.addresses("private addresses"));
            }
            case ROOM_MESSAGE -> new RoomMessage(in.blob(MAX_ROOM_MESSAGE, "data"));
            case ROOM_CLOSED -> new RoomClosed(in.string("reason"));
            case ROOM_RELAY -> new RoomRelay(in.bytes(PAIRING_KEY_LENGTH, "pairing key"), in.u16("relay port"));
            case ROOM_PEER_LEFT -> new RoomPeerLeft();
            case LOGIN_STATE -> new LoginState(in.count("last sequence"), in.count("last order"),
                    in.bytes(STORE_ID_LENGTH, "store id"));
            case RESUME -> new Resume(in.count("last processed order"));
            case EVENT -> {
                long order = in.count("order");
                if (order < 1) {
                    throw in.fault("event order 0");
                }
                yield new Event(order, in.i64("timestamp"), in.u8("kind"), in.blob(MAX_BLOB, "data"));
            }
            case EVENT_ACK -> new EventAck(in.count("order"));
            case REQUEST -> new Request(in.count("sequence"), in.i64("request id"), in.u8("method"), in.blob(MAX_BLOB, "body"));
            case RESPONSE -> new Response(in.i64("request id"), in.u8("status"), in.blob(MAX_BLOB, "body"));
            case ERROR -> new RequestError(in.i64("request id"), in.u8("code"), in.string("text"));
            default -> {
                body.position(body.limit());
                yield new Unknown(opcode);
            }
        };
        if (body.hasRemaining()) {
            throw in.fault(body.remaining() + " bytes left over after the payload");
        }
        return f;
    }

    /** A payload being parsed; every shortfall names the packet, the field and the numbers. */
    private record In(ByteBuffer b, int opcode) {
        ControlException fault(String what) {
            return new ControlException("opcode " + opcode + ": " + what);
        }

        void need(int n, String field) throws ControlException {
            if (b.remaining() < n) {
                throw fault(field + " needs " + n + " bytes, " + b.remaining() + " left");
            }
        }

        int u8(String field) throws ControlException {
            need(1, field);
            return b.get() & 0xFF;
        }

        int u16(String field) throws ControlException {
            need(2, field);
            return Short.toUnsignedInt(b.getShort());
        }

        long u32(String field) throws ControlException {
            need(4, field);
            return Integer.toUnsignedLong(b.getInt());
        }

        long i64(String field) throws ControlException {
            need(8, field);
            return b.getLong();
        }

        /** A u64 that must fit a signed long: orders and sequences never reach 2^63. */
        long count(String field) throws ControlException {
            long v = i64(field);
            if (v < 0) {
                throw fault(field + " " + Long.toUnsignedString(v) + " is over 2^63-1");
            }
            return v;
        }

        /** VarInt length (at most {@code max}, checked before anything is allocated), then the bytes. */
        Bytes blob(int max, String field) throws ControlException {
            int n;
            try {
                n = readVarInt(b, max);
            } catch (ControlException e) {
                throw fault(field + " length: " + e.getMessage());
            }
            return bytes(n, field);
        }

        Bytes bytes(int n, String field) throws ControlException {
            need(n, field);
            byte[] a = new byte[n];
            b.get(a);
            return Bytes.of(a);
        }

        String string(String field) throws ControlException {
            int n;
            try {
                n = readVarInt(b, MAX_STRING);
            } catch (ControlException e) {
                throw fault(field + " length: " + e.getMessage());
            }
            need(n, field);
            byte[] a = new byte[n];
            b.get(a);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(a)).toString();
            } catch (CharacterCodingException e) {
                throw fault(field + " of " + n + " bytes is not UTF-8");
            }
        }

        Address address(String field) throws ControlException {
            int version = u8(field + " version");
            int n = switch (version) {
                case ADDRESS_V4 -> 4;
                case ADDRESS_V6 -> 16;
                default -> throw fault(field + " of unknown version " + version);
            };
            Bytes ip = bytes(n, field);
            need(2, field + " port");
            return new Address(ip, Short.toUnsignedInt(b.getShort()));
        }

        List<Address> addresses(String field) throws ControlException {
            int count = u8(field + " count");
            if (count > MAX_ADDRESSES) {
                throw fault(count + " " + field + " exceed " + MAX_ADDRESSES);
            }
            List<Address> list = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                list.add(address(field + " #" + i));
            }
            return list;
        }
    }

    /** A payload being built. */
    private static final class Out extends ByteArrayOutputStream {
        Out u8(int v) {
            write(v);
            return this;
        }

        Out u16(int v) {
            write(v >>> 8);
            write(v);
            return this;
        }

        Out u32(long v) {
            return u16((int) (v >>> 16)).u16((int) v & 0xFFFF);
        }

        Out blob(Bytes v) {
            byte[] len = varInt(v.length());
            write(len, 0, len.length);
            return bytes(v);
        }

        Out i64(long v) {
            for (int s = 56; s >= 0; s -= 8) {
                write((int) (v >>> s));
            }
            return this;
        }

        Out bytes(Bytes v) {
            byte[] a = new byte[v.length()];
            v.copyTo(a, 0);
            write(a, 0, a.length);
            return this;
        }

        Out string(String s) {
            byte[] a = utf8(s);
            byte[] len = varInt(a.length);
            write(len, 0, len.length);
            write(a, 0, a.length);
            return this;
        }

        Out address(Address a) {
            u8(a.version()).bytes(a.ip());
            write(a.port() >>> 8);
            write(a.port());
            return this;
        }

        Out addresses(List<Address> list) {
            u8(list.size());
            list.forEach(this::address);
            return this;
        }

        void copyTo(byte[] dst, int at) {
            System.arraycopy(buf, 0, dst, at, count);
        }
    }

    // ---------------------------------------------------------------- record checks

    private static void u16(int v, String what) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException(what + " " + v + " is not in 0 .. 65535");
        }
    }

    private static void u32(long v, String what) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(what + " " + v + " is not in 0 .. 4294967295");
        }
    }

    private static void u8(int v, String what) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException(what + " " + v + " is not in 0 .. 255");
        }
    }

    private static void notNegative(long v, String what) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " " + v + " is negative");
        }
    }

    private static void blob(Bytes b, String what) {
        Objects.requireNonNull(b, what);
        if (b.length() > MAX_BLOB) {
            throw new IllegalArgumentException(what + " of " + b.length() + " bytes exceeds " + MAX_BLOB);
        }
    }

    private static void length(Bytes b, int n, String what) {
        Objects.requireNonNull(b, what);
        if (b.length() != n) {
            throw new IllegalArgumentException(what + " must have " + n + " bytes, not " + b.length());
        }
    }

    private static List<Address> addresses(List<Address> list) {
        List<Address> copy = List.copyOf(list);
        if (copy.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException(copy.size() + " addresses exceed " + MAX_ADDRESSES);
        }
        return copy;
    }

    private static void checkString(String s, String what) {
        Objects.requireNonNull(s, what);
        int n = utf8(s).length;
        if (n > MAX_STRING) {
            throw new IllegalArgumentException(what + " of " + n + " bytes exceeds " + MAX_STRING);
        }
    }

    /** Strict: a string with an unpaired surrogate cannot be sent (it would not read back the same). */
    private static byte[] utf8(String s) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
            byte[] a = new byte[b.remaining()];
            b.get(a);
            return a;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not encodable as UTF-8: unpaired surrogate", e);
        }
    }
}
