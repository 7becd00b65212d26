package dev.tryst.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `tryst server` operated as a service: started from a config file, its /healthz, a transfer through
 * its relay, and a real Prometheus server (Debian's) scraping /metrics until a query for the relay's
 * bytes returns exactly what the relay moved; and a taken port that stops it.
 */
class ServerOpsIT {
    private static final Duration T = Duration.ofSeconds(120);
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Pattern PAIR_ENDED = Pattern.compile(
            "event=pair_ended pair=\\d+ duration_ms=\\d+ bytes_first_to_second=(\\d+) bytes_second_to_first=(\\d+)");
    /** An HTTP answer (java.net.http is not among the module's readable modules; HttpURLConnection is java.base). */
    record Answer(int statusCode, String body) {}

    @Test
    void configFileHealthARelayedTransferAndPrometheusSeesItsBytes(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("server.toml");
        Files.writeString(config, """
                # a server on free loopback ports
                [server]
                bind = "127.0.0.1"
                relay-port = 0
                control-port = 0
                stun-port = -1
                state-dir = "%s"
                admin = "127.0.0.1:0"
                stats-interval = "1s"
                """.formatted(dir.resolve("state")));
        try (var server = TrystProcess.start(dir, "server", "server", "--config", config.toString())) {
            String admin = server.awaitStderr("tryst admin listening on http (\\S+) ", T);
            String control = server.awaitStderr("tryst control listening on tls (\\S+),", T);
            assertTrue(server.stderr().contains("config=" + config), server.stderr());

            Answer health = get("http://" + admin + "/healthz");
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().startsWith("{\"status\":\"up\""), health.body());
            assertTrue(health.body().contains("\"relay\":{\"status\":\"up\""), health.body());
            assertTrue(health.body().contains("\"control\":{\"status\":\"up\""), health.body());
            assertTrue(health.body().contains("\"stun\":{\"status\":\"off\"}"), health.body());
            assertTrue(health.body().contains("\"backend\":\"sqlite"), health.body());

            // A relayed text transfer (--no-direct: the relay the room announced).
            String text = "through the relay, counted " + "x".repeat(5000);
            String code;
            try (var send = TrystProcess.start(dir, "send", "send", "--server", control, "--no-direct", "--text", text)) {
                code = send.awaitStderr("Code: (\\S+)", T);
                try (var recv = TrystProcess.start(dir, "recv", "receive", "--server", control, "--no-direct", code)) {
                    assertEquals(0, recv.await(T), recv.stderr());
                    assertEquals(text + "\n", recv.stdout());
                    assertTrue(recv.stderr().contains("relayed via"), recv.stderr());
                }
                assertEquals(0, send.await(T), send.stderr());
            }
            // What the relay moved, as its pair's log line counts it (per pair, apart from the totals).
            String ended = server.awaitStderr("(event=pair_ended .*)", T);
            Matcher m = PAIR_ENDED.matcher(ended);
            assertTrue(m.find(), ended);
            long firstToSecond = Long.parseLong(m.group(1));
            long secondToFirst = Long.parseLong(m.group(2));
            long moved = firstToSecond + secondToFirst;
            assertTrue(moved > text.length() / 2, "the relay moved " + moved + " bytes: less than the (compressed) text?");

            String metrics = get("http://" + admin + "/metrics").body();
            assertTrue(metrics.contains("tryst_relay_bytes_total{direction=\"first_to_second\"} " + firstToSecond + ".0"), metrics);
            assertTrue(metrics.contains("tryst_relay_bytes_total{direction=\"second_to_first\"} " + secondToFirst + ".0"), metrics);
            assertTrue(metrics.contains("tryst_relay_pairs_stapled_total 1.0"), metrics);
            assertTrue(metrics.contains("tryst_rooms_created_total 1.0"), metrics);
            assertTrue(metrics.contains("# TYPE tryst_event_store_duration_seconds histogram"), metrics);

            // No secret in the log: not the code's words, nor anything as long as a pairing key in hex.
            String log = server.stderr();
            String[] words = code.split("-");
            for (int i = 1; i < words.length; i++) {
                assertFalse(Pattern.compile("\\b" + words[i] + "\\b").matcher(log).find(), "code word '" + words[i] + "' in:\n" + log);
            }
            assertFalse(Pattern.compile("[0-9a-f]{66}").matcher(log).find(), log);
            assertTrue(log.contains("event=room_opened room=" + words[0] + " "), log);
            assertTrue(Pattern.compile("event=room_closed room=" + words[0] + " outcome=joined joined=true").matcher(log).find(), log);
            server.awaitStderr("(event=stats .*relay_bytes=" + moved + " )", T); // the periodic line, once it changed

            scrapedByPrometheus(dir, admin, firstToSecond, secondToFirst);

            server.process.destroy(); // SIGTERM, as systemd stops it
            assertTrue(server.process.waitFor(60, TimeUnit.SECONDS), server.stderr());
            server.awaitStderr("(event=shutdown services=relay,control uptime_s=\\d+ .*relay_pairs=1 relay_bytes=" + moved + ")", T);
        }
    }

    private void scrapedByPrometheus(Path dir, String admin, long firstToSecond, long secondToFirst) throws Exception {
        if (!Files.isExecutable(PROMETHEUS)) {
            System.err.println("ServerOpsIT: skipping the Prometheus part: " + PROMETHEUS + " is not installed (apt-get install prometheus)");
            assumeTrue(false, PROMETHEUS + " is not installed (apt-get install prometheus)");
        }
        Path home = Files.createDirectories(dir.resolve("prometheus"));
        Files.writeString(home.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: tryst
                    static_configs:
                      - targets: ["%s"]
                """.formatted(admin));
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(PROMETHEUS.toString(), "--config.file=" + home.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + home.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--storage.tsdb.retention.time=1h"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(home.resolve("prometheus.log").toFile())
                .directory(home.toFile()).start();
        try {
            long expected = firstToSecond + secondToFirst;
            String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
            String sum = api + URLEncoder.encode("sum(tryst_relay_bytes_total{job=\"tryst\"})", StandardCharsets.UTF_8);
            String last = "";
            long deadline = System.nanoTime() + T.toNanos();
            while (System.nanoTime() < deadline) {
                assertTrue(p.isAlive(), () -> "prometheus ended: " + read(home.resolve("prometheus.log")));
                try {
                    last = get(sum).body();
                    if (last.contains("\"" + expected + "\"]")) {
                        break;
                    }
                } catch (IOException e) {
                    last = e.toString(); // not listening yet
                }
                Thread.sleep(250);
            }
            assertTrue(last.contains("\"" + expected + "\"]"), "Prometheus never said " + expected + " relay bytes; last answer: "
                    + last + "\nits log:\n" + read(home.resolve("prometheus.log")));
            String one = get(api + URLEncoder.encode("tryst_relay_bytes_total{direction=\"first_to_second\"}",
                    StandardCharsets.UTF_8)).body();
            assertTrue(one.contains("\"" + firstToSecond + "\"]"), one);
            String up = get(api + URLEncoder.encode("up{job=\"tryst\"}", StandardCharsets.UTF_8)).body();
            assertTrue(up.contains("\"1\"]"), up);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aTakenPortStopsTheServerSayingWhichAndHow(@TempDir Path dir) throws Exception {
        try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int taken = holder.getLocalPort();
            try (var server = TrystProcess.start(dir, "server", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                    "--stun-port", "-1", "--control-port", "" + taken, "--admin", "off", "--state-dir", dir.resolve("state").toString())) {
                assertEquals(2, server.await(T), server.stderr());
                String err = server.stderr();
                assertTrue(err.contains("cannot listen on the control port, tcp 127.0.0.1:" + taken), err);
                assertTrue(err.contains("--control-port"), err);
                assertFalse(err.contains("relay listening"), "it must not run relay-only:\n" + err);
            }
            try (var server = TrystProcess.start(dir, "server2", "server", "--bind", "127.0.0.1", "--relay-port", "0",
                    "--stun-port", "-1", "--control-port", "-1", "--admin", "127.0.0.1:" + taken)) {
                assertEquals(2, server.await(T), server.stderr());
                assertTrue(server.stderr().contains("cannot listen on the admin port, tcp 127.0.0.1:" + taken), server.stderr());
                assertTrue(server.stderr().contains("--admin"), server.stderr());
            }
            try (var server = TrystProcess.start(dir, "server3", "server", "--bind", "127.0.0.1", "--relay-port", "" + taken,
                    "--stun-port", "-1", "--control-port", "-1", "--admin", "off")) {
                assertEquals(2, server.await(T), server.stderr());
                assertTrue(server.stderr().contains("cannot listen on the relay port, tcp 127.0.0.1:" + taken), server.stderr());
                assertTrue(server.stderr().contains("--relay-port"), server.stderr());
            }
        }
    }

    @Test
    void aBadConfigKeyOrValueIsAnErrorWithItsLine(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("bad.toml");
        Files.writeString(config, "bind = \"127.0.0.1\"\n\nrelay_port = 0\n");
        try (var server = TrystProcess.start(dir, "server", "server", "--config", config.toString())) {
            assertEquals(2, server.await(T), server.stderr());
            assertTrue(server.stderr().contains(config + ":3: unknown key 'relay_port' (did you mean 'relay-port'?)"), server.stderr());
        }
        Files.writeString(config, "[server]\nwait-timeout = 10m\n");
        try (var server = TrystProcess.start(dir, "server2", "server", "--config", config.toString())) {
            assertEquals(2, server.await(T), server.stderr());
            assertTrue(server.stderr().contains(config + ":2: '10m' is not an integer (a duration goes in quotes: \"10m\")"),
                    server.stderr());
        }
    }

    private static Answer get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(20_000);
        try {
            int status = c.getResponseCode();
            var in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            c.disconnect();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
