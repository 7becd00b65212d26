package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java example in README.md, as a reader would use it: taken from the README, compiled against
 * the packaged jar, and run as a program that sends a file to a real {@code tryst receive} process
 * through a real {@code tryst server}. In the NAT lab (root) the direct path is cut midway and the
 * example must go on through the relay by itself.
 */
@Timeout(600)
class ReadmeExampleIT {
    private static final Duration T = Duration.ofSeconds(60);
    private static final Pattern EXAMPLE = Pattern.compile(
            "<!-- example: SendFile\\.java[^>]*-->\\s*```java\\n(.*?)```\\s*<!-- end example -->", Pattern.DOTALL);

    /** The README's example, compiled into {@code dir}; returns the class path that runs it. */
    static String compileExample(Path dir) throws Exception {
        Matcher m = EXAMPLE.matcher(Files.readString(Path.of("README.md"), StandardCharsets.UTF_8));
        assertTrue(m.find(), "README.md has the SendFile example between its markers");
        Path src = dir.resolve("src/SendFile.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, m.group(1));
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "--release", "25", "-cp", TrystProcess.JAR.toString(),
                "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "the README's example does not compile:\n" + diagnostics);
        return TrystProcess.JAR.toAbsolutePath() + ":" + classes.toAbsolutePath();
    }

    @Test
    void theReadmeExampleSendsAFileToARealReceiver(@TempDir Path dir) throws Exception {
        String classpath = compileExample(dir);
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        Path file = dir.resolve("report.bin");
        Files.write(file, data);
        Path out = Files.createDirectories(dir.resolve("out"));
        try (RendezvousIT.Server server = RendezvousIT.Server.start(dir, "server", dir.resolve("server-state"))) {
            ProcessBuilder pb = new ProcessBuilder(TrystProcess.JAVA, "-cp", classpath, "SendFile", server.control(), file.toString())
                    .redirectOutput(dir.resolve("example.out").toFile()).redirectError(dir.resolve("example.err").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().put("XDG_CONFIG_HOME", dir.resolve("example-config").toString());
            Process example = pb.start();
            try {
                String code = awaitCode(dir.resolve("example.err"), example);
                try (var recv = TrystProcess.start(dir, "recv", "receive", "--server", server.control(), "--yes",
                        "--out", out.toString(), code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    // relay at once: on one machine either path may carry it first (the relay is local too)
                    assertTrue(recv.stderr().matches("(?s).*Connected, (direct, tcp|relayed via) .*"), recv.stderr());
                }
                assertTrue(example.waitFor(T.toSeconds(), TimeUnit.SECONDS), "the example did not end");
                String err = Files.readString(dir.resolve("example.err"));
                assertEquals(0, example.exitValue(), err);
                assertTrue(err.matches("(?s).*Connected\\[path=(direct, tcp|relayed via) .*"), err);
                assertTrue(err.contains("Sent " + data.length + " bytes"), err);
            } finally {
                example.destroyForcibly();
            }
        }
        assertArrayEquals(data, Files.readAllBytes(out.resolve("report.bin")));
    }

    @Test
    void andGoesOnThroughTheRelayWhenTheDirectPathIsCut(@TempDir Path dir) throws Exception {
        NatLabIT.labAllowed();
        String classpath = compileExample(dir);
        NatLabIT.Result r = NatLabIT.run(List.of("bash", NatLabIT.SCRIPT.toString(), "cut"), 400,
                Map.of("LAB_SEND", TrystProcess.JAVA + " -cp " + classpath + " SendFile 198.18.0.1"));
        assertEquals(0, r.code(), r.out() + r.err());
        String[] row = NatLabIT.rows(r.out()).get("cone cone");
        assertEquals("OK", row[0], String.join(" | ", row) + "\n" + r.err());
        assertTrue(row[3].startsWith("direct, tcp "), row[3]);
        assertTrue(row[5].contains("after the cut: relayed via 198.18.0.1:8080"), row[5]);
    }

    private static String awaitCode(Path err, Process p) throws Exception {
        Pattern code = Pattern.compile("Code: (\\S+)");
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            Matcher m = code.matcher(Files.readString(err));
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the example printed no code:\n" + Files.readString(err));
    }
}
