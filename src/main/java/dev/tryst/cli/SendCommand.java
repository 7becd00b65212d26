package dev.tryst.cli;

import dev.tryst.api.Offer;
import dev.tryst.api.Peers;
import dev.tryst.api.Sent;
import dev.tryst.api.Tryst;
import dev.tryst.api.TrystException;
import dev.tryst.api.TrystOptions;
import dev.tryst.transfer.Units;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send files and folders, text, or what arrives on standard input, to whoever enters the"
            + " code this prints."},
        footerHeading = "%nExamples:%n", footer = {"  tryst send photos/ report.pdf", "  tryst send --text \"hello\"", "  echo data | tryst send"})
final class SendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Meeting meeting = new Meeting();

    @Option(names = {"-t", "--text"}, paramLabel = "TEXT", description = "Send this text (at most 1 MiB).")
    String text;

    @Option(names = "--code", paramLabel = "CODE",
            description = "Use this code instead of a generated one (only for codes you made up carefully).")
    String code;

    @Option(names = "--words", paramLabel = "N", defaultValue = "3",
            description = "Secret words in a generated code (2 to 8; 3 gives 38.8 bits). Default: ${DEFAULT-VALUE}.")
    int words;

    @Option(names = "--wait", paramLabel = "DURATION", converter = Durations.class,
            description = "How long to wait for the receiver. Default: 10m with a code, 30s with --to.")
    Duration wait;

    @Option(names = "--to", paramLabel = "PEER", description = "Send the files to this contact, which listens with"
            + " 'tryst listen --receive DIR', instead of with a code.")
    String to;

    @Option(names = "--identity", paramLabel = "PATH", description = "With --to: be this identity (default: this machine's).")
    Path identityFile;

    @Option(names = "--json", description = "Report on standard error as JSON lines (code, connected, fallback, done)"
            + " instead of sentences; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print only the code.")
    boolean quiet;

    @Option(names = "--qr", description = "Also show a QR code of the code (a tryst: URI), for a phone to scan.")
    boolean qr;

    @Parameters(paramLabel = "PATH", arity = "0..*",
            description = "Files and folders to send (folders with everything in them; symbolic links are not followed).")
    List<Path> files = List.of();

    @Override
    public Integer call() throws TrystException {
        PrintWriter err = spec.commandLine().getErr();
        if (!files.isEmpty() && text != null) {
            throw new Main.UsageException("give either --text or files, not both");
        }
        JsonEvents events = json ? new JsonEvents(err) : null;
        quiet |= json;
        Offer offer;
        if (!files.isEmpty()) {
            offer = Offer.files(files, w -> err.println("tryst: " + w));
        } else if (text != null) {
            offer = Offer.text(text);
        } else if (Terminal.isTerminal(0)) {
            throw new Main.UsageException("nothing to send: give --text \"...\", or pipe data in (echo hi | tryst send)");
        } else {
            offer = Offer.stream(System.in);
        }
        TrystOptions options;
        try {
            options = meeting.options(wait != null ? wait : to != null ? Duration.ofSeconds(30) : Duration.ofMinutes(10))
                    .withWords(words);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--words: " + e.getMessage());
        }
        if (to != null && (!offer.isFiles() || code != null)) {
            throw new Main.UsageException("--to sends files and folders to a contact, without a code");
        }
        Sent sent;
        try (EventPrinter printer = new EventPrinter(err, events, quiet, "Sending", "sending");
             ShutdownHook stop = stopTellsThePeer("the sender was stopped", err)) {
            printer.offering = offer.isFiles() ? offer.describe() : null;
            printer.bars = offer.isFiles();
            printer.meetAt = meeting.forThePeer();
            printer.qr = qr && to == null ? meeting::uri : null;
            if (to != null) {
                Peers peers = new Peers(options, IdentityFiles.load(identityFile, err));
                String name = peers.resolve(to).name(); // an unknown peer is said before anything is sent
                if (!quiet) {
                    err.println("Offering " + offer.describe() + " to " + name + ".");
                    err.flush();
                }
                printer.offering = null;
                sent = peers.send(to, offer, printer);
            } else {
                sent = new Tryst(options).send(offer, code, printer);
            }
        }
        double seconds = seconds(sent.elapsed());
        if (events != null) {
            if (offer.isFiles()) {
                events.emit("done", "bytes", sent.bytes(), "seconds", seconds, "skipped", sent.skipped(), "resumed", sent.resumed());
            } else {
                events.emit("done", "bytes", sent.bytes(), "seconds", seconds);
            }
        } else if (!quiet) {
            err.println(summary("Sent", sent.bytes(), sent.elapsed())
                    + (sent.skipped() > 0 ? " " + count(sent.skipped(), "file") + (sent.skipped() == 1 ? " was" : " were")
                            + " already there." : "")
                    + (sent.resumed() > 0 ? " " + count(sent.resumed(), "file") + " resumed." : "")
                    + (offer.isFiles() ? " The receiver verified everything." : ""));
        }
        err.flush();
        return ExitCode.OK.code;
    }

    /** Ctrl-C or SIGTERM: the peer of a transfer under way is told at once, with {@code reason}. */
    static ShutdownHook stopTellsThePeer(String reason, PrintWriter err) {
        return new ShutdownHook("tryst-stop", () -> {
            if (Tryst.stopAll(reason) > 0) {
                err.println();
                err.println("tryst: stopped; the other side was told.");
                err.flush();
            }
        });
    }

    /** Seconds, to the millisecond, for --json. */
    static double seconds(Duration d) {
        return Math.round(d.toNanos() / 1e6) / 1e3;
    }

    static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    static String summary(String verb, long bytes, Duration took) {
        double s = Math.max(took.toNanos(), 1) / 1e9;
        return String.format(Locale.ROOT, "%s %s in %.2f s (%s/s).", verb, Units.bytes(bytes), s, Units.bytes((long) (bytes / s)));
    }
}
