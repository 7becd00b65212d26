package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections between identities as people use them, all real processes on loopback: a server,
 * two identities paired with a code, bob's {@code tryst listen} offering its pipe and two ports (a
 * real OpenSSH server's and an HTTP server's), and alice's {@code tryst connect} and
 * {@code tryst forward} — with a real {@code ssh} client, and 20 downloads at once beside a stalled one.
 */
@Timeout(600)
class PeerConnectionsIT {
    private static final Duration T = Duration.ofSeconds(90);
    private static final int PIPE_BYTES = 100 << 20;
    private static final int DOWNLOAD_BYTES = 8 << 20;

    @TempDir
    static Path dir;
    static RendezvousIT.Server server;
    static Process sshd;
    static int sshPort;
    /** Python's http.server, serving {@code served} as /file. */
    static Process http;
    static int httpPort;
    static Path served;
    static TrystProcess listener;
    static Path bobsPipeIn;

    static Map<String, String> as(String who) {
        return Map.of("XDG_CONFIG_HOME", dir.resolve(who).toString());
    }

    static TrystProcess tryst(String name, String who, Path stdin, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, "--server");
        all.add(2, server.control());
        return TrystProcess.start(dir, name, stdin, as(who), all.toArray(String[]::new));
    }

    /** Pairs {@code a} (which names the other {@code aCallsB}) and {@code b}; returns both processes, ended. */
    static TrystProcess[] pair(String a, String aCallsB, String b) throws Exception {
        TrystProcess first = tryst("pair-" + a, a, null, "pair", "--name", aCallsB, "--as", a);
        String c = first.awaitStderr("Code: (\\S+)", T);
        TrystProcess second = tryst("pair-" + b, b, null, "pair", c, "--as", b);
        second.await(T);
        first.await(T);
        return new TrystProcess[] {first, second};
    }

    @BeforeAll
    static void start() throws Exception {
        server = RendezvousIT.Server.start(dir, "server", dir.resolve("server-state"));
        TrystProcess[] p = pair("alice", "bob", "bob");
        assertEquals(0, p[0].process.exitValue(), p[0].stderr());
        assertEquals(0, p[1].process.exitValue(), p[1].stderr());

        Path www = Files.createDirectories(dir.resolve("www"));
        served = www.resolve("file");
        writeRandom(served, DOWNLOAD_BYTES, 8);
        http = startHttp(www);
        sshd = startSshd();

        bobsPipeIn = dir.resolve("bob-pipe-in.bin");
        writeRandom(bobsPipeIn, PIPE_BYTES, 2);
        List<String> args = new ArrayList<>(List.of("listen", "--pipe", "--expose", "8000=127.0.0.1:" + httpPort));
        if (sshd != null) {
            args.addAll(List.of("--expose", "22=127.0.0.1:" + sshPort));
        }
        listener = tryst("bob-listen", "bob", bobsPipeIn, args.toArray(String[]::new));
        listener.awaitStderr("(Listening as this identity)", T);
    }

    @AfterAll
    static void stop() {
        if (listener != null) {
            listener.close();
        }
        if (sshd != null) {
            sshd.destroyForcibly();
        }
        if (http != null) {
            http.destroyForcibly();
        }
        if (server != null) {
            server.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void awaitPort(int port, Process p, String what) throws Exception {
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (!p.isAlive()) {
                    throw new IOException(what + " ended before it listened");
                }
                Thread.sleep(50);
            }
        }
        throw new IOException(what + " did not listen within " + T);
    }

    /** A real HTTP server: Python's, from Debian. */
    static Process startHttp(Path www) throws Exception {
        httpPort = freePort();
        Process p = new ProcessBuilder("python3", "-m", "http.server", String.valueOf(httpPort), "--bind", "127.0.0.1",
                "--directory", www.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("http.log").toFile()).start();
        awaitPort(httpPort, p, "python3 -m http.server");
        return p;
    }

    /** A real OpenSSH server on a loopback port with throwaway keys, or null where there is none. */
    static Process startSshd() throws Exception {
        Path bin = Path.of("/usr/sbin/sshd");
        if (!Files.isExecutable(bin) || !Files.isExecutable(Path.of("/usr/bin/ssh-keygen"))) {
            return null;
        }
        Path d = Files.createDirectories(dir.resolve("ssh"));
        for (String k : List.of("host", "user")) {
            Process g = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d.resolve(k).toString())
                    .redirectErrorStream(true).start();
            assertTrue(g.waitFor(30, TimeUnit.SECONDS) && g.exitValue() == 0);
        }
        Files.copy(d.resolve("user.pub"), d.resolve("authorized_keys"));
        sshPort = freePort();
        Files.writeString(d.resolve("sshd_config"), String.join("\n", "Port " + sshPort, "ListenAddress 127.0.0.1",
                "HostKey " + d.resolve("host"), "AuthorizedKeysFile " + d.resolve("authorized_keys"), "StrictModes no",
                "PidFile none", "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                "PermitRootLogin yes", "") );
        Files.createDirectories(Path.of("/run/sshd"));
        Process p = new ProcessBuilder(bin.toString(), "-D", "-e", "-f", d.resolve("sshd_config").toString())
                .redirectErrorStream(true).redirectOutput(d.resolve("sshd.log").toFile()).start();
        try {
            awaitPort(sshPort, p, "sshd");
            return p;
        } catch (IOException e) {
            p.destroyForcibly();
            return null; // not allowed here (not root, say): the ssh test says so and skips
        }
    }

    static List<String> ssh(String... more) {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-i", dir.resolve("ssh/user").toString(), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"));
        cmd.addAll(List.of(more));
        return cmd;
    }

    static String run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(T.toSeconds(), TimeUnit.SECONDS), "ssh did not end");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void pairingStoresTheNamesAndAWrongCodeStoresNothing() throws Exception {
        String aliceKnows = Files.readString(dir.resolve("alice/tryst/contacts"));
        String bobKnows = Files.readString(dir.resolve("bob/tryst/contacts"));
        assertTrue(aliceKnows.matches("(?s)tryst/v1 contacts\nbob [0-9a-f]{64}\n"), aliceKnows);
        assertTrue(bobKnows.matches("(?s)tryst/v1 contacts\nalice [0-9a-f]{64}\n"), "the name alice suggested: " + bobKnows);

        TrystProcess carol = tryst("pair-carol", "carol", null, "pair", "--as", "carol");
        String code = carol.awaitStderr("Code: (\\S+)", T);
        String[] w = code.split("-");
        assumeTrue(!w[2].equals(w[3]), "the code's last two words are the same");
        TrystProcess dave = tryst("pair-dave", "dave", null, "pair", w[0] + "-" + w[1] + "-" + w[3] + "-" + w[2]);
        assertEquals(3, dave.await(T), dave.stderr());
        assertEquals(3, carol.await(T), carol.stderr());
        assertTrue(dave.stderr().contains("the codes did not match"), dave.stderr());
        assertFalse(Files.exists(dir.resolve("carol/tryst/contacts")), "nothing stored on a wrong code");
        assertFalse(Files.exists(dir.resolve("dave/tryst/contacts")));
    }

    @Test
    void aHundredMebibytesEachWayThroughThePipe() throws Exception {
        Path mine = dir.resolve("alice-pipe-in.bin");
        writeRandom(mine, PIPE_BYTES, 1);
        TrystProcess connect = tryst("connect-pipe", "alice", mine, "connect", "bob");
        assertEquals(0, connect.await(T), connect.stderr());
        assertTrue(connect.stderr().contains("Connected to bob, direct, tcp "), connect.stderr());
        assertEquals(sha256(bobsPipeIn), sha256(connect.out), "bob's input arrived as alice's output");
        Path bobGot = listener.out;
        long deadline = System.nanoTime() + T.toNanos();
        while (Files.size(bobGot) < PIPE_BYTES && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(sha256(mine), sha256(bobGot), "alice's input arrived as bob's output");
        assertTrue(listener.awaitStderr("(alice closed the pipe\\.)", T).length() > 0);

        // the pipe joins one connection: a second one is refused, with the reason
        TrystProcess again = tryst("connect-pipe-again", "alice", null, "connect", "bob");
        assertEquals(7, again.await(T), again.stderr());
        assertTrue(again.stderr().contains("bob: the pipe is in use or was used"), again.stderr());
    }

    @Test
    void openSshThroughProxyCommandAndThroughForward() throws Exception {
        assumeTrue(sshd != null, "no OpenSSH server here (.ci/run installs openssh-server)");
        String launcher = TrystProcess.JAVA + " -XX:+UseSerialGC -jar " + TrystProcess.JAR.toAbsolutePath();
        String proxy = "ProxyCommand=" + launcher + " connect -q --server " + server.control() + " %h:22";
        String out = run(ssh("-o", proxy, "root@bob", "echo proxied; echo $((6 * 7))"), as("alice"));
        assertEquals("proxied\n42\n", out);

        int local = freePort();
        try (TrystProcess fwd = tryst("forward-ssh", "alice", null, "forward", "bob", local + ":22")) {
            fwd.awaitStderr("(Forwarding 127\\.0\\.0\\.1:" + local + " to bob:22\\.)", T);
            assertEquals("forwarded\n", run(ssh("-p", String.valueOf(local), "root@127.0.0.1", "echo forwarded"), Map.of()));
            assertEquals("again\n", run(ssh("-p", String.valueOf(local), "root@127.0.0.1", "echo again"), Map.of()),
                    "a second connection over the same session");
        }
    }

    @Test
    void twentyDownloadsAtOnceBesideAStalledOne() throws Exception {
        int local = freePort();
        try (TrystProcess fwd = tryst("forward-http", "alice", null, "forward", "bob", local + ":8000")) {
            fwd.awaitStderr("(Forwarding 127\\.0\\.0\\.1:" + local + " to bob:8000\\.)", T);
            // one client asks and then reads nothing: its stream's window fills, and only it stops
            try (Socket stalled = new Socket(InetAddress.getLoopbackAddress(), local)) {
                stalled.getOutputStream().write("GET /file HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                stalled.getOutputStream().flush();
                Thread.sleep(200);
                String url = "http://127.0.0.1:" + local + "/file";
                long t0 = System.nanoTime();
                List<Process> curls = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    curls.add(new ProcessBuilder("curl", "-sS", "--fail", "--max-time", String.valueOf(T.toSeconds()),
                            "-o", dir.resolve("download-" + i).toString(), url).redirectErrorStream(true)
                            .redirectOutput(dir.resolve("curl-" + i + ".log").toFile()).start());
                }
                for (int i = 0; i < curls.size(); i++) {
                    Process c = curls.get(i);
                    assertTrue(c.waitFor(T.toSeconds() + 10, TimeUnit.SECONDS), "curl " + i + " did not end");
                    assertEquals(0, c.exitValue(), Files.readString(dir.resolve("curl-" + i + ".log")));
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                String want = sha256(served);
                for (int i = 0; i < curls.size(); i++) {
                    assertEquals(want, sha256(dir.resolve("download-" + i)), "download " + i);
                }
                System.out.printf("20 downloads of %d MiB through one tryst forward beside a stalled one: %.2f s, %.1f MB/s in all%n",
                        DOWNLOAD_BYTES >> 20, seconds, 20.0 * DOWNLOAD_BYTES / seconds / 1e6);
                assertTrue(stalled.getInputStream().read() >= 0, "the stalled stream still works once read");
            }
        }
    }

    @Test
    void aStrangersRequestIsDeniedAndLogged() throws Exception {
        String bobsKey = key(Files.readString(dir.resolve("bob/tryst/identity")));
        TrystProcess add = tryst("erin-adds-bob", "erin", null, "contacts", "add", "bob", bobsKey);
        assertEquals(0, add.await(T), add.stderr());
        TrystProcess erin = tryst("erin-connect", "erin", null, "connect", "--wait", "5s", "bob");
        assertEquals(14, erin.await(T), erin.stderr());
        assertTrue(erin.stderr().contains("bob did not answer within 5 s"), erin.stderr());
        String erinsKey = key(Files.readString(dir.resolve("erin/tryst/identity")));
        listener.awaitStderr("(Denied a connection request from \\S+, not a contact \\(to admit it: tryst contacts add NAME "
                + erinsKey + "\\))", T);
        TrystProcess unknown = tryst("alice-unknown", "alice", null, "connect", "nobody");
        assertEquals(13, unknown.await(T), unknown.stderr());
        assertTrue(unknown.stderr().contains("no contact is named 'nobody' (contacts: bob)"), unknown.stderr());
    }

    private static String key(String identityFile) {
        Matcher m = Pattern.compile("public ([0-9a-f]{64})").matcher(identityFile);
        assertTrue(m.find());
        return m.group(1);
    }

    static void writeRandom(Path p, int bytes, long seed) throws IOException {
        byte[] b = new byte[1 << 20];
        Random r = new Random(seed);
        try (OutputStream o = Files.newOutputStream(p)) {
            for (int n = 0; n < bytes; n += b.length) {
                r.nextBytes(b);
                o.write(b, 0, Math.min(b.length, bytes - n));
            }
        }
    }

    static String sha256(Path p) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0; ) {
                d.update(b, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
