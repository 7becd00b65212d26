package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.tryst.cli.QrDisplayTest;
import dev.tryst.code.WordList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conveniences as a user meets them, in real processes against a real server: TAB at the code
 * prompt on a real pseudo-terminal, the code from stdin without one, and send --qr's drawing read
 * back by a real QR decoder and used for the transfer.
 */
@Timeout(180)
class ConveniencesIT {
    private static final Duration T = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    static TrystProcess server;
    static String relay;

    /** Runs a command on a pseudo-terminal (python3's pty), types the keys once the prompt shows; prints what the terminal showed. */
    private static final String DRIVER = """
            import os, pty, select, sys, time
            keys = open(sys.argv[1], 'rb').read()
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(sys.argv[2], sys.argv[2:])
            out = bytearray()
            def pump(until, timeout):
                end = time.time() + timeout
                while time.time() < end:
                    if until is not None and until in out:
                        return True
                    r, _, _ = select.select([fd], [], [], 0.05)
                    if r:
                        try:
                            d = os.read(fd, 4096)
                        except OSError:
                            return False
                        if not d:
                            return False
                        out.extend(d)
                return False
            if pump(b'Enter the code: ', 90):
                for k in keys:
                    os.write(fd, bytes([k]))
                    pump(None, 0.05)
                pump(None, 90)
            _, status = os.waitpid(pid, 0)
            sys.stdout.buffer.write(bytes(out))
            sys.exit(os.waitstatus_to_exitcode(status))
            """;

    @BeforeAll
    static void startServer() throws Exception {
        server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                "--control-port", "-1", "--stun-port", "-1", "--admin", "off");
        relay = "127.0.0.1:" + server.awaitStderr("tryst relay listening on tcp \\S*:(\\d+)", T);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static String python() {
        for (String p : List.of("/usr/bin/python3", "/usr/local/bin/python3")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return "python3";
    }

    /** The shortest prefix only {@code word} starts (the EFF list is prefix-free, so there is one). */
    private static String prefix(String word) {
        WordList list = WordList.eff();
        for (int n = 1; n <= word.length(); n++) {
            if (list.startingWith(word.substring(0, n)).size() == 1) {
                return word.substring(0, n);
            }
        }
        return word;
    }

    @Test
    void tabCompletesTheCodeAtTheReceiversPromptOnARealTerminal() throws Exception {
        try (var send = TrystProcess.start(dir, "send-tab", "send", "--relay", relay, "--text", "typed with TAB")) {
            String code = send.awaitStderr("Code: (\\S+)", T);
            String[] parts = code.split("-");
            StringBuilder keys = new StringBuilder(parts[0]).append('\t'); // the number gets its '-'
            for (int i = 1; i < parts.length; i++) {
                keys.append(prefix(parts[i])).append('\t');
            }
            keys.append('\r');
            Path keyFile = dir.resolve("keys");
            Files.writeString(keyFile, keys);
            Path script = dir.resolve("pty_driver.py");
            Files.writeString(script, DRIVER);
            List<String> cmd = new ArrayList<>(List.of(python(), script.toString(), keyFile.toString(),
                    TrystProcess.JAVA, "-XX:+UseSerialGC", "-jar", TrystProcess.JAR.toString(), "receive", "--relay", relay));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("pty.out").toFile());
            pb.environment().remove("TRYST_RELAY");
            pb.environment().remove("TRYST_SERVER");
            pb.environment().put("XDG_STATE_HOME", dir.resolve("state").toString());
            pb.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
            Process p = pb.start();
            assertTrue(p.waitFor(150, TimeUnit.SECONDS), "the pty driver did not end");
            String shown = Files.readString(dir.resolve("pty.out"), StandardCharsets.UTF_8);
            Assumptions.assumeFalse(shown.contains("No module named") || p.exitValue() == 127, "python3 with pty is missing: " + shown);
            assertEquals(0, p.exitValue(), "what the terminal showed:\n" + shown);
            assertTrue(shown.contains("Enter the code: " + code + "-"), "the completed code was not shown:\n" + shown);
            assertTrue(shown.contains("typed with TAB"), shown);
            assertEquals(0, send.await(T), send.stderr());
            assertFalse(shown.contains(keys.toString().replace("\t", "").replace("\r", "") + "\t"), shown);
        }
    }

    @Test
    void withoutATerminalTheCodeIsALineOfStdin() throws Exception {
        try (var send = TrystProcess.start(dir, "send-stdin", "send", "--relay", relay, "--text", "code from stdin")) {
            Path codeFile = dir.resolve("code.txt");
            Files.writeString(codeFile, send.awaitStderr("Code: (\\S+)", T) + "\n");
            try (var recv = TrystProcess.start(dir, "recv-stdin", codeFile, Map.of(), "receive", "--relay", relay)) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals("code from stdin\n", recv.stdout());
                assertFalse(recv.stderr().contains("Enter the code"), "prompted without a terminal: " + recv.stderr());
            }
            assertEquals(0, send.await(T), send.stderr());
        }
        try (var recv = TrystProcess.start(dir, "recv-none", "receive", "--relay", relay)) {
            assertEquals(2, recv.await(T), recv.stderr()); // stdin is /dev/null: as before, a usage error
            assertTrue(recv.stderr().contains("give the code: tryst receive CODE"), recv.stderr());
        }
    }

    @Test
    void theQrCodeSendPrintsDecodesToTheCodeThatWorks() throws Exception {
        try (var send = TrystProcess.start(dir, "send-qr", "send", "--relay", relay, "--qr", "--text", "scanned")) {
            String says = send.awaitStderr("\\(the QR code says (\\S+)\\)", T);
            String code = send.awaitStderr("Code: (\\S+)", T);
            assertEquals("tryst:" + code + "?relay=" + relay.replace(":", "%3A"), says);
            List<String> drawing = send.stderr().lines().filter(l -> !l.isEmpty() && l.chars().allMatch(
                    c -> " \u2580\u2584\u2588".indexOf(c) >= 0)).toList();
            assertFalse(drawing.isEmpty(), send.stderr());
            assertFalse(send.stderr().contains("\u001b["), "colours on a stderr that is not a terminal");
            boolean zbar = Files.isExecutable(Path.of("/usr/bin/zbarimg"));
            String decoded = says;
            if (zbar) {
                Path png = dir.resolve("send-qr.png");
                ImageIO.write(QrDisplayTest.image(QrDisplayTest.modules(String.join("\n", drawing) + "\n")), "png", png.toFile());
                Process z = new ProcessBuilder("zbarimg", "--quiet", "--raw", png.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                decoded = new String(z.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertTrue(z.waitFor(30, TimeUnit.SECONDS));
                assertEquals(says, decoded, "zbarimg read something else");
            } else {
                System.err.println("ConveniencesIT: zbarimg is not installed (apt-get install zbar-tools): the drawing was not decoded");
            }
            // the URI as scanned, pasted whole: it says which relay, so no --relay is typed
            try (var recv = TrystProcess.start(dir, "recv-qr", "receive", decoded)) {
                assertEquals(0, recv.await(T), recv.stderr());
                assertEquals("scanned\n", recv.stdout());
            }
            assertEquals(0, send.await(T), send.stderr());
        }
    }
}
