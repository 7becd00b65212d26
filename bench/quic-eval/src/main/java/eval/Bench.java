package eval;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.TimeUnit;

/** Driver: runs every candidate in its own fresh JVM, alternating (order rotates per round), then prints one table.
 *  Usage: Bench [bytes=512MiB] [rounds=3] [warmupBytes=64MiB] */
public final class Bench {
    static final List<String> CANDIDATES = List.of("tcp-gcm", "netty-quic", "kwik");
    record R(String cand, long bytes, long nanos, long cpu, int threads) {
        double mbps() { return bytes / (nanos / 1e9) / 1e6; }
        double cpuPerGiB() { return cpu / 1e9 * (1L << 30) / bytes; }
    }

    public static void main(String[] a) throws Exception {
        long bytes = a.length > 0 ? Long.parseLong(a[0]) : 512L << 20;
        int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 3;
        long warm = a.length > 2 ? Long.parseLong(a[2]) : 64L << 20;
        String java = ProcessHandle.current().info().command().orElse("java");
        Map<String, List<R>> res = new LinkedHashMap<>();
        CANDIDATES.forEach(c -> res.put(c, new ArrayList<>()));
        List<String> log = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < CANDIDATES.size(); i++) {
                String c = CANDIDATES.get((i + r) % CANDIDATES.size());
                Process p = new ProcessBuilder(java, "-Xms512m", "-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                        "-cp", System.getProperty("java.class.path"), "eval.Run", c, "" + bytes, "" + warm)
                        .redirectErrorStream(true).start();
                String line = null;
                try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    for (String l; (l = br.readLine()) != null; ) {
                        if (l.startsWith("RESULT ")) line = l; else if (!l.startsWith("SECURITY WARNING")) System.err.println("  [" + c + "] " + l);
                    }
                }
                p.waitFor(10, TimeUnit.MINUTES);
                if (line == null) { System.err.printf("round %d %s: FAILED (exit %d)%n", r + 1, c, p.exitValue()); continue; }
                String[] f = line.split(" ");
                R x = new R(c, Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), Integer.parseInt(f[5]));
                res.get(c).add(x);
                String s = String.format("round %d %-10s %8.1f MB/s  cpu %6.2f s/GiB  +threads %d", r + 1, c, x.mbps(), x.cpuPerGiB(), x.threads());
                System.err.println(s);
                log.add(s);
            }
        }
        double refMbps = median(res.get("tcp-gcm").stream().mapToDouble(R::mbps).toArray());
        double refCpu = median(res.get("tcp-gcm").stream().mapToDouble(R::cpuPerGiB).toArray());
        StringBuilder t = new StringBuilder();
        t.append(String.format("%n%d MiB per round, %d rounds, warm-up %d MiB, one JVM per run (client+server in it), loadavg %s%n",
                bytes >> 20, rounds, warm >> 20, Files.readString(Path.of("/proc/loadavg")).trim()));
        t.append("| candidate | MB/s per round | MB/s median | ratio to TCP+GCM | CPU s/GiB median (both ends) | CPU ratio to TCP+GCM | threads added |\n");
        t.append("|---|---|---|---|---|---|---|\n");
        for (var e : res.entrySet()) {
            List<R> rs = e.getValue();
            if (rs.isEmpty()) { t.append("| ").append(e.getKey()).append(" | failed | | | | | |\n"); continue; }
            double m = median(rs.stream().mapToDouble(R::mbps).toArray());
            double cpu = median(rs.stream().mapToDouble(R::cpuPerGiB).toArray());
            t.append(String.format("| %s | %s | %.1f | %.2f | %.1f | %.2f | %d |%n",
                    e.getKey().equals("tcp-gcm") ? "TCP+GCM" : e.getKey(),
                    String.join(" ", rs.stream().map(x -> String.format("%.1f", x.mbps())).toList()),
                    m, m / refMbps, cpu, cpu / refCpu, rs.getLast().threads()));
        }
        System.out.print(t);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/bench-results.md"), String.join("\n", log) + "\n" + t);
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
