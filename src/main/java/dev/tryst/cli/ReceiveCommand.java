package dev.tryst.cli;

import dev.tryst.api.OfferSummary;
import dev.tryst.api.ReceiveOptions;
import dev.tryst.api.Received;
import dev.tryst.api.Tryst;
import dev.tryst.api.TrystException;
import dev.tryst.transfer.UnsafePathException;
import dev.tryst.transfer.Units;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "receive", aliases = "recv", mixinStandardHelpOptions = true,
        description = {"Receive what the sender of CODE sends: files and folders go into --out (asking first),"
            + " text or a stream to standard output."},
        footerHeading = "%nExample:%n", footer = {"  tryst receive 481756-pelican-walnut-glider --out ~/Downloads"})
final class ReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Meeting meeting = new Meeting();

    @Parameters(paramLabel = "CODE", arity = "0..*",
            description = "The code the sender printed, or the tryst:CODE?… URI of its QR code (asked for when left out:"
                + " TAB completes its words; without a terminal, one line of standard input is the code).")
    List<String> codeWords = List.of();

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "2m", converter = Durations.class,
            description = "How long to wait for the sender. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = "--json", description = "Report on standard error as JSON lines (connected, offer, fallback, done)"
            + " instead of sentences; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but what was received.")
    boolean quiet;

    @Option(names = {"-o", "--out"}, paramLabel = "FOLDER", description = "Where received files go (default: the current folder; made if missing, when files arrive).")
    Path out = Path.of(".");

    @Option(names = {"-y", "--yes"}, description = "Accept offered files without asking.")
    boolean yes;

    @Option(names = "--overwrite", description = "Replace existing files that differ from the ones received.")
    boolean overwrite;

    private JsonEvents events;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        events = json ? new JsonEvents(err) : null;
        quiet |= json;
        String typed = String.join("-", codeWords);
        if (typed.isBlank()) {
            typed = CodePrompt.ask("Enter the code: "); // TAB completes its words on a terminal; else a line of stdin
        }
        typed = meeting.code(typed); // a pasted tryst: URI (send --qr) also says where to meet
        if (!yes && !canAsk()) { // said before the code is spent
            if (spec.commandLine().getParseResult().hasMatchedOption("--out")) {
                throw new Main.UsageException("files for --out " + out + " would be declined: there is no terminal to ask on"
                        + (json ? " with --json" : "") + "; add --yes to accept them");
            }
            if (!quiet) { // --json and --quiet: whoever runs it knows --yes
                err.println("tryst: no terminal to ask on: an offer of files will be declined (--yes accepts)");
                err.flush();
            }
        }
        OutputStream stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        Received got;
        try (EventPrinter printer = new EventPrinter(err, events, quiet, "Receiving", "receiving");
             ShutdownHook stop = SendCommand.stopTellsThePeer("the receiver was stopped", err)) {
            ReceiveOptions options = new ReceiveOptions(out, overwrite, summary -> {
                printer.bars = true;
                return confirm(summary, err);
            }, stdout);
            // No flush on failure: what is still buffered is not written. A stream's earlier output must be
            // discarded (the exit code says so).
            got = new Tryst(meeting.options(wait)).receive(typed, options, printer);
        }
        if (got.kind() == Received.Kind.TEXT) {
            stdout.write('\n');
        }
        stdout.flush();
        if (events != null) {
            if (got.kind() == Received.Kind.FILES) {
                events.emit("done", "bytes", got.bytes(), "seconds", SendCommand.seconds(got.elapsed()), "files", got.files(),
                        "skipped", got.skipped(), "resumed", got.resumed());
            } else {
                events.emit("done", "bytes", got.bytes(), "seconds", SendCommand.seconds(got.elapsed()));
            }
        } else if (!quiet) {
            String line = SendCommand.summary("Received", got.bytes(), got.elapsed());
            if (got.kind() == Received.Kind.FILES) {
                line += " " + SendCommand.count(got.files(), "file")
                        + (got.directories() > 0 ? " and " + SendCommand.count(got.directories(), "folder") : "")
                        + " in " + got.folder() + ", every file verified (SHA-256)."
                        + (got.skipped() > 0 ? " " + got.skipped() + " already there." : "")
                        + (got.resumed() > 0 ? " " + got.resumed() + " resumed." : "");
            }
            err.println(line);
        }
        err.flush();
        return ExitCode.OK.code;
    }

    /** What is offered, in words: counts, sizes, what lands where, hidden and executable files. */
    static String describe(OfferSummary sum) {
        StringBuilder b = new StringBuilder("Offered: ").append(SendCommand.count(sum.files(), "file"));
        if (sum.directories() > 0) {
            b.append(" and ").append(SendCommand.count(sum.directories(), "folder"));
        }
        b.append(", ").append(Units.bytes(sum.totalBytes()));
        if (!sum.largest().isEmpty() && sum.files() > 1) {
            b.append(" (largest: ");
            for (int i = 0; i < sum.largest().size(); i++) {
                var e = sum.largest().get(i);
                b.append(i > 0 ? ", " : "").append(UnsafePathException.printable(e.path())).append(' ').append(Units.bytes(e.size()));
            }
            b.append(')');
        } else if (sum.files() == 1) {
            b.append(": ").append(UnsafePathException.printable(sum.largest().getFirst().path()));
        }
        if (sum.present() > 0) {
            b.append("; ").append(sum.present()).append(" of the same name and size here (compared by hash, not fetched if equal)");
        }
        if (sum.resumable() > 0) {
            b.append("; ").append(sum.resumable()).append(" to resume");
        }
        b.append("; ").append(Units.bytes(sum.bytesToFetch())).append(" to fetch");
        if (sum.bytesIfDifferent() > 0) {
            b.append(" (up to ").append(Units.bytes(sum.bytesToFetch() + sum.bytesIfDifferent()))
                    .append(" if those of the same size differ)");
        }
        b.append(" into ").append(sum.target());
        if (sum.replacing() > 0) { // --overwrite: what it will replace, by name
            b.append(System.lineSeparator()).append("  will replace: ");
            for (int i = 0; i < sum.replaced().size(); i++) {
                b.append(i > 0 ? ", " : "").append(UnsafePathException.printable(sum.replaced().get(i)));
            }
            if (sum.replacing() > sum.replaced().size()) {
                b.append(" and ").append(sum.replacing() - sum.replaced().size()).append(" more");
            }
        }
        // Name what lands where, so decoys cannot hide a .git/hooks/ or .bashrc among photos.
        b.append(System.lineSeparator()).append("  will create or update: ");
        List<String> top = sum.topLevel();
        for (int i = 0; i < Math.min(10, top.size()); i++) {
            b.append(i > 0 ? ", " : "").append(UnsafePathException.printable(top.get(i)));
        }
        if (top.size() > 10) {
            b.append(" and ").append(top.size() - 10).append(" more");
        }
        if (sum.hidden() > 0) {
            b.append(System.lineSeparator()).append("  note: ").append(sum.hidden()).append(" hidden (dot) entr")
                    .append(sum.hidden() == 1 ? "y" : "ies");
        }
        if (sum.executables() > 0) {
            b.append(System.lineSeparator()).append("  note: ").append(sum.executables()).append(" executable file")
                    .append(sum.executables() == 1 ? "" : "s");
        }
        return b.toString();
    }

    /** Whether an offer of files can be asked about: a terminal, and sentences rather than JSON. */
    private boolean canAsk() {
        return events == null && System.console() != null && Terminal.isTerminal(0);
    }

    /** Shows what is offered and asks; --yes accepts; without a terminal to ask on, declines with the remedy. */
    private boolean confirm(OfferSummary sum, PrintWriter err) {
        String b = describe(sum);
        if (events != null) {
            events.emit("offer", "files", sum.files(), "directories", sum.directories(), "bytes", sum.totalBytes(),
                    "fetch", sum.bytesToFetch());
        } else if (!quiet || !yes) {
            err.println(b);
            err.flush();
        }
        if (yes) {
            return true;
        }
        if (!canAsk()) {
            err.println("tryst: not accepting without asking; run again with --yes to accept");
            err.flush();
            return false;
        }
        String answer = System.console().readLine("Accept? [y/N] ");
        return answer != null && answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y");
    }
}
