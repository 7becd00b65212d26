package dev.tryst.wire;

import static dev.tryst.wire.StunWire.*;
import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120) // a bound for a hang, not a speed claim: the mutation loop is CPU work on a shared machine
public class StunWireTest {
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 5769 section 2.2, "Sample IPv4 Response". */
    public static final byte[] RFC5769_IPV4 = HEX.parseHex(
            "0101003c2112a442b7e7a701bc34d686fa87dfae"
            + "8022000b7465737420766563746f7220"
            + "002000080001a147e112a643"
            + "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
            + "80280004c07d4c96");

    /** RFC 5769 section 2.3, "Sample IPv6 Response". */
    static final byte[] RFC5769_IPV6 = HEX.parseHex(
            "010100482112a442b7e7a701bc34d686fa87dfae"
            + "8022000b7465737420766563746f7220"
            + "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
            + "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
            + "80280004c8fb0b4c");

    /** RFC 5769 section 2.1, "Sample Request" (ICE-flavoured: PRIORITY, USERNAME, MESSAGE-INTEGRITY). */
    public static final byte[] RFC5769_REQUEST = HEX.parseHex(
            "000100582112a442b7e7a701bc34d686fa87dfae"
            + "802200105354554e207465737420636c69656e74"
            + "002400046e0001ff"
            + "80290008932ff9b151263b36"
            + "000600096576746a3a68367659202020"
            + "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
            + "80280004e57a3bcf");

    static final byte[] TXID = HEX.parseHex("b7e7a701bc34d686fa87dfae");

