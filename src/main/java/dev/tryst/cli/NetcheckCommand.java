package dev.tryst.cli;

import dev.tryst.api.NetcheckResult;
import dev.tryst.api.Tryst;
import dev.tryst.api.TrystException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "netcheck", mixinStandardHelpOptions = true,
        description = {"Check how this machine and another reach each other: run it on one, then on the other with"
            + " the code the first prints. Reports the UDP address STUN sees, the path a transfer would take (direct"
            + " TCP or the relay) and whether a direct UDP path can be punched (the kind a mesh VPN uses), with"
            + " timings. Sends only probes.",
            "Output, one line each: 'stun ADDRESS', 'tcp PATH MS', 'udp ADDRESS|none MS [sprayed]' (tab-separated).",
            "Exits 4 when a check could not run (no STUN answer or no STUN server, so no UDP check; no path at all)."})
final class NetcheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Meeting meeting = new Meeting();

    @Parameters(paramLabel = "CODE", arity = "0..*", description = "The code the other side's netcheck printed.")
    List<String> codeWords = List.of();

    @Option(names = "--stun", paramLabel = "HOST[:PORT]",
            description = "The STUN server (default: the rendezvous server's host, port 3478).")
    String stun;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "2m", converter = Durations.class,
            description = "How long to wait for the other side. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Override
    public Integer call() throws TrystException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String code = codeWords.isEmpty() ? null : String.join("-", codeWords);
        java.util.List<String> notRun = new java.util.ArrayList<>();
        try (EventPrinter printer = new EventPrinter(err, null, false, "Checking", "checking")) {
            printer.meetAt = meeting.forThePeer();
            new Tryst(meeting.options(wait)).netcheck(code, stun, printer, r -> {
                switch (r) {
                    case NetcheckResult.Stun s when s.mapped() == null -> notRun.add("STUN: " + s.why());
                    case NetcheckResult.Tcp t when t.path() == null -> notRun.add("TCP: " + t.why());
                    case NetcheckResult.Udp u when u.why() != null -> notRun.add("UDP: " + u.why());
                    default -> { }
                }
                out.println(switch (r) {
                    case NetcheckResult.Stun s -> "stun\t" + (s.mapped() == null ? "none\t(" + s.why() + ")" : s.mapped());
                    case NetcheckResult.Tcp t -> t.path() != null ? "tcp\t" + t.path() + "\t" + t.millis()
                            : "tcp\tnone\t" + t.millis() + "\t(" + t.why() + ")";
                    case NetcheckResult.Udp u -> u.why() != null ? "udp\tnone\t-\t(" + u.why() + ")"
                            : u.peer() == null ? "udp\tnone\t" + u.millis()
                            : "udp\t" + u.peer() + "\t" + u.millis() + (u.sprayed() ? "\tsprayed" : "");
                });
                out.flush();
            });
        }
        if (!notRun.isEmpty()) { // a check that could not run is not a finding: say so, and fail
            err.println("tryst: not every check could run: " + String.join("; ", notRun));
            err.flush();
            return ExitCode.UNREACHABLE.code;
        }
        return ExitCode.OK.code;
    }
}
