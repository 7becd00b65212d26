package dev.tryst.cli;

import dev.tryst.api.ListenEvent;
import dev.tryst.api.ListenOptions;
import dev.tryst.api.Listening;
import dev.tryst.api.OfferSummary;
import dev.tryst.api.Peers;
import dev.tryst.api.TrystException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "listen", mixinStandardHelpOptions = true,
        description = {"Be reachable by your contacts (and nobody else) through the server, offering only what you"
            + " name: standard input and output (--pipe), a folder for files (--receive), TCP ports (--expose)."
            + " Stays logged in, coming back when the server or the network does; requests from identities that"
            + " are not contacts are denied and logged. The log goes to standard error."},
        footerHeading = "%nExamples:%n", footer = {"  tryst listen --expose 22", "  tryst listen --pipe > got.tar", "  tryst listen --receive ~/in --yes", "  tryst listen --expose 8080=localhost:3000"})
final class ListenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PeerOptions peer = new PeerOptions();

    @Option(names = "--pipe", description = "Join standard input and output to the first contact that connects"
            + " ('tryst connect NAME'), then end (when nothing else is offered).")
    boolean pipe;

    @Option(names = "--receive", paramLabel = "DIR", description = "Receive files contacts send ('tryst send --to') into DIR.")
    Path folder;

    @Option(names = {"-y", "--yes"}, description = "Accept files from contacts without asking.")
    boolean yes;

    @Option(names = "--overwrite", description = "Received files may replace different existing ones.")
    boolean overwrite;

    @Option(names = "--expose", paramLabel = "PORT[=[HOST:]PORT]",
            description = "Let contacts reach this TCP port ('tryst connect NAME:PORT', 'tryst forward'); with '=', the"
                    + " port they ask for leads to another address (default localhost). Repeatable. Nothing by default.")
    List<String> expose = new ArrayList<>();

    @Option(names = "--json", description = "Log as JSON lines on standard error.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (!pipe && folder == null && expose.isEmpty()) {
            throw new Main.UsageException("nothing to offer: give --pipe, --receive DIR or --expose PORT");
        }
        ListenOptions offer = ListenOptions.nothing();
        if (pipe) {
            offer = offer.withPipe(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
        }
        if (folder != null) {
            Files.createDirectories(folder);
            Predicate<OfferSummary> ask = yes ? s -> true : s -> {
                log(err, "files offered, declined (run with --yes to accept): " + ReceiveCommand.describe(s));
                return false;
            };
            offer = offer.withFolder(folder, ask, overwrite);
        }
        for (String spec : expose) {
            try {
                offer = offer.withExposed(spec);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--expose " + e.getMessage());
            }
        }
        JsonEvents events = json ? new JsonEvents(err) : null;
        Peers peers = peer.peers(Duration.ofMinutes(1), err);
        CountDownLatch stopped = new CountDownLatch(1);
        Listening l = peers.listen(offer, e -> show(err, events, e));
        try (ShutdownHook stop = new ShutdownHook("tryst-listen-stop", () -> {
            l.close();
            stopped.countDown();
        })) {
            if (pipe && folder == null && expose.isEmpty()) {
                while (!l.awaitPipeDone(Duration.ofHours(1))) {
                    // the pipe is the only thing offered: once it is done, so are we
                }
            } else {
                stopped.await();
            }
        }
        l.close();
        return ExitCode.OK.code;
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private static void log(PrintWriter err, String line) {
        synchronized (err) {
            err.println(LocalTime.now().format(TIME) + " " + line);
            err.flush();
        }
    }

    private static void show(PrintWriter err, JsonEvents json, ListenEvent e) {
        if (json != null) {
            synchronized (err) {
                switch (e) {
                    case ListenEvent.Online o -> json.emit("online", "server", o.server(), "offers", o.offers());
                    case ListenEvent.Offline o -> json.emit("offline", "reason", o.why(), "retry_ms", o.retryInMillis());
                    case ListenEvent.Denied d -> json.emit("denied", "fingerprint", d.fingerprint(), "public_key", d.publicKey());
                    case ListenEvent.Accepted a -> json.emit("accepted", "peer", a.peer());
                    case ListenEvent.Connected c -> json.path("connected", c.path(), "peer", c.peer(), "purpose", c.purpose());
                    case ListenEvent.Moved m -> json.path("moved", m.path(), "peer", m.peer(), "reason", m.why());
                    case ListenEvent.Failed f -> json.emit("failed", "peer", f.peer(), "reason", f.why());
                    case ListenEvent.Ended x -> json.emit("ended", "peer", x.peer(), "reason", x.why() == null ? "" : x.why());
                    case ListenEvent.StreamOpened s -> json.emit("stream", "peer", s.peer(), "to", s.what());
                    case ListenEvent.StreamRefused s -> json.emit("stream_refused", "peer", s.peer(), "to", s.what(), "reason", s.why());
                    case ListenEvent.StreamClosed s -> json.emit("stream_closed", "peer", s.peer(), "to", s.what(),
                            "reason", s.why() == null ? "" : s.why());
                    case ListenEvent.FilesReceived f -> json.emit("files", "peer", f.peer(), "files", f.received().files(),
                            "bytes", f.received().bytes());
                }
            }
            return;
        }
        log(err, switch (e) {
            case ListenEvent.Online o -> "Listening as this identity at " + o.server() + ", offering " + o.offers() + " to contacts.";
            case ListenEvent.Offline o -> "Not connected to the server (" + o.why() + "); trying again in "
                    + Math.max(1, o.retryInMillis() / 1000) + " s.";
            case ListenEvent.Denied d -> "Denied a connection request from " + d.fingerprint()
                    + ", not a contact (to admit it: tryst contacts add NAME " + d.publicKey() + ").";
            case ListenEvent.Accepted a -> "Accepted a connection request from " + a.peer() + ".";
            case ListenEvent.Connected c -> c.peer() + " connected, " + c.path() + " (" + c.purpose() + ").";
            case ListenEvent.Moved m -> m.peer() + " moved to " + m.path() + " (" + m.why() + ").";
            case ListenEvent.Failed f -> "Connection with " + f.peer() + " failed: " + f.why();
            case ListenEvent.Ended x -> x.peer() + " disconnected" + (x.why() == null ? "." : ": " + x.why());
            case ListenEvent.StreamOpened s -> s.peer() + " opened " + s.what() + ".";
            case ListenEvent.StreamRefused s -> s.peer() + " asked for " + s.what() + ", refused: " + s.why();
            case ListenEvent.StreamClosed s -> s.peer() + " closed " + s.what() + (s.why() == null ? "." : " (" + s.why() + ").");
            case ListenEvent.FilesReceived f -> "Received " + SendCommand.count(f.received().files(), "file") + " ("
                    + dev.tryst.transfer.Units.bytes(f.received().bytes()) + ") from " + f.peer() + " into "
                    + f.received().folder() + ", verified.";
        });
    }
}
