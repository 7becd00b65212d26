package dev.tryst.cli;

import dev.tryst.api.Paired;
import dev.tryst.api.Peers;
import dev.tryst.api.TrystException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pair", mixinStandardHelpOptions = true,
        description = {"Make another identity a contact, and be one of its contacts, through a code: run 'tryst pair'"
            + " on one machine and 'tryst pair CODE' on the other. Each learns and checks the other's key through the"
            + " code (a wrong code stores nothing); then 'tryst connect NAME', 'tryst forward NAME', 'tryst send --to NAME'."},
        footerHeading = "%nExamples:%n", footer = {"  tryst pair --name laptop", "  tryst pair 42-pelican-walnut-glider --name desk"})
final class PairCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PeerOptions peer = new PeerOptions();

    @Parameters(index = "0", arity = "0..1", paramLabel = "CODE", description = "The code the other side printed; none: make one.")
    String code;

    @Option(names = "--name", paramLabel = "NAME",
            description = "What to call the other side here (default: the name it suggests, made unique).")
    String name;

    @Option(names = "--as", paramLabel = "NAME",
            description = "The name to suggest to the other side for this machine (default: its host name).")
    String as;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "10m", converter = Durations.class,
            description = "How long to wait for the other side. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = "--json", description = "Report on standard error as JSON lines; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print only the code.")
    boolean quiet;

    @Override
    public Integer call() throws TrystException {
        PrintWriter err = spec.commandLine().getErr();
        JsonEvents events = json ? new JsonEvents(err) : null;
        quiet |= json;
        Peers peers = peer.peers(wait, err);
        Paired p;
        try (EventPrinter printer = new EventPrinter(err, events, quiet, "Pairing", "pairing")) {
            printer.meetAt = peer.meeting.forThePeer();
            printer.peerCommand = "pair";
            p = peers.pair(code, name, as != null ? as : hostName(), printer);
        }
        if (events != null) {
            events.emit("paired", "name", p.contact().name(), "fingerprint", p.contact().fingerprint(),
                    "public_key", p.contact().publicKey(), "stored_there", p.storedThere());
        } else {
            err.println((p.alreadyKnown() ? "Already a contact: '" : "Paired: '") + p.contact().name() + "' is "
                    + p.contact().fingerprint() + "; compare it with what 'tryst id' shows there.");
            if (!p.storedThere()) {
                err.println("tryst: the other side did not store this identity: " + p.thereReason());
            }
        }
        err.flush();
        return p.storedThere() ? ExitCode.OK.code : ExitCode.LOCAL_IO.code;
    }

    static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                h = "peer";
            }
        }
        int dot = h.indexOf('.');
        return dot > 0 ? h.substring(0, dot) : h;
    }
}