    @Test
    void rfc5769Ipv4ResponseDecodesAndItsFingerprintIsOurs() throws Exception {
        Message m = decode(RFC5769_IPV4);
        assertEquals(BINDING_SUCCESS, m.type());
        assertTrue(m.hasMagicCookie());
        assertArrayEquals(TXID, m.transactionId());
        assertEquals(List.of(SOFTWARE, XOR_MAPPED_ADDRESS, 0x0008, FINGERPRINT),
                m.attributes().stream().map(Attribute::type).toList());
        InetSocketAddress mapped = decodeXorAddress(m.first(XOR_MAPPED_ADDRESS).value(), m.cookie(), m.transactionId());
        assertEquals(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853), mapped);
        assertEquals(0xc07d4c96, fingerprint(RFC5769_IPV4, 0, RFC5769_IPV4.length - 8));
        assertEquals("test vector", new String(m.first(SOFTWARE).value(), StandardCharsets.UTF_8));
    }

    @Test
    void rfc5769Ipv6ResponseDecodesAndItsFingerprintIsOurs() throws Exception {
        Message m = decode(RFC5769_IPV6);
        InetSocketAddress mapped = decodeXorAddress(m.first(XOR_MAPPED_ADDRESS).value(), m.cookie(), m.transactionId());
        assertEquals(new InetSocketAddress(InetAddress.getByName("2001:db8:1234:5678:11:2233:4455:6677"), 32853), mapped);
        assertEquals(0xc8fb0b4c, fingerprint(RFC5769_IPV6, 0, RFC5769_IPV6.length - 8));
    }

    @Test
    void rfc5769RequestDecodes() throws Exception {
        Message m = decode(RFC5769_REQUEST);
        assertEquals(BINDING_REQUEST, m.type());
        assertEquals(0, messageClass(m.type()));
        assertEquals(1, method(m.type()));
        assertEquals("evtj:h6vY", new String(m.first(0x0006).value(), StandardCharsets.UTF_8));
    }

    /** Our encoder produces the vector's attributes byte for byte (MESSAGE-INTEGRITY copied, not computed). */
    @Test
    void encoderMatchesTheVectorsAttributeByAttribute() throws Exception {
        for (byte[] vector : List.of(RFC5769_IPV4, RFC5769_IPV6)) {
            Message theirs = decode(vector);
            InetSocketAddress mapped = decodeXorAddress(theirs.first(XOR_MAPPED_ADDRESS).value(), MAGIC_COOKIE, TXID);
            byte[] xor = xorAddressValue(mapped, MAGIC_COOKIE, TXID);
            assertArrayEquals(theirs.first(XOR_MAPPED_ADDRESS).value(), xor);
            // The vectors pad SOFTWARE with a space; ours pads with zero bytes, so compare values.
            assertArrayEquals(theirs.first(SOFTWARE).value(), "test vector".getBytes(StandardCharsets.UTF_8));
            Message ours = new Message(BINDING_SUCCESS, MAGIC_COOKIE, TXID, List.of(
                    new Attribute(SOFTWARE, "test vector".getBytes(StandardCharsets.UTF_8)),
                    new Attribute(XOR_MAPPED_ADDRESS, xor),
                    theirs.first(0x0008)));
            byte[] encoded = encode(ours, true);
            assertEquals(vector.length, encoded.length);
            // Identical apart from SOFTWARE's padding byte (0x20 there, 0x00 here) and so FINGERPRINT.
            int pad = HEADER_LENGTH + 4 + 11;
            assertEquals(0x20, vector[pad]);
            assertEquals(0, encoded[pad]);
            byte[] patched = encoded.clone();
            patched[pad] = 0x20;
            put32(patched, patched.length - 4, fingerprint(patched, 0, patched.length - 8));
            assertArrayEquals(vector, patched);
            Message back = decode(encoded);
            for (int i = 0; i < 3; i++) {
                assertEquals(theirs.attributes().get(i).type(), back.attributes().get(i).type());
                assertArrayEquals(theirs.attributes().get(i).value(), back.attributes().get(i).value());
            }
        }
    }

    @Test
    void addressRoundTrips() throws Exception {
        byte[] txid = new byte[12];
        new Random(1).nextBytes(txid);
        for (String s : List.of("203.0.113.7", "::1", "2001:db8::5", "0.0.0.0")) {
            InetSocketAddress a = new InetSocketAddress(InetAddress.getByName(s), 65535);
            assertEquals(a, decodeXorAddress(xorAddressValue(a, MAGIC_COOKIE, txid), MAGIC_COOKIE, txid));
            assertEquals(a, decodeAddress(addressValue(a)));
        }
        assertThrows(StunFormatException.class, () -> decodeAddress(new byte[7]));
        assertThrows(StunFormatException.class, () -> decodeAddress(HEX.parseHex("0002000001020304")));
    }

    @Test
    void errorCodeAndUnknownAttributes() throws Exception {
        assertArrayEquals(HEX.parseHex("00000414"), errorCodeValue(420, ""));
        assertEquals(420, decodeErrorCode(errorCodeValue(420, "Unknown Attribute")));
        assertArrayEquals(new int[] {0x7777, 0x0003}, decodeUnknownAttributes(unknownAttributesValue(new int[] {0x7777, 3})));
    }

    @Test
    void refusesMalformed() {
        byte[] ok = encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, TXID, List.of()), true);
        assertDoesNotThrowFormat(ok);
        refused(new byte[19]);
        byte[] longer = ok.clone();
        put16(longer, 2, 12); // claims more than the datagram holds
        refused(longer);
        byte[] odd = ok.clone();
        put16(odd, 2, 6);
        refused(odd);
        byte[] topBits = ok.clone();
        topBits[0] |= (byte) 0x80;
        refused(topBits);
        byte[] badFp = ok.clone();
        badFp[badFp.length - 1] ^= 1;
        refused(badFp);
        // attribute running past the end: length 8 in an 8-byte body
        byte[] past = HEX.parseHex("000100082112a442b7e7a701bc34d686fa87dfae" + "80220008" + "61626364");
        refused(past);
        // FINGERPRINT not last
        byte[] fpFirst = encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, TXID,
                List.of(new Attribute(FINGERPRINT, new byte[4]), new Attribute(SOFTWARE, new byte[1]))), false);
        refused(fpFirst);
        // trailing bytes after the message
        byte[] trailing = new byte[ok.length + 4];
        System.arraycopy(ok, 0, trailing, 0, ok.length);
        refused(trailing);
    }

    private static void assertDoesNotThrowFormat(byte[] b) {
        try {
            decode(b);
        } catch (StunFormatException e) {
            fail(e);
        }
    }

    private static void refused(byte[] b) {
        assertThrows(StunFormatException.class, () -> decode(b), HEX.formatHex(b));
    }

    /** 20 000 mutated valid messages: the decoder either decodes or throws its own exception. */
    @Test
    void mutationLoopOnlyEverThrowsStunFormatException() {
        Random rnd = new Random(0x5EED);
        List<byte[]> seeds = new ArrayList<>(List.of(RFC5769_IPV4, RFC5769_IPV6, RFC5769_REQUEST));
        seeds.add(encode(new Message(BINDING_REQUEST, MAGIC_COOKIE, TXID,
                List.of(new Attribute(CHANGE_REQUEST, changeRequestValue(CHANGE_IP)))), true));
        int decoded = 0, refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            try {
                Message m = decode(b);
                decoded++;
                for (Attribute a : m.attributes()) {
                    if (a.type() == XOR_MAPPED_ADDRESS) {
                        try {
                            decodeXorAddress(a.value(), m.cookie(), m.transactionId());
                        } catch (StunFormatException e) {
                            // fine
                        }
                    }
                }
            } catch (StunFormatException e) {
                refused++;
            }
        }
        assertTrue(decoded > 100 && refused > 100, decoded + " decoded, " + refused + " refused");
    }

    public static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(6)) {
            case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            case 1 -> { // random byte in the header or an attribute header
                b[rnd.nextInt(Math.min(b.length, 28))] = (byte) rnd.nextInt(256);
            }
            case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncate
            case 3 -> b = java.util.Arrays.copyOf(b, b.length + rnd.nextInt(9)); // extend with zeros
            case 4 -> { // rewrite an attribute length somewhere plausible
                int at = HEADER_LENGTH + 4 * rnd.nextInt(Math.max(1, (b.length - HEADER_LENGTH) / 4));
                if (at + 3 < b.length) {
                    put16(b, at + 2, rnd.nextInt(0x10000));
                }
            }
            default -> { // strip FINGERPRINT so mutations behind it survive, then flip a bit
                if (b.length >= 28) {
                    b = java.util.Arrays.copyOf(b, b.length - 8);
                    put16(b, 2, b.length - HEADER_LENGTH);
                    b[HEADER_LENGTH + rnd.nextInt(b.length - HEADER_LENGTH)] ^= (byte) rnd.nextInt(256);
                }
            }
        }
        return b;
    }
}
