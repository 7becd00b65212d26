package dev.tryst.cli;

import dev.tryst.channel.Handshake;
import dev.tryst.client.Connector;
import dev.tryst.session.Session;
import dev.tryst.code.Code;
import dev.tryst.code.CodeFormatException;
import dev.tryst.transfer.FileSender;
import dev.tryst.transfer.StreamTransfer;
import java.nio.file.Path;
import dev.tryst.transfer.TransferWire;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
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
            + " code this prints.",
            "Examples:  tryst send photos/ report.pdf     tryst send --text \"hello\"     echo data | tryst send"})
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

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "10m", converter = Durations.class,
            description = "How long to wait for the receiver. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = "--json", description = "Report on standard error as JSON lines (code, connected, fallback, done)"
            + " instead of sentences; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print only the code.")
    boolean quiet;

    @Parameters(paramLabel = "PATH", arity = "0..*",
            description = "Files and folders to send (folders with everything in them; symbolic links are not followed).")
    List<Path> files = List.of();

    @Override
    public Integer call() throws IOException {
        Handshake.warmUp();
        PrintWriter err = spec.commandLine().getErr();
        if (!files.isEmpty() && text != null) {
            throw new Main.UsageException("give either --text or files, not both");
        }
        events = json ? new JsonEvents(err) : null;
        quiet |= json;
        List<FileSender.Source> sources = null;
        if (!files.isEmpty()) {
            try {
                sources = FileSender.scan(files, w -> err.println("tryst: " + w));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException(e.getMessage());
            } catch (java.nio.file.NoSuchFileException e) {
                throw new Main.UsageException("no such file or folder: " + e.getFile());
            }
        }
        byte[] textBytes = null;
        byte kind;
        InputStream in;
        long size;
        if (sources != null) {
            kind = 0;
            in = null;
            size = 0;
        } else if (text != null) {
            textBytes = text.getBytes(StandardCharsets.UTF_8);
            if (textBytes.length > TransferWire.MAX_TEXT) {
                throw new Main.UsageException("--text takes at most 1 MiB; pipe longer input on standard input");
            }
            kind = TransferWire.KIND_TEXT;
            in = new ByteArrayInputStream(textBytes);
            size = textBytes.length;
        } else if (Terminal.isTerminal(0)) {
            throw new Main.UsageException("nothing to send: give --text \"...\", or pipe data in (echo hi | tryst send)");
        } else {
            kind = TransferWire.KIND_STREAM;
            in = System.in;
            size = -1;
        }
        if (words < Code.MIN_WORDS || words > Code.MAX_WORDS) {
            throw new Main.UsageException("--words must be " + Code.MIN_WORDS + " to " + Code.MAX_WORDS);
        }
        SecureRandom random = new SecureRandom();
        Code wanted;
        try {
            wanted = code != null ? Code.parse(code) : null;
        } catch (CodeFormatException e) {
            throw new Main.UsageException(e.getMessage());
        }
        var timeouts = meeting.config(Handshake.Role.INITIATOR, wait);
        Session session;
        try (Meeting.Way way = meeting.open(err, quiet)) {
            Code c = way.control() != null ? Connector.createRoom(way.control(), wanted, words, random)
                    : wanted != null ? wanted : Code.generate(random, words);
            if (events != null) {
                events.emit("code", "code", c.phrase());
            } else if (quiet) {
                err.println(c.phrase());
            } else {
                if (sources != null) {
                    err.println("Offering " + describe(sources) + ".");
                }
                err.println("Code: " + c.phrase());
                err.println("On the other machine run:  tryst receive " + c.phrase());
            }
            err.flush();
            session = way.control() != null
                    ? Connector.viaRoom(way.control(), c, Handshake.Role.INITIATOR, timeouts, way.relay(), random)
                    : Connector.viaRelay(way.relay(), c, Handshake.Role.INITIATOR, timeouts, random);
        }
        try (Session s = session) {
            if (events != null) {
                events.path("connected", s.path());
            } else if (!quiet) {
                err.println("Connected, " + s.path() + "; sending.");
                err.flush();
            }
            long t0 = System.nanoTime();
            if (sources != null) {
                long total = sources.stream().mapToLong(x -> x.entry().size()).sum();
                FileSender.Sent sent = sendFiles(s, sources, total, err);
                if (events != null) {
                    events.emit("done", "bytes", sent.bytesSent(), "seconds", seconds(t0), "skipped", sent.skipped(),
                            "resumed", sent.resumed());
                } else if (!quiet) {
                    err.println(summary("Sent", sent.bytesSent(), System.nanoTime() - t0)
                            + (sent.skipped() > 0 ? " " + sent.skipped() + " file(s) were already there." : "")
                            + (sent.resumed() > 0 ? " " + sent.resumed() + " file(s) resumed." : "")
                            + " The receiver verified everything.");
                }
                return ExitCode.OK.code;
            }
            long n;
            try {
                n = StreamTransfer.send(s, kind, in, size, StreamTransfer.Progress.NONE);
            } catch (IOException e) {
                throw s.explain(e, "the receiver");
            }
            if (events != null) {
                events.emit("done", "bytes", n, "seconds", seconds(t0));
            } else if (!quiet) {
                err.println(summary("Sent", n, System.nanoTime() - t0));
            }
        }
        return ExitCode.OK.code;
    }

    /**
     * Sends the files; if a direct path dies on the way, goes on through the relay by itself (the
     * receiver keeps what it verified, so only the rest moves). The relay session has no further fallback.
     */
    private FileSender.Sent sendFiles(Session first, List<FileSender.Source> sources, long total, PrintWriter err)
            throws IOException {
        Session s = first;
        try {
            while (true) {
                try (LazyProgress bar = new LazyProgress(quiet, "Sending", total)) {
                    return FileSender.send(s, sources, bar);
                } catch (dev.tryst.transfer.TransferException | dev.tryst.transfer.LocalIoException e) {
                    throw e;
                } catch (IOException e) {
                    Session.Fallback back = s.fallback();
                    IOException why = s.explain(e, "the receiver");
                    if (back == null) {
                        throw why;
                    }
                    if (!quiet) {
                        err.println("The direct path broke (" + why.getMessage() + "); going on through the relay.");
                        err.flush();
                    }
                    closeQuietly(s, first);
                    s = back.connect();
                    if (events != null) {
                        events.path("fallback", s.path(), "reason", why.getMessage());
                    } else if (!quiet) {
                        err.println("Connected, " + s.path() + "; resuming.");
                        err.flush();
                    }
                }
            }
        } finally {
            closeQuietly(s, first);
        }
    }

    /** Closes a fallback session; the first one is closed by its owner. */
    static void closeQuietly(Session s, Session first) {
        if (s != first) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }

    private JsonEvents events;

    /** Seconds since {@code t0}, to the millisecond, for --json. */
    static double seconds(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e6) / 1e3;
    }

    static String describe(List<FileSender.Source> sources) {
        long files = sources.stream().filter(x -> !x.entry().directory()).count();
        long dirs = sources.size() - files;
        long bytes = sources.stream().mapToLong(x -> x.entry().size()).sum();
        return count(files, "file") + (dirs > 0 ? " and " + count(dirs, "folder") : "") + ", " + size(bytes);
    }

    static String size(long b) {
        return dev.tryst.transfer.Units.bytes(b);
    }

    static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    static String summary(String verb, long bytes, long nanos) {
        double s = Math.max(nanos, 1) / 1e9;
        return String.format(Locale.ROOT, "%s %s in %.2f s (%s/s).", verb, size(bytes), s, size((long) (bytes / s)));
    }
}
