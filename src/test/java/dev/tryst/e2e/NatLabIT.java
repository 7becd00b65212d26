package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The NAT lab ({@code lab/nat-lab.sh}): real {@code tryst server}, {@code send} and
 * {@code receive} processes (and {@code pair}, {@code listen} and {@code connect} between identities) in
 * network namespaces behind nftables NATs. Needs root, {@code ip
 * netns} and {@code nft}; skipped, saying so, where they are not allowed (.ci/run installs
 * nftables and runs as root).
 *
 * <p>Expected paths, from the NAT behaviour measured in BASELINES.md for TCP "listen and connect on
 * the same port": direct TCP for every pair except cone ↔ symmetric and symmetric ↔ symmetric. Cone ↔
 * symmetric ends on QUIC over a UDP path punched by the birthday spray (it starts on the relay and
 * moves); symmetric ↔ symmetric, which nothing punches, stays on the relay.
 */
@Timeout(900)
class NatLabIT {
    static final Path SCRIPT = Path.of("lab/nat-lab.sh");

    @BeforeAll
    static void labAllowed() throws Exception {
        assumeTrue(run(List.of("id", "-u"), 10).out().strip().equals("0"), "NAT lab skipped: needs root for network namespaces");
        assumeTrue(run(List.of("sh", "-c", "command -v nft"), 10).code() == 0,
                "NAT lab skipped: nftables (nft) is not installed; .ci/run installs it");
        Result probe = run(List.of("sh", "-c", "ip netns add tryst-probe-$$ && ip netns del tryst-probe-$$"), 10);
        assumeTrue(probe.code() == 0, "NAT lab skipped: network namespaces are not allowed here: " + probe.out());
    }

    record Result(int code, String out, String err) {}

