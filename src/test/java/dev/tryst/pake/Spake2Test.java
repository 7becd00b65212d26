package dev.tryst.pake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;

import cafe.cryptography.curve25519.CompressedEdwardsY;
import cafe.cryptography.curve25519.EdwardsPoint;
import cafe.cryptography.curve25519.InvalidEncodingException;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class Spake2Test {

    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RNG = new SecureRandom();
    private static final String PYTHON = "/usr/bin/python3";

    // ---------------------------------------------------------------- vectors

    /** Flat JSON: top-level "key": "value" pairs plus one vector object per line. */
    private static final Pattern PAIR = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([^\"]*)\"");

    private static Map<String, String> pairs(String line) {
        Map<String, String> m = new HashMap<>();
        Matcher matcher = PAIR.matcher(line);
        while (matcher.find()) {
            m.put(matcher.group(1), matcher.group(2));
        }
        return m;
    }

    private static List<String> vectorLines() throws IOException {
        try (InputStream in = Spake2Test.class.getResourceAsStream("/pake/vectors.json")) {
            assertTrue(in != null, "pake/vectors.json missing from test resources");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    private static List<Map<String, String>> vectors() throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        for (String line : vectorLines()) {
            if (line.startsWith("{\"name\"")) {
                out.add(pairs(line));
            }
        }
        return out;
    }

    private static byte[] hex(Map<String, String> v, String k) {
        String s = v.get(k);
        if (s == null) {
            throw new AssertionError("vector " + v.get("name") + " lacks " + k);
        }
        return HEX.parseHex(s);
    }

    @Test
    void vectorsFileIsComplete() throws IOException {
        List<Map<String, String>> vs = vectors();
        assertEquals(9, vs.size());
        assertEquals(5, vs.stream().filter(v -> v.get("mode").equals("symmetric")).count());
        assertTrue(vs.stream().anyMatch(v -> v.get("password").isEmpty()), "needs an empty password");
    }

    @Test
    void constantsMatchPythonAndJavadoc() throws IOException {
        Map<String, String> top = new HashMap<>();
        for (String line : vectorLines()) {
            if (!line.startsWith("{\"name\"")) {
                top.putAll(pairs(line));
            }
        }
        assertEquals(top.get("S"), Spake2.S_HEX);
        assertEquals(top.get("M"), Spake2.M_HEX);
        assertEquals(top.get("N"), Spake2.N_HEX);
    }

    /** Re-derive S, M, N with python-spake2's arbitrary_element() so they are not magic. */
    @Test
    void constantsAreHashToPointOfTheirSeeds() throws Exception {
        assertEquals(Spake2.S_HEX, arbitraryElement("symmetric"));
        assertEquals(Spake2.M_HEX, arbitraryElement("M"));
        assertEquals(Spake2.N_HEX, arbitraryElement("N"));
    }

    private static String arbitraryElement(String seed) throws Exception {
        BigInteger q = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
        byte[] h = KDF.getInstance("HKDF-SHA256").deriveData(HKDFParameterSpec.ofExtract()
                .addIKM(seed.getBytes(StandardCharsets.US_ASCII))
                .thenExpand("SPAKE2 arbitrary element".getBytes(StandardCharsets.US_ASCII), 48));
        BigInteger y = new BigInteger(1, h).mod(q);
        for (int plus = 0; plus < 1000; plus++) {
            BigInteger yp = y.add(BigInteger.valueOf(plus)).mod(q);
            byte[] enc = littleEndian32(yp); // sign bit 0: python's xrecover picks even x
            EdwardsPoint p;
            try {
                p = new CompressedEdwardsY(enc).decompress();
            } catch (InvalidEncodingException e) {
                continue;
            }
            EdwardsPoint p8 = p.multiplyByCofactor();
            if (p8.isIdentity()) {
                continue;
            }
            assertTrue(p8.isTorsionFree());
            return HEX.formatHex(p8.compress().toByteArray());
        }
        throw new AssertionError("no point found");
    }

    private static byte[] littleEndian32(BigInteger v) {
        byte[] be = v.toByteArray();
        byte[] le = new byte[32];
        for (int i = 0; i < 32 && i < be.length; i++) {
            le[i] = be[be.length - 1 - i];
        }
        return le;
    }

    @Test
    void knownAnswerVectorsFromPython() throws Exception {
        for (Map<String, String> v : vectors()) {
            String name = v.get("name");
            boolean sym = v.get("mode").equals("symmetric");
            byte[] pw = hex(v, "password");
            byte[] idA = hex(v, "idA");
            byte[] idB = hex(v, "idB");
            assertEquals(v.get("pwScalar"), HEX.formatHex(Spake2.passwordScalarBytes(pw)), name + " pw scalar");

            Spake2 a = Spake2.startWithEntropy(sym ? Spake2.SIDE_SYMMETRIC : Spake2.SIDE_A, pw, idA, idB,
                    hex(v, "entropyA"));
            Spake2 b = Spake2.startWithEntropy(sym ? Spake2.SIDE_SYMMETRIC : Spake2.SIDE_B, pw, idA, idB,
                    hex(v, "entropyB"));
            assertEquals(v.get("scalarA"), HEX.formatHex(a.secretScalarBytes()), name + " scalar A");
            assertEquals(v.get("scalarB"), HEX.formatHex(b.secretScalarBytes()), name + " scalar B");
            assertEquals(v.get("msgA"), HEX.formatHex(a.message()), name + " message A");
            assertEquals(v.get("msgB"), HEX.formatHex(b.message()), name + " message B");
            assertEquals(v.get("key"), HEX.formatHex(a.finish(hex(v, "msgB"))), name + " key A");
            assertEquals(v.get("key"), HEX.formatHex(b.finish(hex(v, "msgA"))), name + " key B");
        }
    }

    // ---------------------------------------------------------------- live python interop

    private static boolean pythonSpake2Available() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import spake2").redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs {@code spake2_peer.py} as the other side. Java's message is written up front and
     * stdin closed, so we never block on a pipe; the whole exchange is bounded by a timeout.
     */
    private static List<String> runPythonPeer(String mode, byte[] pw, byte[] idA, byte[] idB, byte[] javaMessage)
            throws IOException, InterruptedException, URISyntaxException {
        Path script = Path.of(Spake2Test.class.getResource("/pake/spake2_peer.py").toURI());
        Process p = new ProcessBuilder(PYTHON, script.toString(), mode, HEX.formatHex(pw), HEX.formatHex(idA),
                HEX.formatHex(idB)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            p.getOutputStream().write((HEX.formatHex(javaMessage) + "\n").getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                fail("python peer timed out");
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
        } finally {
            p.destroyForcibly();
        }
    }

    private static void assumePython() {
        Assumptions.assumeTrue(pythonSpake2Available(),
                "skipping live interop: '" + PYTHON + " -c \"import spake2\"' failed (install python3-spake2)");
    }

    private void liveExchange(String pyMode, byte[] pw, byte[] idA, byte[] idB) throws Exception {
        Spake2 java = switch (pyMode) {
            case "S" -> Spake2.startSymmetric(pw, idA, RNG);
            case "A" -> Spake2.startB(pw, idA, idB, RNG);
            case "B" -> Spake2.startA(pw, idA, idB, RNG);
            default -> throw new IllegalArgumentException(pyMode);
        };
        List<String> out = runPythonPeer(pyMode, pw, idA, idB, java.message());
        assertEquals(2, out.size(), "python output: " + out);
        byte[] javaKey = java.finish(HEX.parseHex(out.get(0)));
        assertEquals(out.get(1), HEX.formatHex(javaKey), "python and java keys differ (" + pyMode + ")");
    }

    @Test
    @Timeout(60)
    void liveInteropSymmetric() throws Exception {
        assumePython();
        liveExchange("S", "4-purple-sausages".getBytes(StandardCharsets.UTF_8), "dev.tryst".getBytes(StandardCharsets.UTF_8), new byte[0]);
    }

    @Test
    @Timeout(60)
    void liveInteropJavaAPythonB() throws Exception {
        assumePython();
        liveExchange("B", "pässwörd".getBytes(StandardCharsets.UTF_8), "alice".getBytes(StandardCharsets.UTF_8),
                "bob".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @Timeout(60)
    void liveInteropJavaBPythonA() throws Exception {
        assumePython();
        liveExchange("A", new byte[0], new byte[0], "bob".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @Timeout(60)
    void pythonRejectsWrongPasswordOnlyByKeyMismatch() throws Exception {
        assumePython();
        byte[] id = "x".getBytes(StandardCharsets.UTF_8);
        Spake2 java = Spake2.startSymmetric("right".getBytes(StandardCharsets.UTF_8), id, RNG);
        List<String> out = runPythonPeer("S", "wrong".getBytes(StandardCharsets.UTF_8), id, new byte[0], java.message());
        assertEquals(2, out.size(), "python output: " + out);
        assertNotEquals(out.get(1), HEX.formatHex(java.finish(HEX.parseHex(out.get(0)))));
    }

    // ---------------------------------------------------------------- java <-> java

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[][] symmetricKeys(String pw1, String id1, String pw2, String id2) throws PakeException {
        Spake2 a = Spake2.startSymmetric(utf8(pw1), utf8(id1), RNG);
        Spake2 b = Spake2.startSymmetric(utf8(pw2), utf8(id2), RNG);
        return new byte[][] {a.finish(b.message()), b.finish(a.message())};
    }

    @Test
    void javaJavaSymmetric() throws PakeException {
        byte[][] same = symmetricKeys("7-banjo-tango", "id", "7-banjo-tango", "id");
        assertArrayEquals(same[0], same[1]);
        assertEquals(Spake2.KEY_LENGTH, same[0].length);

        byte[][] wrongPw = symmetricKeys("7-banjo-tango", "id", "7-banjo-tangp", "id");
        assertFalse(Arrays.equals(wrongPw[0], wrongPw[1]));

        byte[][] wrongId = symmetricKeys("7-banjo-tango", "id", "7-banjo-tango", "id2");
        assertFalse(Arrays.equals(wrongId[0], wrongId[1]));

        byte[][] again = symmetricKeys("7-banjo-tango", "id", "7-banjo-tango", "id");
        assertFalse(Arrays.equals(same[0], again[0]), "fresh randomness must give fresh keys");
    }

    @Test
    void javaJavaAsymmetric() throws PakeException {
        Spake2 a = Spake2.startA(utf8("pw"), utf8("alice"), utf8("bob"), RNG);
        Spake2 b = Spake2.startB(utf8("pw"), utf8("alice"), utf8("bob"), RNG);
        assertEquals(Spake2.SIDE_A, a.message()[0]);
        assertEquals(Spake2.SIDE_B, b.message()[0]);
        assertArrayEquals(a.finish(b.message()), b.finish(a.message()));

        Spake2 a2 = Spake2.startA(utf8("pw"), utf8("alice"), utf8("bob"), RNG);
        Spake2 b2 = Spake2.startB(utf8("pw"), utf8("alice"), utf8("eve"), RNG);
        assertFalse(Arrays.equals(a2.finish(b2.message()), b2.finish(a2.message())));

        Spake2 a3 = Spake2.startA(utf8("pw"), utf8("alice"), utf8("bob"), RNG);
        Spake2 b3 = Spake2.startB(utf8("pW"), utf8("alice"), utf8("bob"), RNG);
        assertFalse(Arrays.equals(a3.finish(b3.message()), b3.finish(a3.message())));
    }

    @Test
    void messageIsACopyAndToStringHidesSecrets() {
        Spake2 s = Spake2.startSymmetric(utf8("secret-password"), utf8("id"), RNG);
        byte[] m = s.message();
        assertEquals(Spake2.MESSAGE_LENGTH, m.length);
        assertEquals('S', m[0]);
        m[5] ^= 1;
        assertFalse(Arrays.equals(m, s.message()));
        String str = s.toString();
        assertFalse(str.contains("secret"), str);
        assertFalse(str.contains(HEX.formatHex(s.secretScalarBytes()).substring(0, 8)), str);
    }

    // ---------------------------------------------------------------- rejection

    private static Spake2 sym() {
        return Spake2.startSymmetric(utf8("pw"), utf8("id"), RNG);
    }

    private static byte[] withSide(char side, String pointHex) {
        byte[] m = new byte[Spake2.MESSAGE_LENGTH];
        m[0] = (byte) side;
        System.arraycopy(HEX.parseHex(pointHex), 0, m, 1, 32);
        return m;
    }

    private static PakeException rejects(Spake2 s, byte[] msg) {
        return assertThrows(PakeException.class, () -> s.finish(msg));
    }

    @Test
    void rejectsWrongLength() {
        for (int len : new int[] {0, 1, 32, 34, 65}) {
            PakeException e = rejects(sym(), new byte[len]);
            assertTrue(e.getMessage().contains("got " + len), e.getMessage());
            assertTrue(e.getMessage().contains("33"), e.getMessage());
        }
        assertThrows(PakeException.class, () -> sym().finish(null));
    }

    @Test
    void rejectsWrongSideByte() {
        byte[] good = sym().message();
        for (char bad : new char[] {'A', 'B', 'X', 0}) {
            byte[] m = good.clone();
            m[0] = (byte) bad;
            PakeException e = rejects(sym(), m);
            assertTrue(e.getMessage().contains(String.format("0x%02x", (int) bad)), e.getMessage());
        }
        Spake2 a = Spake2.startA(utf8("pw"), utf8("a"), utf8("b"), RNG);
        Spake2 a2 = Spake2.startA(utf8("pw"), utf8("a"), utf8("b"), RNG);
        assertTrue(rejects(a, a2.message()).getMessage().contains("same side"));
        Spake2 b = Spake2.startB(utf8("pw"), utf8("a"), utf8("b"), RNG);
        rejects(b, Spake2.startB(utf8("pw"), utf8("a"), utf8("b"), RNG).message());
        rejects(Spake2.startB(utf8("pw"), utf8("a"), utf8("b"), RNG), sym().message());
    }

    @Test
    void rejectsNonDecodablePoint() {
        // y = 2 is not the y-coordinate of any curve point (python-spake2: NotOnCurve)
        rejects(sym(), withSide('S', "0200000000000000000000000000000000000000000000000000000000000000"));
    }

    /** Identity, the small-order points (orders 2, 4, 8) and non-canonical encodings of them. */
    static final String[] LOW_ORDER = {
        "0100000000000000000000000000000000000000000000000000000000000000", // identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2 (0, -1)
        "0000000000000000000000000000000000000000000000000000000000000000", // order 4
        "0000000000000000000000000000000000000000000000000000000000000080", // order 4
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
        "0100000000000000000000000000000000000000000000000000000000000080", // identity, x sign set
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1: identity
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p: order 4
    };

    @Test
    void rejectsIdentityAndSmallOrderPoints() {
        for (String h : LOW_ORDER) {
            PakeException e = rejects(sym(), withSide('S', h));
            assertFalse(e.getMessage().isEmpty());
        }
        assertTrue(rejects(sym(), withSide('S', LOW_ORDER[0])).getMessage().contains("identity"));
        assertTrue(rejects(sym(), withSide('S', LOW_ORDER[1])).getMessage().contains("small order"));
    }

    @Test
    void rejectsPointOutsidePrimeOrderSubgroup() throws Exception {
        // a valid peer point plus a torsion point of order 2: decodes fine, wrong subgroup
        EdwardsPoint y = new CompressedEdwardsY(Arrays.copyOfRange(sym().message(), 1, 33)).decompress();
        EdwardsPoint t = new CompressedEdwardsY(HEX.parseHex(LOW_ORDER[1])).decompress();
        String mixed = HEX.formatHex(y.add(t).compress().toByteArray());
        assertTrue(rejects(sym(), withSide('S', mixed)).getMessage().contains("subgroup"));
    }

    @Test
    void rejectsNonCanonicalEncoding() {
        // y = p + 1 and "x = -0" both decode (mod p) to the identity; reject before anything else
        assertTrue(rejects(sym(), withSide('S', LOW_ORDER[9])).getMessage().contains("non-canonical"));
        assertTrue(rejects(sym(), withSide('S', LOW_ORDER[8])).getMessage().contains("non-canonical"));
    }

    @Test
    void flippedSignBitIsAnotherValidPointWithADifferentKey() throws PakeException {
        Spake2 peer = sym();
        byte[] m = peer.message();
        m[32] ^= (byte) 0x80; // -P is still in the subgroup: accepted, but the keys disagree
        Spake2 me = sym();
        assertFalse(Arrays.equals(me.finish(m), peer.finish(me.message())));
    }

    @Test
    void rejectsReflection() {
        Spake2 s = sym();
        assertTrue(rejects(s, s.message()).getMessage().contains("reflect"));
    }

    @Test
    void finishTwiceIsIllegalState() throws PakeException {
        Spake2 a = sym();
        Spake2 b = sym();
        a.finish(b.message());
        assertThrows(IllegalStateException.class, () -> a.finish(b.message()));

        Spake2 c = sym();
        rejects(c, new byte[3]);
        assertThrows(IllegalStateException.class, () -> c.finish(b.message()), "spent even after a failure");
    }

    // ---------------------------------------------------------------- fuzz

    /**
     * 10 000 random / mutated peer messages: finish() either returns a 32-byte key or throws
     * PakeException, nothing else. Each iteration has its own seed (SEED + i), so a failure is
     * reproducible from the iteration number; iterations run in parallel to keep this fast.
     */
    @Test
    @Timeout(60)
    void mutatedMessagesOnlyEverThrowPakeException() {
        final long seed = 0x7157_2025L;
        byte[] valid = sym().message();
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        IntStream.range(0, 10_000).parallel().forEach(i -> {
            byte[] m = mutant(new Random(seed + i), valid);
            Spake2 s = sym();
            try {
                byte[] k = s.finish(m);
                assertEquals(Spake2.KEY_LENGTH, k.length);
                accepted.incrementAndGet();
            } catch (PakeException expected) {
                rejected.incrementAndGet();
            } catch (RuntimeException e) {
                throw new AssertionError("iteration " + i + " message " + HEX.formatHex(m) + " threw " + e, e);
            }
        });
        assertTrue(accepted.get() > 0 && rejected.get() > 9_000, "accepted=" + accepted + " rejected=" + rejected);
    }

    private static byte[] mutant(Random r, byte[] valid) {
        byte[] m;
        switch (r.nextInt(6)) {
            case 0 -> {
                m = new byte[Spake2.MESSAGE_LENGTH];
                r.nextBytes(m);
            }
            case 1 -> {
                m = new byte[Spake2.MESSAGE_LENGTH];
                r.nextBytes(m);
                m[0] = 'S';
            }
            case 2 -> {
                m = valid.clone();
                for (int n = 1 + r.nextInt(3); n > 0; n--) {
                    m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 3 -> {
                m = new byte[r.nextInt(70)];
                r.nextBytes(m);
            }
            case 4 -> m = withSide('S', LOW_ORDER[r.nextInt(LOW_ORDER.length)]);
            default -> {
                m = valid.clone();
                m[1 + r.nextInt(32)] = (byte) r.nextInt(256);
                m[32] |= (byte) (r.nextBoolean() ? 0x80 : 0);
            }
        }
        return m;
    }
}
