package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendezvous as people use it: real {@code tryst server}, {@code send}, {@code receive},
 * {@code msg} and {@code inbox} processes, the control port over TLS with the certificate trusted
 * on first use.
 */
@Timeout(300)
class RendezvousIT {
    private static final Duration T = Duration.ofSeconds(60);

    /** A server on free ports; returns it with its control address and fingerprint. */
    record Server(TrystProcess process, String control, String fingerprint) implements AutoCloseable {
        static Server start(Path dir, String name, Path state, String... more) throws Exception {
            List<String> args = new java.util.ArrayList<>(List.of("server", "--bind", "127.0.0.1", "--relay-port", "0",
                    "--stun-port", "-1", "--control-port", "0", "--state-dir", state.toString(), "--admin", "off"));
            args.addAll(List.of(more));
            TrystProcess p = TrystProcess.start(dir, name, args.toArray(String[]::new));
            String line = p.awaitStderr("(tryst control listening on tls \\S+, certificate fingerprint [0-9a-f]{64})", T);
            String control = line.replaceAll(".* tls (\\S+),.*", "$1");
            return new Server(p, control, line.replaceAll(".* ", ""));
        }

        @Override
        public void close() {
            process.close();
        }
    }

    /**
     * A sender's --wait longer than the server keeps a room is cut to the room's lifetime, saying so,
     * and ends as a wait that ran out (exit 6), never as the other side leaving (issue 15, bug 2).
     */
    @Test
    void aWaitLongerThanTheServerKeepsARoomEndsWithTheRoomSayingSo(@TempDir Path dir) throws Exception {
        try (Server server = Server.start(dir, "server-short", dir.resolve("server-state"), "--wait-timeout", "3s");
             var send = TrystProcess.start(dir, "send-long-wait", "send", "--server", server.control(), "--wait", "15m",
                     "--text", "nobody comes")) {
            assertEquals(6, send.await(T), send.stderr());
            String err = send.stderr();
            assertTrue(err.contains("the server keeps a room open at most 3 s; waiting that long, not 15 min"), err);
            assertTrue(err.contains("nobody used the code within 3 s"), err);
        }
    }

