package dev.tryst.cli;

import dev.tryst.channel.Handshake;
import dev.tryst.client.Connector;
import dev.tryst.session.Session;
import dev.tryst.code.Code;
import dev.tryst.code.CodeFormatException;
import dev.tryst.session.SessionException;
import dev.tryst.transfer.FileReceiver;
import dev.tryst.transfer.TransferException;
import dev.tryst.transfer.StreamTransfer;
import dev.tryst.transfer.TransferWire.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.tryst.transfer.TransferWire;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.security.SecureRandom;
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
            + " text or a stream to standard output.",
            "Example:  tryst receive 481756-pelican-walnut-glider --out ~/Downloads"})
final class ReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Meeting meeting = new Meeting();

    @Parameters(paramLabel = "CODE", arity = "0..*",
            description = "The code the sender printed (asked for when left out).")
    List<String> codeWords = List.of();

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "2m", converter = Durations.class,
            description = "How long to wait for the sender. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = "--json", description = "Report on standard error as JSON lines (connected, offer, fallback, done)"
            + " instead of sentences; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but what was received.")
    boolean quiet;

    @Option(names = {"-o", "--out"}, paramLabel = "FOLDER", description = "Where received files go (default: the current folder).")
    Path out = Path.of(".");

    @Option(names = {"-y", "--yes"}, description = "Accept offered files without asking.")
    boolean yes;

    @Option(names = "--overwrite", description = "Replace existing files that differ from the ones received.")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        Handshake.warmUp();
        PrintWriter err = spec.commandLine().getErr();
        events = json ? new JsonEvents(err) : null;
        quiet |= json;
        String typed = String.join("-", codeWords);
        if (typed.isBlank()) {
            var console = System.console();
            if (console == null || !Terminal.isTerminal(0)) {
                throw new Main.UsageException("give the code: tryst receive CODE");
            }
            typed = console.readLine("Enter the code: ");
            if (typed == null) {
                throw new Main.UsageException("no code entered");
            }
        }
        Code code;
        try {
            code = Code.parse(typed);
        } catch (CodeFormatException e) {
            throw new Main.UsageException(e.getMessage());
        }
        var timeouts = meeting.config(Handshake.Role.RESPONDER, wait);
        OutputStream stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        Session session;
        try (Meeting.Way way = meeting.open(err, quiet)) {
            if (way.control() != null) {
                Connector.joinRoom(way.control(), code);
                session = Connector.viaRoom(way.control(), code, Handshake.Role.RESPONDER, timeouts, way.relay(), new SecureRandom());
            } else {
                session = Connector.viaRelay(way.relay(), code, Handshake.Role.RESPONDER, timeouts, new SecureRandom());
            }
        }
        try (Session s = session) {
            if (events != null) {
                events.path("connected", s.path());
            } else if (!quiet) {
                err.println("Connected, " + s.path() + "; receiving.");
                err.flush();
            }
            long t0 = System.nanoTime();
            StreamTransfer.Received got;
            try {
                Message offer = StreamTransfer.awaitOffer(s);
                if (offer instanceof TransferWire.OfferFiles files) {
                    return receiveFiles(s, files, err, t0);
                }
                got = StreamTransfer.receive(s, (TransferWire.Offer) offer, stdout, StreamTransfer.Progress.NONE);
            } catch (IOException e) {
                // No flush: what is still buffered is not written. A stream's earlier output must be discarded (exit code).
                throw s.explain(e, "the sender");
            }
            if (got.kind() == TransferWire.KIND_TEXT) {
                stdout.write('\n');
            }
            stdout.flush();
            if (events != null) {
                events.emit("done", "bytes", got.bytes(), "seconds", SendCommand.seconds(t0));
            } else if (!quiet) {
                err.println(SendCommand.summary("Received", got.bytes(), System.nanoTime() - t0));
            }
        }
        return ExitCode.OK.code;
    }

    private int receiveFiles(Session s, TransferWire.OfferFiles offer, PrintWriter err, long t0) throws IOException {
        if (!Files.isDirectory(out)) {
            throw new Main.UsageException("--out " + out + " is not a folder");
        }
        TransferWire.OfferFiles[] accepted = {null};
        FileReceiver.Result r;
        Session current = s;
        TransferWire.OfferFiles currentOffer = offer;
        try {
            while (true) {
                TransferWire.OfferFiles o = currentOffer;
                // The same offer again after a fallback to the relay was already accepted: not asked twice.
                var options = new FileReceiver.Options(out, overwrite, summary -> {
                    if (o.equals(accepted[0])) {
                        return true;
                    }
                    boolean yes = confirm(summary, err);
                    accepted[0] = yes ? o : null;
                    return yes;
                });
                try (LazyProgress bar = new LazyProgress(quiet, "Receiving", currentOffer.totalBytes())) {
                    r = FileReceiver.receive(current, currentOffer, options, bar);
                    break;
                } catch (TransferException | dev.tryst.transfer.LocalIoException e) {
                    throw e;
                } catch (IOException e) {
                    IOException why = current.explain(e, "the sender");
                    Session.Fallback back = current.fallback();
                    if (back == null) {
                        var kind = why instanceof SessionException se ? se.kind() : SessionException.Kind.PEER_GONE;
                        throw new SessionException(kind, why.getMessage() + " — what arrived is kept: run send and receive again"
                                + " and only the missing bytes will move", e);
                    }
                    if (!quiet) {
                        err.println("The direct path broke (" + why.getMessage() + "); going on through the relay.");
                        err.flush();
                    }
                    SendCommand.closeQuietly(current, s);
                    current = back.connect();
                    if (events != null) {
                        events.path("fallback", current.path(), "reason", why.getMessage());
                    } else if (!quiet) {
                        err.println("Connected, " + current.path() + "; resuming.");
                        err.flush();
                    }
                    Message m = StreamTransfer.awaitOffer(current);
                    if (!(m instanceof TransferWire.OfferFiles again)) {
                        throw new SessionException(SessionException.Kind.PROTOCOL,
                                "after the fallback the sender offered something else than files", null);
                    }
                    currentOffer = again;
                }
            }
        } finally {
            SendCommand.closeQuietly(current, s);
        }
        if (events != null) {
            events.emit("done", "bytes", r.bytesReceived(), "seconds", SendCommand.seconds(t0), "files", r.files(),
                    "skipped", r.skipped(), "resumed", r.resumed());
        } else if (!quiet) {
            err.println(SendCommand.summary("Received", r.bytesReceived(), System.nanoTime() - t0) + " "
                    + SendCommand.count(r.files(), "file") + (r.directories() > 0 ? " and " + SendCommand.count(r.directories(), "folder") : "")
                    + " in " + out.toAbsolutePath().normalize() + ", every file verified (SHA-256)."
                    + (r.skipped() > 0 ? " " + r.skipped() + " already there." : "")
                    + (r.resumed() > 0 ? " " + r.resumed() + " resumed." : ""));
        }
        return ExitCode.OK.code;
    }

    private JsonEvents events;

    /** Shows what is offered and asks; --yes accepts; without a terminal to ask on, declines with the remedy. */
    private boolean confirm(FileReceiver.Summary sum, PrintWriter err) {
        StringBuilder b = new StringBuilder("Offered: ").append(SendCommand.count(sum.files(), "file"));
        if (sum.directories() > 0) {
            b.append(" and ").append(SendCommand.count(sum.directories(), "folder"));
        }
        b.append(", ").append(SendCommand.size(sum.totalBytes()));
        if (!sum.largest().isEmpty() && sum.files() > 1) {
            b.append(" (largest: ");
            for (int i = 0; i < sum.largest().size(); i++) {
                var e = sum.largest().get(i);
                b.append(i > 0 ? ", " : "").append(dev.tryst.transfer.UnsafePathException.printable(e.path())).append(' ').append(SendCommand.size(e.size()));
            }
            b.append(')');
        } else if (sum.files() == 1) {
            b.append(": ").append(dev.tryst.transfer.UnsafePathException.printable(sum.largest().getFirst().path()));
        }
        if (sum.present() > 0) {
            b.append("; ").append(sum.present()).append(" of the same name and size here (compared by hash, not fetched if equal)");
        }
        if (sum.resumable() > 0) {
            b.append("; ").append(sum.resumable()).append(" to resume");
        }
        b.append("; ").append(SendCommand.size(sum.bytesToFetch())).append(" to fetch into ").append(sum.target());
        // Name what lands where, so decoys cannot hide a .git/hooks/ or .bashrc among photos.
        b.append(System.lineSeparator()).append("  will create or update: ");
        List<String> top = sum.topLevel();
        for (int i = 0; i < Math.min(10, top.size()); i++) {
            b.append(i > 0 ? ", " : "").append(dev.tryst.transfer.UnsafePathException.printable(top.get(i)));
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
        var console = System.console();
        if (events != null || console == null || !Terminal.isTerminal(0)) {
            err.println("tryst: not accepting without asking; run again with --yes to accept");
            err.flush();
            return false;
        }
        String answer = console.readLine("Accept? [y/N] ");
        return answer != null && answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y");
    }
}
