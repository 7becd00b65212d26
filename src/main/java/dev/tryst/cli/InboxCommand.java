package dev.tryst.cli;

import dev.tryst.api.Contact;
import dev.tryst.api.InboxMessage;
import dev.tryst.api.Peers;
import dev.tryst.api.LocalIdentity;
import dev.tryst.api.Mailbox;
import dev.tryst.api.ServerConfig;
import dev.tryst.api.TrystException;
import dev.tryst.api.TrystOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inbox", mixinStandardHelpOptions = true,
        description = {"Print the messages left for this identity at the server, oldest first, each once:"
            + " one line each, 'TIME SENDER-FINGERPRINT: TEXT'. TIME is when the sender sealed it, by its clock,"
            + " signed; '(stored TIME)' follows when the server stored it more than 5 minutes apart from that.",
            "What was printed is recorded (in the state directory) before the server is told it may forget it,"
                + " so a crash never loses a message and never shows one twice. A message shown before (its id,"
                + " delivered again) is skipped with a note, and so is one signed more than 8 days ago."})
final class InboxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server = new ServerOption();

    @Option(names = "--identity", paramLabel = "PATH", description = "Read the inbox of this identity (default: this machine's).")
    Path identityFile;

    @Option(names = "--max", paramLabel = "N", description = "Process at most N messages, then stop.")
    Integer max;

    @Option(names = {"-f", "--follow"}, description = "Keep waiting for new messages (until interrupted).")
    boolean follow;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "5s", converter = Durations.class,
            description = "Without --follow: how long to wait for messages still on the way. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Override
    public Integer call() throws TrystException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (max != null && max < 1) {
            throw new Main.UsageException("--max must be at least 1");
        }
        LocalIdentity me = IdentityFiles.load(identityFile, err);
        // Each message names its sender so that it can be answered: a contact by name, anyone else by key.
        java.util.Map<String, String> names = new java.util.HashMap<>();
        for (Contact c : new Peers(TrystOptions.defaults(), me).contacts()) {
            names.put(c.publicKey(), c.name());
        }
        int processed;
        try (Mailbox box = Mailbox.open(server.apply(TrystOptions.defaults()), me, ServerConfig.defaultStateDir())) {
            processed = box.read(new Mailbox.Reading(max == null ? 0 : max, follow, wait), m -> {
                out.println(line(m, names.getOrDefault(m.senderKey(), m.senderKey())));
                out.flush();
            }, notice -> err.println("tryst: " + notice));
        }
        if (processed == 0) {
            err.println("No new messages.");
        }
        err.flush();
        return ExitCode.OK.code;
    }

    /** Beyond this apart, the sender's signed time and the server's storage time are both shown. */
    static final Duration STORED_APART = Duration.ofMinutes(5);

    /** {@code from}: the sender's contact name, or its public key; either can be given to 'tryst msg' to answer. */
    static String line(InboxMessage m, String from) {
        String apart = Duration.between(m.sent(), m.stored()).abs().compareTo(STORED_APART) > 0
                ? " (stored " + m.stored().truncatedTo(ChronoUnit.SECONDS) + ")" : "";
        return m.sent().truncatedTo(ChronoUnit.SECONDS) + apart + " " + printable(from) + ": " + printable(m.text());
    }

    /** A message's text as one safe line ({@link dev.tryst.wire.Printable}). */
    static String printable(String text) {
        return dev.tryst.wire.Printable.of(text);
    }
}
