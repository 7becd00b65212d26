package dev.tryst.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tryst.wire.ControlWire.Address;
import dev.tryst.wire.ControlWire.Challenge;
import dev.tryst.wire.ControlWire.ChallengeResponse;
import dev.tryst.wire.ControlWire.ClientInfo;
import dev.tryst.wire.ControlWire.Connect;
import dev.tryst.wire.ControlWire.Connected;
import dev.tryst.wire.ControlWire.ConnectionRequest;
import dev.tryst.wire.ControlWire.ConnectionRequestAccept;
import dev.tryst.wire.ControlWire.ConnectionRequestDenied;
import dev.tryst.wire.ControlWire.Disconnect;
import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.ControlWire.Ping;
import dev.tryst.wire.ControlWire.Pong;
import dev.tryst.wire.ControlWire.RoomAddresses;
import dev.tryst.wire.ControlWire.RoomClosed;
import dev.tryst.wire.ControlWire.RoomRelay;
import dev.tryst.wire.ControlWire.LoginState;
import dev.tryst.wire.ControlWire.Resume;
import dev.tryst.wire.ControlWire.Event;
import dev.tryst.wire.ControlWire.EventAck;
import dev.tryst.wire.ControlWire.Request;
import dev.tryst.wire.ControlWire.Response;
import dev.tryst.wire.ControlWire.RequestError;
import dev.tryst.wire.ControlWire.RoomContact;
import dev.tryst.wire.ControlWire.RoomCreate;
import dev.tryst.wire.ControlWire.RoomCreated;
import dev.tryst.wire.ControlWire.RoomDone;
import dev.tryst.wire.ControlWire.RoomPeerLeft;
import dev.tryst.wire.ControlWire.RoomJoin;
import dev.tryst.wire.ControlWire.RoomJoined;
import dev.tryst.wire.ControlWire.RoomMessage;
import dev.tryst.wire.ControlWire.RoomNotFound;
import dev.tryst.wire.ControlWire.RoomTaken;
import dev.tryst.wire.ControlWire.Unknown;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ControlWireTest {
    private static final HexFormat HEX = HexFormat.of();

    private static Bytes rep(int b, int n) {
        byte[] a = new byte[n];
        Arrays.fill(a, (byte) b);
        return Bytes.of(a);
    }

    private static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    static final Address LAN4 = new Address(Bytes.fromHex("c0a8010a"), 51820);            // 192.168.1.10:51820
    static final Address LINK6 = new Address(Bytes.fromHex("fe80" + "0000".repeat(6) + "0001"), 443); // [fe80::1]:443
    static final Address PUBLIC4 = new Address(Bytes.fromHex("cb007107"), 40000);         // 203.0.113.7:40000
    static final Address PRIVATE4 = new Address(Bytes.fromHex("0a000002"), 40000);        // 10.0.0.2:40000

    /**
     * Every packet with its frame, written by hand from the layout in ControlWire's Javadoc:
     * length VarInt = 1 (opcode) + payload bytes; small lengths are one byte, so e.g. a 2-byte
     * payload gives "03 op ..". Addresses: version, the IP in network order, the port big-endian
     * (51820 = 0xca6c, 443 = 0x01bb, 40000 = 0x9c40). Strings: VarInt byte length then UTF-8.
     */
    static final Map<Packet, String> GOLDEN = new LinkedHashMap<>();

    static {
        // version 1, mode 0, no key: payload 2 bytes, length 3
        GOLDEN.put(Connect.anonymous(), "03 00 01 00");
        // version 1, mode 1, 32-byte key: payload 34, length 35 = 0x23
        GOLDEN.put(Connect.identity(rep(0x11, 32)), "23 00 01 01" + "11".repeat(32));
        GOLDEN.put(Connect.dialer(rep(0x11, 32)), "23 00 01 02" + "11".repeat(32));
        // "Time out" is 8 ASCII bytes: payload 1 + 8, length 10 = 0x0a
        GOLDEN.put(new Disconnect(ControlWire.REASON_TIME_OUT), "0a 01 08 54696d65206f7574");
        // "é" is c3 a9 in UTF-8: payload 1 + 2, length 4
        GOLDEN.put(new Disconnect("é"), "04 01 02 c3a9");
        // 200 'x': string length 200 = 0xc8 0x01 (200 = 0b1_1001000 -> 0x48|0x80, 0x01); payload 202,
        // frame length 203 = 0xcb 0x01
        GOLDEN.put(new Disconnect("x".repeat(200)), "cb01 01 c801" + "78".repeat(200));
        GOLDEN.put(new Connected(3478), "03 02 0d96");
        GOLDEN.put(new Connected(0), "03 02 0000");
        // i64 big-endian: payload 8, length 9
        GOLDEN.put(new Ping(0x0102030405060708L), "09 03 0102030405060708");
        GOLDEN.put(new Pong(-1), "09 04 ffffffffffffffff");
        // id 32 + count 1 + v4 7 + v6 19 = 59, length 60 = 0x3c
        GOLDEN.put(new ConnectionRequest(rep(0xaa, 32), List.of(LAN4, LINK6)),
                "3c 05" + "aa".repeat(32) + "02" + "04 c0a8010a ca6c" + "06 fe80" + "0000".repeat(6) + "0001 01bb");
        // id 32 + count 1 = 33, length 34 = 0x22
        GOLDEN.put(new ConnectionRequestAccept(rep(0xbb, 32), List.of()), "22 06" + "bb".repeat(32) + "00");
        // id 32 + string 1 + 2 = 35, length 36 = 0x24
        GOLDEN.put(new ConnectionRequestDenied(rep(0xcc, 32), "no"), "24 07" + "cc".repeat(32) + "02 6e6f");
        // id 32 + public 7 + (count 1 + 7) + key 33 + port 2 = 82, length 83 = 0x53
        GOLDEN.put(new ClientInfo(rep(0xdd, 32), PUBLIC4, List.of(PRIVATE4), rep(0xee, 33), 8080),
                "53 08" + "dd".repeat(32) + "04 cb007107 9c40" + "01 04 0a000002 9c40" + "ee".repeat(33) + "1f90");
        // nonce 32, length 33 = 0x21
        GOLDEN.put(new Challenge(rep(0x5a, 32)), "21 09" + "5a".repeat(32));
        // signature 64, length 65 = 0x41
        GOLDEN.put(new ChallengeResponse(rep(0x77, 64)), "41 0a" + "77".repeat(64));
        // rooms. Empty nameplate, the server's longest lifetime: payload 5 (length 0, u32 0), frame length 6
        GOLDEN.put(new RoomCreate(""), "06 0b 00 00000000");
        GOLDEN.put(new RoomCreate("", 900), "06 0b 00 00000384");
        // "4217" is 4 ASCII bytes, then 600 s: payload 9, length 10
        GOLDEN.put(new RoomCreated("4217", 600), "0a 0c 04 34323137 00000258");
        GOLDEN.put(new RoomTaken("42"), "04 0d 02 3432");
        GOLDEN.put(new RoomJoin("42"), "04 0e 02 3432");
        GOLDEN.put(new RoomJoined("42"), "04 0f 02 3432");
        GOLDEN.put(new RoomNotFound("7"), "03 10 01 37");
        // count 1 + v4 7 + v6 19 = 27, length 28 = 0x1c
        GOLDEN.put(new RoomAddresses(List.of(LAN4, LINK6)),
                "1c 11 02" + "04 c0a8010a ca6c" + "06 fe80" + "0000".repeat(6) + "0001 01bb");
        GOLDEN.put(new RoomDone(), "01 12");
        // whose 1 + public 7 + (count 1 + 7) = 16, length 17 = 0x11
        GOLDEN.put(new RoomContact(1, PUBLIC4, List.of(PRIVATE4)), "11 13 01" + "04 cb007107 9c40" + "01 04 0a000002 9c40");
        // data length 3 + 3 bytes: payload 4, length 5
        GOLDEN.put(new RoomMessage(Bytes.fromHex("010203")), "05 14 03 010203");
        // "left" 4 bytes: payload 5, length 6
        GOLDEN.put(new RoomClosed("left"), "06 15 04 6c656674");
        // key 33 + port 2 (8080 = 0x1f90) = 35, length 36 = 0x24
        GOLDEN.put(new RoomRelay(rep(0x99, 33), 8080), "24 16" + "99".repeat(33) + "1f90");
        // two u64 + store id 16: payload 32, length 33 = 0x21 (1000 = 0x3e8)
        GOLDEN.put(new LoginState(5, 1000, rep(0x5e, 16)), "21 17 0000000000000005 00000000000003e8" + "5e".repeat(16));
        // u64 400 = 0x190: payload 8, length 9
        GOLDEN.put(new Resume(400), "09 18 0000000000000190");
        // order 8 + timestamp 8 + kind 1 + blob (1 + 3) = 21, length 22 = 0x16
        GOLDEN.put(new Event(401, 0x0102030405060708L, 1, Bytes.fromHex("010203")),
                "16 19 0000000000000191 0102030405060708 01 03 010203");
        GOLDEN.put(new EventAck(401), "09 1a 0000000000000191");
        // sequence 8 + request id 8 + method 1 + blob (1 + 1) = 19, length 20 = 0x14
        GOLDEN.put(new Request(1, 7, 1, Bytes.fromHex("ab")), "14 1b 0000000000000001 0000000000000007 01 01 ab");
        // request id 8 + status 1 + empty blob 1 = 10, length 11
        GOLDEN.put(new Response(7, 0, Bytes.of()), "0b 1c 0000000000000007 00 00");
        // request id 8 + code 1 + "no" (1 + 2) = 12, length 13
        GOLDEN.put(new RequestError(7, 1, "no"), "0d 1d 0000000000000007 01 02 6e6f");
        // ROOM_PEER_LEFT: opcode 30, no payload
        GOLDEN.put(new RoomPeerLeft(), "01 1e");
    }

    @Test
    void eventChannelFieldsAreBoundedBeforeAllocating() {
        // REQUEST whose body claims MAX_BLOB + 1 bytes (VarInt 0x80 0xe0 0x03 = 61441): refused by its length field
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex(
                "15 1b 0000000000000001 0000000000000007 01 81e003 00"))));
        // u64 with the top bit set is not a sequence
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex("09 18 8000000000000000"))));
        // an EVENT of order 0 does not exist
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex(
                "13 19 0000000000000000 0102030405060708 01 00"))));
        assertThrows(IllegalArgumentException.class, () -> new Request(1, 1, 1, Bytes.of(new byte[ControlWire.MAX_BLOB + 1])));
    }

    @Test
    void goldenBytesForEveryPacket() throws IOException {
        var kinds = new TreeSet<String>();
        for (var e : GOLDEN.entrySet()) {
            byte[] expected = hex(e.getValue());
            assertEquals(HEX.formatHex(expected), HEX.formatHex(ControlWire.encode(e.getKey())), e.getKey().toString());
            assertEquals(e.getKey(), ControlWire.read(ByteBuffer.wrap(expected)));
            assertEquals(e.getKey(), ControlWire.read(new ByteArrayInputStream(expected)));
            kinds.add(e.getKey().getClass().getSimpleName());
        }
        assertEquals(ControlWire.Packet.class.getPermittedSubclasses().length, kinds.size(), "every packet has a golden");
    }

    @Test
    void opcodesKeepChatrsNumbers() {
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
                List.of(ControlWire.CONNECT, ControlWire.DISCONNECT, ControlWire.CONNECTED, ControlWire.PING,
                        ControlWire.PONG, ControlWire.CONNECTION_REQUEST, ControlWire.CONNECTION_REQUEST_ACCEPT,
                        ControlWire.CONNECTION_REQUEST_DENIED, ControlWire.CLIENT_INFO, ControlWire.CHALLENGE,
                        ControlWire.CHALLENGE_RESPONSE));
        assertEquals("Invalid Packet", ControlWire.REASON_INVALID_PACKET);
        assertEquals("Already connected!", ControlWire.REASON_ALREADY_CONNECTED);
        assertEquals("Failed to verify!", ControlWire.REASON_FAILED_TO_VERIFY);
        assertEquals("Time out", ControlWire.REASON_TIME_OUT);
    }

    @Test
    void roomOpcodesFollowChatrsWithoutReuse() {
        assertEquals(List.of(11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 30),
                List.of(ControlWire.ROOM_CREATE, ControlWire.ROOM_CREATED, ControlWire.ROOM_TAKEN, ControlWire.ROOM_JOIN,
                        ControlWire.ROOM_JOINED, ControlWire.ROOM_NOT_FOUND, ControlWire.ROOM_ADDRESSES,
                        ControlWire.ROOM_DONE, ControlWire.ROOM_CONTACT, ControlWire.ROOM_MESSAGE,
                        ControlWire.ROOM_CLOSED, ControlWire.ROOM_RELAY, ControlWire.ROOM_PEER_LEFT));
    }

    @Test
    void roomMessageBoundsAndContactWhose() throws IOException {
        // 4096 = 0x80 0x20; payload 2 + 4096 = 4098, frame length 4099 = 0x83 0x20
        RoomMessage max = new RoomMessage(rep(0x42, ControlWire.MAX_ROOM_MESSAGE));
        byte[] f = ControlWire.encode(max);
        assertEquals("8320 14 8020", HEX.formatHex(Arrays.copyOf(f, 5)).replaceFirst("^(....)(..)(....)$", "$1 $2 $3"));
        assertEquals(max, ControlWire.read(ByteBuffer.wrap(f)));
        assertEquals(new RoomMessage(Bytes.of()), ControlWire.read(ByteBuffer.wrap(hex("02 14 00"))));
        assertThrows(IllegalArgumentException.class, () -> new RoomMessage(rep(0, ControlWire.MAX_ROOM_MESSAGE + 1)));
        // data length 4097 = 0x81 0x20, refused on the length
        byte[] over = new byte[3 + 2 + 4097];
        over[0] = (byte) 0x84;
        over[1] = 0x20;
        over[2] = 0x14;
        over[3] = (byte) 0x81;
        over[4] = 0x20;
        var e = assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(over)));
        assertTrue(e.getMessage().startsWith("opcode 20"), e.getMessage());
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex("04 14 03 0102"))));
        // whose 2 is refused both ways
        assertThrows(IllegalArgumentException.class, () -> new RoomContact(2, PUBLIC4, List.of()));
        assertThrows(ControlException.class,
                () -> ControlWire.read(ByteBuffer.wrap(hex("0a 13 02 04 cb007107 9c40 00"))));
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex("02 12 00"))));
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex("02 11 09"))));
    }

    // ---------------------------------------------------------------- VarInt

    @Test
    void varIntEdges() throws ControlException {
        // 7 bits per byte, low group first: 128 = 0b1_0000000 -> 0x80, 0x01; 16383 = 14 ones -> ff 7f;
        // 2^28 = a 1 in group 4 -> 80 80 80 80 01; 2^31-1 = 31 ones -> ff ff ff ff 07
        Object[][] cases = {{0, "00"}, {1, "01"}, {127, "7f"}, {128, "8001"}, {300, "ac02"}, {16383, "ff7f"},
                {16384, "808001"}, {1 << 21, "80808001"}, {1 << 28, "8080808001"}, {Integer.MAX_VALUE, "ffffffff07"}};
        for (Object[] c : cases) {
            int v = (int) c[0];
            assertEquals(c[1], HEX.formatHex(ControlWire.varInt(v)), "encode " + v);
            assertEquals(((String) c[1]).length() / 2, ControlWire.varIntLength(v));
            ByteBuffer b = ByteBuffer.wrap(hex((String) c[1]));
            assertEquals(v, ControlWire.readVarInt(b, Integer.MAX_VALUE), "decode " + c[1]);
            assertEquals(0, b.remaining());
        }
        assertThrows(IllegalArgumentException.class, () -> ControlWire.varInt(-1));
    }

    @Test
    void varIntRefusals() {
        String[] bad = {
            "8080808080 00", // six bytes
            "ffffffffff 01", // six bytes
            "ffffffff0f",    // 2^32-1, over 2^31-1
            "8080808008",    // 2^31
            "8000",          // 0, over-long
            "8100",          // 1 in two bytes
            "ff8000",        // 127 in three bytes
            "80",            // cut
            "ffff",          // cut
            "",              // nothing
        };
        for (String s : bad) {
            assertThrows(ControlException.class, () -> ControlWire.readVarInt(ByteBuffer.wrap(hex(s)), Integer.MAX_VALUE),
                    s);
        }
        ControlException e = assertThrows(ControlException.class,
                () -> ControlWire.readVarInt(ByteBuffer.wrap(hex("ac02")), 299));
        assertTrue(e.getMessage().contains("300") && e.getMessage().contains("299"), e.getMessage());
    }

    @Test
    void frameLengthBounds() throws IOException {
        // 65537 = 0b100_0000000_0000001 -> 81 80 04
        ControlException e = assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex("818004"))));
        assertTrue(e.getMessage().contains("65537") && e.getMessage().contains("65536"), e.getMessage());
        assertThrows(ControlException.class, () -> ControlWire.read(new ByteArrayInputStream(hex("818004"))));
        // length 0 has no opcode
        assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex("00"))));
        // exactly MAX_FRAME is allowed: 65536 = 80 80 04, unknown opcode 0xc8 and 65535 bytes
        byte[] max = new byte[3 + 65536];
        max[0] = (byte) 0x80;
        max[1] = (byte) 0x80;
        max[2] = 0x04;
        max[3] = (byte) 0xc8;
        assertEquals(new Unknown(0xc8), ControlWire.read(ByteBuffer.wrap(max)));
        assertEquals(new Unknown(0xc8), ControlWire.read(new ByteArrayInputStream(max)));
    }

    @Test
    void hugeClaimedLengthFailsBeforeReadingOrAllocating() {
        // 2^31 = 80 80 80 80 08, then an endless stream: must fail on the length alone
        byte[] head = hex("8080808008");
        long[] consumed = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return consumed[0] < head.length ? head[(int) consumed[0]++] & 0xff : (int) (consumed[0]++ & 0);
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 0);
                consumed[0] += len;
                return len;
            }
        };
        ControlException e = assertThrows(ControlException.class, () -> ControlWire.read(endless));
        assertTrue(e.getMessage().contains("2147483648"), e.getMessage());
        assertTrue(consumed[0] <= 5, "read " + consumed[0] + " bytes");
        // a 3-byte claim of 2^21 - 1 is refused just as well
        assertThrows(ControlException.class, () -> ControlWire.read(new ByteArrayInputStream(hex("ffff7f"))));
    }

    // ---------------------------------------------------------------- frames

    @Test
    void roundTripOfEveryPacket() throws IOException {
        List<Packet> all = new ArrayList<>(GOLDEN.keySet());
        all.add(new Connect(255, null));
        all.add(new Connect(0, rep(0, 32)));
        all.add(new Disconnect(""));
        all.add(new Disconnect("ü€😀".repeat(73)));   // 2+3+4 = 9 bytes * 73 = 657
        all.add(new Disconnect("y".repeat(ControlWire.MAX_STRING)));
        all.add(new Ping(Long.MIN_VALUE));
        all.add(new Pong(0));
        List<Address> eight = new ArrayList<>();
        for (int i = 0; i < ControlWire.MAX_ADDRESSES; i++) {
            eight.add(i % 2 == 0 ? new Address(rep(i, 4), i * 1000) : new Address(rep(i, 16), 65535 - i));
        }
        all.add(new ConnectionRequest(rep(1, 32), eight));
        all.add(new ConnectionRequestAccept(rep(2, 32), eight));
        all.add(new ConnectionRequestDenied(rep(3, 32), ""));
        all.add(new ClientInfo(rep(4, 32), LINK6, eight, rep(5, 33), 0));
        all.add(new ClientInfo(rep(4, 32), new Address(Bytes.fromHex("00000000000000000000ffff01020304"), 0), List.of(),
                rep(5, 33), 65535)); // IPv4-mapped IPv6 stays version 6

        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (Packet p : all) {
            byte[] f = ControlWire.encode(p);
            assertEquals(p, ControlWire.read(ByteBuffer.wrap(f)), p.toString());
            assertEquals(p, ControlWire.read(new ByteArrayInputStream(f)), p.toString());
            ControlWire.write(stream, p);
        }
        // back to back, through both sources
        ByteBuffer b = ByteBuffer.wrap(stream.toByteArray());
        InputStream in = new ByteArrayInputStream(stream.toByteArray());
        for (Packet p : all) {
            assertEquals(p, ControlWire.read(b));
            assertEquals(p, ControlWire.read(in));
        }
        assertNull(ControlWire.read(b));
        assertNull(ControlWire.read(in));
    }

    @Test
    void unknownOpcodeIsSkippedAndTheNextFrameDecodes() throws IOException {
        byte[] s = hex("04 c8 010203" + "03 02 0d96" + "01 ff" + "09 03 0000000000000007");
        for (var src : sources(s)) {
            assertEquals(new Unknown(200), src.next());
            assertEquals(new Connected(3478), src.next());
            assertEquals(new Unknown(255), src.next());
            assertEquals(new Ping(7), src.next());
            assertNull(src.next());
        }
    }

    @Test
    void payloadsMustParseExactly() {
        String[] bad = {
            "02 02 00",                                    // CONNECTED with a byte
            "02 00 01",                                    // CONNECT without mode
            "04 00 01 00 11",                              // anonymous CONNECT with a byte of key
            "04 00 01 01 11",                              // identity CONNECT with 1 of 32 key bytes
            "03 00 01 02",                                 // unknown mode
            "08 03 01020304050607",                        // PING of 7 bytes
            "0a 04 010203040506070809",                    // PONG of 9 bytes
            "01 01",                                       // DISCONNECT without a string
            "03 01 02 61",                                 // string shorter than its length
            "03 01 00 61",                                 // byte after the string
            "04 01 02 c328",                               // not UTF-8
            "05 01 03 eda080",                             // an encoded surrogate is not UTF-8
            "03 01 8000",                                  // over-long string length
            "03 01 8108",                                  // string length 1025 (0x81 0x08)
            "21 06" + "bb".repeat(32),                     // ACCEPT without count
            "22 06" + "bb".repeat(32) + "09",              // 9 addresses
            "29 06" + "bb".repeat(32) + "01 05 01020304 0000", // address version 5
            "28 06" + "bb".repeat(32) + "01 04 01020304 00",   // port cut
            "2a 06" + "bb".repeat(32) + "01 04 01020304 0000 00", // byte left over
            "20 09" + "5a".repeat(31),                     // nonce 31
            "22 09" + "5a".repeat(33),                     // nonce 33
            "40 0a" + "77".repeat(63),                     // signature 63
            "50 08" + "dd".repeat(32) + "04cb0071079c40" + "01040a0000029c40" + "ee".repeat(32), // key 32
        };
        for (String s : bad) {
            // each is a whole frame whose payload is wrong, so the fault names the opcode
            var e = assertThrows(ControlException.class, () -> ControlWire.read(ByteBuffer.wrap(hex(s))), s);
            assertTrue(e.getMessage().startsWith("opcode "), s + ": " + e.getMessage());
            assertThrows(ControlException.class, () -> ControlWire.read(new ByteArrayInputStream(hex(s))), s);
        }
        ControlException e = assertThrows(ControlException.class,
                () -> ControlWire.read(ByteBuffer.wrap(hex("08 03 01020304050607"))));
        assertTrue(e.getMessage().contains("opcode 3") && e.getMessage().contains("8") && e.getMessage().contains("7"),
                e.getMessage());
    }

    @Test
    void truncationAtEveryByteIsAFaultOrACleanEndAtABoundary() throws IOException {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        List<Integer> boundaries = new ArrayList<>(List.of(0));
        List<Frame> frames = new ArrayList<>();
        for (Packet p : GOLDEN.keySet()) {
            s.write(ControlWire.encode(p));
            boundaries.add(s.size());
            frames.add(p);
        }
        s.write(hex("04 c8 010203"));
        boundaries.add(s.size());
        frames.add(new Unknown(0xc8));
        byte[] all = s.toByteArray();
        for (int cut = 0; cut <= all.length; cut++) {
            byte[] prefix = Arrays.copyOf(all, cut);
            int whole = 0;
            while (whole + 1 < boundaries.size() && boundaries.get(whole + 1) <= cut) {
                whole++;
            }
            boolean atBoundary = boundaries.get(whole) == cut;
            for (var src : sources(prefix)) {
                for (int i = 0; i < whole; i++) {
                    assertEquals(frames.get(i), src.next(), "cut " + cut);
                }
                if (atBoundary) {
                    assertNull(src.next(), "cut " + cut);
                } else {
                    assertThrows(ControlException.class, src::next, "cut " + cut);
                }
            }
        }
    }

    @Test
    void peekFrameLength() throws ControlException {
        assertEquals(-1, ControlWire.peekFrameLength(ByteBuffer.allocate(0)));
        assertEquals(-1, ControlWire.peekFrameLength(ByteBuffer.wrap(hex("cb"))));
        ByteBuffer b = ByteBuffer.wrap(hex("cb01"));
        assertEquals(2 + 203, ControlWire.peekFrameLength(b));
        assertEquals(0, b.position());
        assertEquals(2, ControlWire.peekFrameLength(ByteBuffer.wrap(hex("01"))));
        assertThrows(ControlException.class, () -> ControlWire.peekFrameLength(ByteBuffer.wrap(hex("818004"))));
        assertThrows(ControlException.class, () -> ControlWire.peekFrameLength(ByteBuffer.wrap(hex("00"))));
        assertThrows(ControlException.class, () -> ControlWire.peekFrameLength(ByteBuffer.wrap(hex("8000"))));
    }

    @Test
    void failedBufferReadLeavesThePosition() {
        ByteBuffer b = ByteBuffer.wrap(hex("09 03 01020304"));
        assertThrows(ControlException.class, () -> ControlWire.read(b));
        assertEquals(0, b.position());
    }

    @Test
    void recordsRefuseWhatCannotBeSent() {
        assertThrows(IllegalArgumentException.class, () -> new Connect(256, null));
        assertThrows(IllegalArgumentException.class, () -> new Connect(1, rep(0, 31)));
        assertThrows(IllegalArgumentException.class, () -> new Connect(1, 3, rep(0, 32)));
        assertThrows(IllegalArgumentException.class, () -> new Connect(1, ControlWire.MODE_DIALER, null));
        assertThrows(IllegalArgumentException.class, () -> new Connect(1, ControlWire.MODE_ANONYMOUS, rep(0, 32)));
        assertThrows(IllegalArgumentException.class, () -> new Disconnect("z".repeat(ControlWire.MAX_STRING + 1)));
        assertThrows(IllegalArgumentException.class, () -> new Disconnect("é".repeat(513)));
        assertThrows(IllegalArgumentException.class, () -> new Disconnect("\ud800"));
        assertThrows(NullPointerException.class, () -> new Disconnect(null));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionRequest(rep(0, 33), List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new ConnectionRequest(rep(0, 32), java.util.Collections.nCopies(9, LAN4)));
        assertThrows(IllegalArgumentException.class, () -> new ClientInfo(rep(0, 32), LAN4, List.of(), rep(0, 32), 0));
        assertThrows(IllegalArgumentException.class, () -> new ClientInfo(rep(0, 32), LAN4, List.of(), rep(0, 33), 65536));
        assertThrows(IllegalArgumentException.class, () -> new Challenge(rep(0, 64)));
        assertThrows(IllegalArgumentException.class, () -> new ChallengeResponse(rep(0, 32)));
        assertThrows(IllegalArgumentException.class, () -> new Address(rep(0, 5), 1));
        assertThrows(IllegalArgumentException.class, () -> new Address(rep(0, 4), 65536));
        assertThrows(IllegalArgumentException.class, () -> new Address(rep(0, 4), -1));
    }

    @Test
    void addressesConvert() {
        var v4 = new InetSocketAddress("192.168.1.10", 51820);
        assertEquals(LAN4, Address.of(v4));
        assertEquals(v4, LAN4.toSocketAddress());
        assertEquals(4, LAN4.version());
        assertEquals(6, LINK6.version());
        assertEquals(LINK6, Address.of(LINK6.toSocketAddress()));
        assertThrows(IllegalArgumentException.class, () -> Address.of(InetSocketAddress.createUnresolved("x", 1)));
    }

    // ---------------------------------------------------------------- fuzz

    /**
     * Mutated streams of valid frames only ever read as frames or a ControlException; and since
     * every packet has one encoding, whatever does read as a packet encodes back to exactly its bytes.
     */
    @Test
    void seededMutationsOnlyEverThrowControlException() throws IOException {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        for (Packet p : GOLDEN.keySet()) {
            s.write(ControlWire.encode(p));
        }
        s.write(hex("04 c8 010203"));
        byte[] valid = s.toByteArray();
        Random rnd = new Random(0x7472797374L);
        int faults = 0;
        int decoded = 0;
        for (int iter = 0; iter < 20_000; iter++) {
            byte[] m = mutate(valid, rnd);
            ByteBuffer b = ByteBuffer.wrap(m);
            try {
                while (true) {
                    int start = b.position();
                    Frame f = ControlWire.read(b);
                    if (f == null) {
                        break;
                    }
                    decoded++;
                    if (f instanceof Packet p) {
                        assertArrayEquals(Arrays.copyOfRange(m, start, b.position()), ControlWire.encode(p), p.toString());
                    }
                }
            } catch (ControlException e) {
                faults++;
            } catch (RuntimeException | Error e) {
                fail("iteration " + iter + " on " + HEX.formatHex(m) + " threw " + e, e);
            }
            if (iter % 4 == 0) {
                InputStream in = new ByteArrayInputStream(m);
                try {
                    while (ControlWire.read(in) != null) {
                        decoded++;
                    }
                } catch (ControlException e) {
                    faults++;
                } catch (RuntimeException | Error e) {
                    fail("iteration " + iter + " (stream) on " + HEX.formatHex(m) + " threw " + e, e);
                }
            }
        }
        assertTrue(faults > 1000 && decoded > 1000, faults + " faults, " + decoded + " frames");
    }

    private static byte[] mutate(byte[] valid, Random rnd) {
        byte[] m = valid.clone();
        int ops = 1 + rnd.nextInt(4);
        for (int op = 0; op < ops && m.length > 0; op++) {
            int at = rnd.nextInt(m.length);
            switch (rnd.nextInt(6)) {
                case 0 -> m[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> m[at] = (byte) rnd.nextInt(256);
                case 2 -> {
                    byte[] n = new byte[m.length + 1];
                    System.arraycopy(m, 0, n, 0, at);
                    n[at] = (byte) rnd.nextInt(256);
                    System.arraycopy(m, at, n, at + 1, m.length - at);
                    m = n;
                }
                case 3 -> {
                    byte[] n = new byte[m.length - 1];
                    System.arraycopy(m, 0, n, 0, at);
                    System.arraycopy(m, at + 1, n, at, m.length - at - 1);
                    m = n;
                }
                case 4 -> m = Arrays.copyOf(m, at);
                default -> m[at] = (byte) new int[] {0x00, 0x7f, 0x80, 0xff, 0x04, 0x06, 0x08, 0x09}[rnd.nextInt(8)];
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- helpers

    interface Source {
        Frame next() throws IOException;
    }

    /** The same bytes as a buffer and as a stream. */
    private static List<Source> sources(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        InputStream in = new ByteArrayInputStream(bytes);
        return List.of(() -> ControlWire.read(b), () -> ControlWire.read(in));
    }

    @Test
    void bytesValueSemantics() {
        byte[] a = {1, 2, 3, 4, 5};
        Bytes x = Bytes.of(a);
        a[0] = 9;
        assertEquals(1, x.get(0));
        assertEquals(Bytes.fromHex("0102030405"), x);
        assertEquals(x.hashCode(), Bytes.fromHex("0102030405").hashCode());
        assertEquals("0102030405", x.hex());
        assertEquals("Bytes[5:01020304…]", x.toString());
        assertEquals("Bytes[2:0a0b]", Bytes.fromHex("0a0b").toString());
        x.toByteArray()[1] = 7;
        assertEquals(2, x.get(1));
        assertInstanceOf(Bytes.class, Bytes.of(a, 1, 2));
        assertEquals(Bytes.fromHex("0203"), Bytes.of(new byte[] {1, 2, 3, 4}, 1, 2));
    }
}
