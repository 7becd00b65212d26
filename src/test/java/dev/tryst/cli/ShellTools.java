package dev.tryst.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs tryst's commands in-process for their output, and the real tools (bash, fish, groff) on it. */
final class ShellTools {
    private ShellTools() {}

    record Result(int exit, String out) {}

    /** What {@code tryst args...} prints on stdout, asserting it exits 0. */
    static String tryst(String... args) {
        var cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        if (code != 0) {
            throw new AssertionError("tryst " + String.join(" ", args) + " exited " + code + ": " + err);
        }
        return out.toString();
    }

    static boolean installed(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Skips the test, saying what to install, when {@code tool} is not on the PATH. */
    static void assumeInstalled(String tool, String debianPackage) {
        Assumptions.assumeTrue(installed(tool), tool + " is not installed (Debian: apt-get install " + debianPackage
                + "; .ci/run installs it): skipped");
    }

    /** Runs a command, stdout and stderr together, with a bound on its time. */
    static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        return run(dir, command, true);
    }

    /** Runs a command, with a bound on its time; its stdout, and stderr too if {@code withStderr}. */
    static Result run(Path dir, List<String> command, boolean withStderr) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "run", ".log");
        Path errors = Files.createTempFile(dir, "run", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        if (withStderr) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(errors.toFile());
        }
        Process p = pb.redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
