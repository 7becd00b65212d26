package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command as a new user meets it: `./tryst` with no JAVA_HOME finds a JDK 25 by
 * itself, installs the built jar and runs it; two first runs at once do not trip over each other;
 * a checkout another user owns (root's, linked into PATH) runs from a cache of the user's own.
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

    /**
     * This checkout as root leaves it, run by a user who may not write to it: the launcher used to
     * fail on {@code target/.build.lock: Permission denied}; now it runs the checkout's current jar
     * from a copy in the user's {@code $XDG_CACHE_HOME/tryst/} and writes nothing into the checkout.
     */
    @Test
    void aCheckoutTheUserMayNotWriteRunsFromTheUsersCache(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("0".equals(output("id", "-u")),
                "skipped: needs root, to run the launcher as another user (nobody) on this root-owned checkout");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "skipped: no setpriv to become nobody");
        // the checkout as the launcher's first run as root leaves it: target/ with a current jar
        Process first = launch(dir.resolve("root.out"), "--version");
        assertTrue(first.waitFor(150, TimeUnit.SECONDS), "launcher as root did not finish");
        assertEquals(0, first.exitValue(), Files.readString(dir.resolve("root.out.err")));

        Path home = Files.createDirectories(dir.resolve("home"));
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals("", output("chown", "nobody", home.toString(), cache.toString()));
        Path out = dir.resolve("nobody.out");
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "--reset-env", "--", "env", "HOME=" + home, "XDG_CACHE_HOME=" + cache,
                "bash", ROOT.resolve("tryst").toString(), "--version")
                .directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(dir.resolve("nobody.out.err").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "launcher as nobody did not finish");
        String err = Files.readString(dir.resolve("nobody.out.err"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertFalse(err.contains("Permission denied"), err);
        String v = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(v.startsWith("tryst ") && v.contains("(Java 25"), v);

        // it ran the checkout's own current jar (no build of its own), from the cache, with its AOT cache
        Path mine;
        try (var entries = Files.list(cache.resolve("tryst"))) {
            mine = entries.filter(e -> e.getFileName().toString().startsWith("checkout-")).findFirst().orElseThrow();
        }
        assertEquals(-1L, Files.mismatch(mine.resolve("run/tryst.jar"), ROOT.resolve("target/tryst.jar")));
        assertTrue(Files.isRegularFile(mine.resolve("run/tryst.aot.stamp")), "no AOT stamp in " + mine);
        assertFalse(Files.exists(mine.resolve("build")), "built a jar although the checkout's is current");
        try (var files = Files.walk(ROOT.resolve("target"))) {
            var owner = java.nio.file.attribute.FileOwnerAttributeView.class;
            assertEquals(java.util.List.of(), files.filter(f -> {
                try {
                    return Files.getFileAttributeView(f, owner, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            .getOwner().getName().equals("nobody");
                } catch (java.io.IOException e) {
                    return false;
                }
            }).toList(), "nobody wrote into the checkout");
        }
    }

    private static String output(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        return s;
    }
}
