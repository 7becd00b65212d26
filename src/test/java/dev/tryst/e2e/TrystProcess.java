package dev.tryst.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real {@code tryst} process started from the packaged jar, its output going to files. */
final class TrystProcess implements AutoCloseable {
    static final Path JAR = Path.of(System.getProperty("tryst.jar", "target/tryst.jar"));
    static final String JAVA = ProcessHandle.current().info().command().orElse("java");

    final Process process;
    final Path out;
    final Path err;

    private TrystProcess(Process p, Path out, Path err) {
        this.process = p;
        this.out = out;
        this.err = err;
    }

    static TrystProcess start(Path dir, String name, Path stdin, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-XX:+UseSerialGC", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("TRYST_RELAY");
        pb.environment().remove("TRYST_SERVER");
        // State (a server's certificate, inbox marks) and configuration (identity, known_servers) stay
        // in the test's folder, not in $HOME.
        pb.environment().put("XDG_STATE_HOME", dir.toAbsolutePath().resolve("state").toString());
        pb.environment().put("XDG_CONFIG_HOME", dir.toAbsolutePath().resolve("config").toString());
        pb.environment().putAll(env);
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
        return new TrystProcess(pb.start(), out, err);
    }

    static TrystProcess start(Path dir, String name, String... args) throws IOException {
        return start(dir, name, null, Map.of(), args);
    }

    String stderr() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    String stdout() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** Waits for the first match of {@code regex} in stderr and returns its group 1. */
    String awaitStderr(String regex, Duration timeout) throws IOException, InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = p.matcher(stderr());
            if (m.find()) {
                return m.group(1);
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no /" + regex + "/ in stderr within " + timeout + "; stderr was:\n" + stderr());
    }

    int await(Duration timeout) throws InterruptedException, IOException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not end within " + timeout + "; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
