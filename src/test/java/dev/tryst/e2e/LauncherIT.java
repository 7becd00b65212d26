package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command as a new user meets it: `./tryst` with no JAVA_HOME finds a JDK 25 by
 * itself, installs the built jar and runs it; two first runs at once do not trip over each other.
 */
@Timeout(180)
class LauncherIT {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));

    private static Process launch(Path out, String... args) throws Exception {
        var cmd = new java.util.ArrayList<String>(java.util.List.of("bash", ROOT.resolve("tryst").toString()));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile())
                .redirectOutput(out.toFile()).redirectError(out.resolveSibling(out.getFileName() + ".err").toFile());
        pb.environment().remove("JAVA_HOME");
        pb.environment().remove("TRYST_JAVA_HOME");
        return pb.start();
    }

    @Test
    void findsAJdk25AndRunsTheJarTwiceAtOnce(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.out");
        Path b = dir.resolve("b.out");
        Process pa = launch(a, "--version");
        Process pb = launch(b, "--version");
        assertTrue(pa.waitFor(150, TimeUnit.SECONDS) && pb.waitFor(150, TimeUnit.SECONDS), "launcher did not finish");
        String errA = Files.readString(dir.resolve("a.out.err"), StandardCharsets.UTF_8);
        assertEquals(0, pa.exitValue(), errA);
        assertEquals(0, pb.exitValue(), Files.readString(dir.resolve("b.out.err"), StandardCharsets.UTF_8));
        for (Path p : new Path[] {a, b}) {
            String v = Files.readString(p, StandardCharsets.UTF_8);
            assertTrue(v.startsWith("tryst ") && v.contains("(Java 25"), v);
        }
        // what ran is the current build: the launcher installed a copy of target/tryst.jar (by rename)
        assertEquals(-1L, Files.mismatch(ROOT.resolve("target/run/tryst.jar"), ROOT.resolve("target/tryst.jar")));
    }
}