    /**
     * netcheck asks the server where its STUN responder is, so one on any port is found; with none,
     * the checks that could not run are said and the exit is 4, not 0 (issue 15, bug 3).
     */
    @Test
    void netcheckFindsTheServersStunPortAndFailsWhenThereIsNone(@TempDir Path dir) throws Exception {
        for (boolean stun : new boolean[] {true, false}) {
            TrystProcess p = TrystProcess.start(dir, "server-stun-" + stun, "server", "--bind", "127.0.0.1", "--relay-port", "0",
                    "--stun-port", stun ? "0" : "-1", "--control-port", "0", "--plain-control", "--admin", "off",
                    "--state-dir", dir.resolve("state-" + stun).toString());
            try (p) {
                String control = p.awaitStderr("tryst control listening on tcp (\\S+)", T);
                String[] plain = {"--server", control, "--plain-control"};
                try (var first = TrystProcess.start(dir, "netcheck-1-" + stun, concat(new String[] {"netcheck"}, plain))) {
                    String code = first.awaitStderr("Code: (\\S+)", T);
                    try (var second = TrystProcess.start(dir, "netcheck-2-" + stun, concat(concat(new String[] {"netcheck"}, plain),
                            new String[] {code}))) {
                        for (TrystProcess side : List.of(first, second)) {
                            int rc = side.await(T);
                            String out = side.stdout();
                            if (stun) {
                                assertEquals(0, rc, side.stderr() + out);
                                assertTrue(out.matches("(?s)stun\\t127\\.0\\.0\\.1:\\d+\\n.*"), out);
                            } else {
                                assertEquals(4, rc, side.stderr() + out);
                                assertTrue(out.contains("stun\tnone\t(the server runs no STUN responder"), out);
                                assertTrue(side.stderr().contains("not every check could run"), side.stderr());
                            }
                        }
                    }
                }
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void sendAndReceiveMeetInARoom(@TempDir Path dir) throws Exception {
        try (Server server = Server.start(dir, "server", dir.resolve("server-state"))) {
            try (var send = TrystProcess.start(dir, "send", "send", "--server", server.control(), "--relay-delay", "3s",
                    "--text", "through a room ✓")) {
                // the server picks a short number for the room; the words are the sender's
                String code = send.awaitStderr("Code: (\\S+)", T);
                assertTrue(code.matches("\\d{2,4}(-[a-z]+){3}"), code);
                try (var recv = TrystProcess.start(dir, "recv", "receive", "--server", server.control(), code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals("through a room ✓\n", recv.stdout());
                    // on one machine the direct path always works, and wins the race given a head start (the
                    // sender, the initiator, chooses; without one the local relay may win and the session move)
                    assertTrue(recv.stderr().contains("Connected, direct, tcp "), recv.stderr());
                }
                assertEquals(0, send.await(T), send.stderr());
            }
            // trusted on first use, remembered for the next time
            String known = Files.readString(dir.resolve("config/tryst/known_servers"));
            assertTrue(known.contains(server.control() + " " + server.fingerprint()), known);

            // --server-fingerprint pins without trusting on first use: nothing is remembered
            Path fresh = dir.resolve("fresh-config");
            Map<String, String> env = Map.of("XDG_CONFIG_HOME", fresh.toString());
            try (var send = TrystProcess.start(dir, "send-pinned", null, env, "send", "--server", server.control(),
                    "--server-fingerprint", server.fingerprint(), "--text", "pinned")) {
                String code = send.awaitStderr("Code: (\\S+)", T);
                try (var recv = TrystProcess.start(dir, "recv-pinned", null, env, "receive", "--server",
                        server.control() + "#" + server.fingerprint(), code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals("pinned\n", recv.stdout());
                }
                assertEquals(0, send.await(T), send.stderr());
            }
            assertTrue(!Files.exists(fresh.resolve("tryst/known_servers")), "an explicit pin writes no known_servers");

            // --json: the same as JSON lines on stderr, the text alone on stdout
            try (var send = TrystProcess.start(dir, "send-json", "send", "--server", server.control(), "--json",
                    "--text", "as json")) {
                String code = send.awaitStderr("\\{\"event\":\"code\",\"code\":\"([^\"]+)\"\\}", T);
                try (var recv = TrystProcess.start(dir, "recv-json", "receive", "--server", server.control(), "--json", code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals("as json\n", recv.stdout());
                    List<String> lines = recv.stderr().lines().toList();
                    assertTrue(lines.getFirst().matches(
                            "\\{\"event\":\"connected\",\"path\":\"direct\",\"transport\":\"tcp\",\"address\":\"[^\"]+\"\\}"),
                            recv.stderr());
                    assertTrue(lines.getLast().matches("\\{\"event\":\"done\",\"bytes\":7,\"seconds\":[0-9.]+\\}"), recv.stderr());
                    assertEquals(2, lines.size(), recv.stderr());
                }
                assertEquals(0, send.await(T), send.stderr());
                assertTrue(send.stderr().lines().allMatch(l -> l.startsWith("{\"event\":")), send.stderr());
            }

            // --no-direct: the relay the room announced
            try (var send = TrystProcess.start(dir, "send-relay", "send", "--server", server.control(), "--no-direct",
                    "--text", "relayed")) {
                String code = send.awaitStderr("Code: (\\S+)", T);
                try (var recv = TrystProcess.start(dir, "recv-relay", "receive", "--server", server.control(), "--no-direct", code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals("relayed\n", recv.stdout());
                    assertTrue(recv.stderr().contains("Connected, relayed via 127.0.0.1:"), recv.stderr());
                }
                assertEquals(0, send.await(T), send.stderr());
            }

            // a wrong code fails on both sides, through the room as through the relay
            try (var send = TrystProcess.start(dir, "send2", "send", "--server", server.control(), "--text", "secret")) {
                String code = send.awaitStderr("Code: (\\S+)", T);
                String[] parts = code.split("-");
                String wrong = parts[0] + "-" + (parts[1].equals("abacus") ? "abdomen" : "abacus") + "-" + parts[2] + "-" + parts[3];
                try (var recv = TrystProcess.start(dir, "recv2", "receive", "--server", server.control(), wrong)) {
                    assertEquals(3, recv.await(T), recv.stderr());
                    assertEquals("", recv.stdout());
                    assertTrue(recv.stderr().contains("the codes did not match"), recv.stderr());
                }
                assertEquals(3, send.await(T), send.stderr());
                assertTrue(send.stderr().contains("the codes did not match"), send.stderr());
            }

            // a code nobody is waiting with is said so at once
            try (var recv = TrystProcess.start(dir, "recv3", "receive", "--server", server.control(), "97-abacus-abdomen-abide")) {
                assertEquals(6, recv.await(T), recv.stderr());
                assertTrue(recv.stderr().contains("nobody is waiting with code number 97"), recv.stderr());
            }

            // pinned to another certificate: refused, with what to do
            String other = server.fingerprint().substring(0, 63) + (server.fingerprint().endsWith("0") ? "1" : "0");
            try (var send = TrystProcess.start(dir, "send4", "send", "--server", server.control() + "#" + other, "--text", "x")) {
                assertEquals(4, send.await(T), send.stderr());
                assertTrue(send.stderr().contains(server.fingerprint()) && send.stderr().contains("intercepting"), send.stderr());
                assertTrue(!send.stderr().contains("Code:"), "no code is shown when the server is refused");
            }
        }
    }

    /**
     * The client's config file names the server and pins it, so that neither side types --server; a
     * pin there that is wrong refuses the server, and a typo in the file stops the command before a
     * code is spent (issue 15).
     */
    @Test
    void theConfigFileNamesAndPinsTheServer(@TempDir Path dir) throws Exception {
        try (Server server = Server.start(dir, "server", dir.resolve("server-state"))) {
            Path config = dir.resolve("cfg");
            Files.createDirectories(config.resolve("tryst"));
            Path file = config.resolve("tryst/config.toml");
            Files.writeString(file, "# our server\nserver = \"" + server.control() + "#" + server.fingerprint() + "\"\n");
            Map<String, String> env = Map.of("XDG_CONFIG_HOME", config.toString());
            try (var send = TrystProcess.start(dir, "send-cfg", null, env, "send", "--text", "configured")) {
                String code = send.awaitStderr("Code: (\\S+)", T);
                assertTrue(code.matches("\\d{2,4}(-[a-z]+){3}"), "a room's code, so the server was used: " + code);
                assertTrue(send.stderr().contains("--server " + server.control() + "#" + server.fingerprint()),
                        "a receiver without the file is told where, pinned: " + send.stderr());
                try (var recv = TrystProcess.start(dir, "recv-cfg", null, env, "receive", code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals("configured\n", recv.stdout());
                }
                assertEquals(0, send.await(T), send.stderr());
            }
            assertFalse(Files.exists(config.resolve("tryst/known_servers")), "a pinned server is not trusted on first use");

            String other = server.fingerprint().substring(0, 63) + (server.fingerprint().endsWith("0") ? "1" : "0");
            Files.writeString(file, "server = \"" + server.control() + "#" + other + "\"\n");
            try (var send = TrystProcess.start(dir, "send-cfg-wrong", null, env, "send", "--text", "x")) {
                assertEquals(4, send.await(T), send.stderr());
                assertTrue(send.stderr().contains(server.fingerprint()), send.stderr());
                assertFalse(send.stderr().contains("Code:"), send.stderr());
            }
            // a flag still wins over the file
            try (var send = TrystProcess.start(dir, "send-cfg-flag", null, env, "send", "--server",
                    server.control() + "#" + server.fingerprint(), "--text", "flag wins")) {
                String code = send.awaitStderr("Code: (\\S+)", T);
                try (var recv = TrystProcess.start(dir, "recv-cfg-flag", null, env, "receive", "--server",
                        server.control() + "#" + server.fingerprint(), code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                }
                assertEquals(0, send.await(T), send.stderr());
            }

            Files.writeString(file, "sever = \"" + server.control() + "\"\n");
            try (var send = TrystProcess.start(dir, "send-cfg-typo", null, env, "send", "--text", "x")) {
                assertEquals(2, send.await(T), send.stderr());
                assertTrue(send.stderr().contains(file + ":1: unknown key 'sever' (did you mean 'server'?)"), send.stderr());
                assertFalse(send.stderr().contains("Code:"), send.stderr());
            }
        }
    }

    @Test
    void aThousandMessagesSurviveAServerRestartAndArriveOnceInOrder(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("server-state");
        Path bobDir = dir.resolve("bob");
        Files.createDirectories(bobDir);
        String bobKey;
        try (var id = TrystProcess.start(bobDir, "id", "id")) {
            assertEquals(0, id.await(T), id.stderr());
            bobKey = id.stdout().lines().filter(l -> l.startsWith("public key")).findFirst().orElseThrow().replaceAll(".* ", "");
        }
        Path lines = dir.resolve("lines.txt");
        Files.write(lines, IntStream.rangeClosed(1, 1000).mapToObj(i -> "message " + i).toList(), StandardCharsets.UTF_8);

        Server first = Server.start(dir, "server1", state);
        try (first) {
            try (var msg = TrystProcess.start(dir, "msg", lines, Map.of(), "msg", "--server", first.control(), bobKey, "-")) {
                assertEquals(0, msg.await(T), msg.stderr());
                assertTrue(msg.stderr().contains("1000 messages stored"), msg.stderr());
            }
            try (var inbox = TrystProcess.start(bobDir, "inbox1", "inbox", "--server", first.control(), "--max", "400")) {
                assertEquals(0, inbox.await(T), inbox.stderr());
                assertEquals(IntStream.rangeClosed(1, 400).mapToObj(i -> "message " + i).toList(), texts(inbox.stdout()));
            }
            first.process().process.destroyForcibly(); // kill -9: only what is on disk survives
            first.process().process.waitFor();
        }
        try (Server second = Server.start(dir, "server2", state)) {
            assertEquals(first.fingerprint(), second.fingerprint(), "the same certificate from the state directory");
            try (var inbox = TrystProcess.start(bobDir, "inbox2", "inbox", "--server", second.control())) {
                assertEquals(0, inbox.await(T), inbox.stderr());
                assertEquals(IntStream.rangeClosed(401, 1000).mapToObj(i -> "message " + i).toList(), texts(inbox.stdout()));
            }
            try (var inbox = TrystProcess.start(bobDir, "inbox3", "inbox", "--server", second.control(), "--wait", "1s")) {
                assertEquals(0, inbox.await(T), inbox.stderr());
                assertEquals("", inbox.stdout());
                assertTrue(inbox.stderr().contains("No new messages."), inbox.stderr());
            }
        }
    }

    /**
     * A plain control port (--plain-control on both sides), a message given on the command line, and
     * 'inbox --follow' that prints a message as it arrives.
     */
    @Test
    void plainControlSingleMessagesAndAFollowingInbox(@TempDir Path dir) throws Exception {
        try (var server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                "--stun-port", "-1", "--control-port", "0", "--plain-control", "--state-dir", dir.resolve("state").toString(),
                "--admin", "off")) {
            String control = server.awaitStderr("tryst control listening on tcp (\\S+) \\(plain", T);
            try (var send = TrystProcess.start(dir, "send", "send", "--server", control, "--plain-control", "--text", "plain")) {
                String code = send.awaitStderr("Code: (\\S+)", T);
                try (var recv = TrystProcess.start(dir, "recv", "receive", "--server", control, "--plain-control", code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals("plain\n", recv.stdout());
                }
                assertEquals(0, send.await(T), send.stderr());
            }
            Path bobDir = dir.resolve("bob");
            Files.createDirectories(bobDir);
            String bobKey;
            try (var id = TrystProcess.start(bobDir, "id", "id")) {
                assertEquals(0, id.await(T), id.stderr());
                bobKey = id.stdout().lines().filter(l -> l.startsWith("public key")).findFirst().orElseThrow().replaceAll(".* ", "");
            }
            String from;
            try (var follow = TrystProcess.start(bobDir, "follow", "inbox", "--server", control, "--plain-control", "--follow")) {
                try (var msg = TrystProcess.start(dir, "msg", "msg", "--server", control, "--plain-control", bobKey,
                        "see", "you", "at", "five")) {
                    assertEquals(0, msg.await(T), msg.stderr());
                    assertTrue(msg.stderr().contains("Message stored for "), msg.stderr());
                }
                long until = System.nanoTime() + T.toNanos();
                while (!follow.stdout().contains(": see you at five") && System.nanoTime() < until && follow.process.isAlive()) {
                    Thread.sleep(50);
                }
                assertEquals(List.of("see you at five"), texts(follow.stdout()), follow.stderr());
                assertTrue(follow.process.isAlive(), "--follow keeps waiting");
                // What the inbox shows of the sender answers it (issue 15, bug 5): a stranger's public key.
                String line = follow.stdout().lines().findFirst().orElseThrow();
                from = line.substring(line.indexOf(' ') + 1, line.indexOf(": "));
                assertTrue(from.matches("[0-9a-f]{64}"), line);
            }
            try (var answer = TrystProcess.start(bobDir, "answer", "msg", "--server", control, "--plain-control", from,
                    "on my way")) {
                assertEquals(0, answer.await(T), answer.stderr());
            }
            // A contact is named by its name, both in msg and in the inbox.
            try (var add = TrystProcess.start(dir, "add-bob", "contacts", "add", "bob", bobKey)) {
                assertEquals(0, add.await(T), add.stderr());
            }
            try (var msg = TrystProcess.start(dir, "msg-by-name", "msg", "--server", control, "--plain-control", "bob", "ok")) {
                assertEquals(0, msg.await(T), msg.stderr());
            }
            try (var inbox = TrystProcess.start(dir, "alice-inbox", "inbox", "--server", control, "--plain-control")) {
                assertEquals(0, inbox.await(T), inbox.stderr());
                assertTrue(inbox.stdout().matches("\\S+ bob: on my way\\n"), inbox.stdout());
            }
            try (var inbox = TrystProcess.start(bobDir, "bob-inbox", "inbox", "--server", control, "--plain-control")) {
                assertEquals(0, inbox.await(T), inbox.stderr());
                assertTrue(inbox.stdout().matches("\\S+ [0-9a-f]{64}: ok\\n"), inbox.stdout());
            }
        }
    }

    /** The texts of inbox lines ("TIME FINGERPRINT: TEXT"). */
    private static List<String> texts(String stdout) {
        return stdout.lines().map(l -> l.substring(l.indexOf(": ") + 2)).toList();
    }
}