    static Result run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        return run(cmd, seconds, Map.of());
    }

    static Result run(List<String> cmd, int seconds, Map<String, String> env) throws IOException, InterruptedException {
        Path out = Files.createTempFile("nat-lab", ".out");
        Path err = Files.createTempFile("nat-lab", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("JAVA", TrystProcess.JAVA);
            pb.environment().put("TRYST_JAR", TrystProcess.JAR.toAbsolutePath().toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroy(); // the script's trap tears the namespaces down
                p.waitFor(30, TimeUnit.SECONDS);
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not end within " + seconds + " s:\n" + Files.readString(out) + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** "RESULT A B PATH MS NOTE" lines, by "A B". */
    static Map<String, String[]> rows(String out) {
        Map<String, String[]> m = new HashMap<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split("\t");
            if (f.length == 6) {
                m.put(f[1] + " " + f[2], f);
            }
        }
        return m;
    }

    @Test
    void everyPairConnectsDirectlyWhereTcpCanAndThroughTheRelayWhereItCannot() throws Exception {
        // the relay slowed (2 MB/s), so that a transfer that starts on it is still running when a direct
        // path proves itself: the PATH column is the path each transfer ended on. 24 MiB (12 s on the
        // relay): a UDP path needs the spray (after 1 s), the punch's linger (1.5 s) and a QUIC handshake
        // before cone <-> symmetric can move, longer on a loaded machine
        Result r = run(List.of("bash", SCRIPT.toString(), "matrix"), 800, Map.of("THROTTLE_RELAY", "1", "SIZE_MIB", "24"));
        assertEquals(0, r.code(), r.out() + r.err());
        Map<String, String[]> rows = rows(r.out());
        Map<String, String> ended = new HashMap<>();
        for (String pair : List.of("none none", "none fullcone", "none cone", "none symmetric", "fullcone fullcone",
                "fullcone cone", "fullcone symmetric", "cone cone", "cone hairpin")) {
            ended.put(pair, "direct, tcp ");
        }
        ended.put("cone symmetric", "direct, quic "); // only UDP punches (the birthday spray), QUIC carries it
        ended.put("symmetric symmetric", "relayed via 198.18.0.1:8080");
        assertEquals(ended.keySet(), rows.keySet(), r.out());
        for (var e : ended.entrySet()) {
            String[] row = rows.get(e.getKey());
            assertEquals("OK", row[0], e.getKey() + ": " + String.join(" | ", row) + "\n" + r.err());
            assertTrue(row[3].startsWith(e.getValue()), e.getKey() + " went " + row[3]);
        }
        // hairpin: both behind one NAT meet on their private addresses
        assertTrue(rows.get("cone hairpin")[3].contains("198.19.1."), rows.get("cone hairpin")[3]);
    }

    /**
     * {@code tryst netcheck} on every pair: a direct UDP path is punched wherever BASELINES says UDP
     * works — cone ↔ symmetric only with the birthday spray — and never for symmetric ↔ symmetric.
     */
    @Test
    void udpIsPunchedEverywhereButSymmetricToSymmetricWithTheSprayForConeToSymmetric() throws Exception {
        Result r = run(List.of("bash", SCRIPT.toString(), "udp"), 600);
        assertEquals(0, r.code(), r.out() + r.err());
        Map<String, String[]> rows = rows(r.out());
        assertEquals(11, rows.size(), r.out());
        for (var e : rows.entrySet()) {
            String[] row = e.getValue();
            assertEquals("OK", row[0], e.getKey() + ": " + String.join(" | ", row) + "\n" + r.err());
            boolean expected = !e.getKey().equals("symmetric symmetric");
            assertEquals(expected, !row[3].equals("none"), e.getKey() + ": udp " + row[3]);
        }
        assertTrue(rows.get("cone symmetric")[5].startsWith("sprayed"), String.join(" | ", rows.get("cone symmetric")));
        assertTrue(!rows.get("cone cone")[5].startsWith("sprayed"), "no spray where plain probing works");
    }

    @Test
    void aDirectPathCutMidTransferFinishesThroughTheRelay() throws Exception {
        Result r = run(List.of("bash", SCRIPT.toString(), "cut"), 400);
        assertEquals(0, r.code(), r.out() + r.err());
        String[] row = rows(r.out()).get("cone cone");
        assertEquals("OK", row[0], String.join(" | ", row) + "\n" + r.err());
        assertTrue(row[3].startsWith("direct, tcp "), row[3]);
        assertTrue(row[5].contains("after the cut: relayed via 198.18.0.1:8080"), row[5]);
    }

    /**
     * Relay first, then direct (issue 11): the direct path is blocked as the transfer starts, so it
     * starts on the relay; once the block is lifted the transfer moves to the direct path, finishes
     * there verified, and the relay's own byte counter (its /metrics) does not grow after the move.
     */
    @Test
    void aTransferThatStartsOnTheRelayMovesToADirectPathFoundLater() throws Exception {
        Result r = run(List.of("bash", SCRIPT.toString(), "late"), 400);
        assertEquals(0, r.code(), r.out() + r.err());
        String[] row = rows(r.out()).get("cone cone");
        assertEquals("OK", row[0], String.join(" | ", row) + "\n" + r.err());
        assertTrue(row[3].startsWith("direct, tcp "), "ended on " + row[3]);
        assertTrue(row[5].contains("started relayed via 198.18.0.1:8080"), row[5]);
        assertTrue(row[5].matches(".*\\d+ MiB through the relay before the move, 0 bytes after.*"), row[5]);
    }

    /** A few MiB each way through the pipe: enough to verify, small enough for the suite. */
    static final Map<String, String> CONNECT_SIZE = Map.of("SIZE_MIB", "2");

    /** {@code lab/nat-lab.sh connect A B} (or another connect mode): its one row, after checking it passed. */
    static String[] connectRow(String pair, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Result r = run(cmd, 300, CONNECT_SIZE);
        assertEquals(0, r.code(), r.out() + r.err());
        String[] row = rows(r.out()).get(pair);
        assertTrue(row != null, "no row for " + pair + ":\n" + r.out() + r.err());
        assertEquals("OK", row[0], String.join(" | ", row) + "\n" + r.err());
        return row;
    }

    /** Identities behind two cone NATs pair through a code and connect directly, like send and receive. */
    @Test
    void identitiesBehindConeNatsPairAndConnectDirectly() throws Exception {
        String[] row = connectRow("cone cone", "connect", "cone", "cone");
        assertTrue(row[3].startsWith("direct, tcp "), "connected " + row[3]);
        assertTrue(row[5].contains("paired direct, tcp "), row[5]);
    }

    /** Two symmetric NATs: no direct TCP path, so the pairing and the session go through the relay. */
    @Test
    void identitiesBehindSymmetricNatsPairAndConnectThroughTheRelay() throws Exception {
        String[] row = connectRow("symmetric symmetric", "connect", "symmetric", "symmetric");
        assertTrue(row[3].startsWith("relayed via 198.18.0.1:8080"), "connected " + row[3]);
        assertTrue(row[5].contains("paired relayed via 198.18.0.1:8080"), row[5]);
    }

    /**
     * A direct connect session whose path between the NATs is cut midway (each side holds back its
     * second half until the cut) moves to the relay, both sides say so, and both halves arrive intact.
     */
    @Test
    void aDirectConnectSessionCutMidwayGoesOnOverTheRelay() throws Exception {
        String[] row = connectRow("cone cone", "connect-cut");
        assertTrue(row[3].startsWith("direct, tcp "), "connected " + row[3]);
        assertTrue(row[5].contains("after the cut: relayed via 198.18.0.1:8080"), row[5]);
    }
}
