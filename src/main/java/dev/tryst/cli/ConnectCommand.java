package dev.tryst.cli;

import dev.tryst.api.PeerSession;
import dev.tryst.api.PeerStream;
import dev.tryst.api.Peers;
import dev.tryst.api.TransferEvent;
import dev.tryst.api.TrystException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "connect", mixinStandardHelpOptions = true,
        description = {"Join standard input and output to a contact's 'tryst listen --pipe', or to a TCP port it"
            + " exposes (PEER:PORT), mutually authenticated end to end, directly when the network allows and through"
            + " the relay otherwise; a broken path moves to the relay without losing a byte."},
        footerHeading = "%nExamples:%n", footer = {"  tryst connect laptop < notes.txt", "  ssh -o ProxyCommand='tryst connect -q %%h:22' me@laptop"})
final class ConnectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PeerOptions peer = new PeerOptions();

    @Parameters(index = "0", paramLabel = "PEER[:PORT]",
            description = "A contact's name (or fingerprint, or a public key); with :PORT, a port it exposes.")
    String target;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.class,
            description = "How long to wait for the peer to accept. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = "--json", description = "Report on standard error as JSON lines; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Say nothing but errors (for ssh's ProxyCommand).")
    boolean quiet;

    /** {@code NAME:PORT} → {NAME, PORT}; {@code NAME} → {NAME, null}. */
    static String[] split(String target) {
        int colon = target.lastIndexOf(':');
        if (colon > 0 && colon < target.length() - 1 && target.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            return new String[] {target.substring(0, colon), target.substring(colon + 1)};
        }
        return new String[] {target, null};
    }

    static int port(String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new Main.UsageException("'" + text + "' is not a port (1 to 65535)");
    }

    static Consumer<TransferEvent> reporter(PrintWriter err, JsonEvents json, boolean quiet, String peerName, String what) {
        return e -> {
            switch (e) {
                case TransferEvent.Connected c -> {
                    if (json != null) {
                        json.path("connected", c.path(), "peer", peerName);
                    } else if (!quiet) {
                        err.println("Connected to " + peerName + ", " + c.path() + (what == null ? "." : "; " + what + "."));
                        err.flush();
                    }
                }
                case TransferEvent.Upgraded u -> {
                    if (json != null) {
                        json.path("upgraded", u.path(), "peer", peerName);
                    } else if (!quiet) {
                        err.println("Moved to a direct path to " + peerName + ", " + u.path() + ".");
                        err.flush();
                    }
                }
                case TransferEvent.FellBack f -> {
                    if (json != null) {
                        json.path("moved", f.path(), "reason", f.reason());
                    } else if (!quiet) {
                        err.println("The path to " + peerName + " broke (" + f.reason() + "); going on " + f.path() + ".");
                        err.flush();
                    }
                }
                default -> { }
            }
        };
    }

    @Override
    public Integer call() throws TrystException {
        PrintWriter err = spec.commandLine().getErr();
        JsonEvents events = json ? new JsonEvents(err) : null;
        quiet |= json;
        String[] parts = split(target);
        Integer port = parts[1] == null ? null : port(parts[1]);
        Peers peers = peer.peers(wait, err);
        String name = peers.resolve(parts[0]).name(); // an unknown peer is said before anything is sent
        try (PeerSession s = peers.connect(parts[0], reporter(err, events, quiet, name, port == null ? "joined to its pipe"
                : "joined to its port " + port))) {
            PeerStream stream = port == null ? s.openPipe() : s.openPort(port);
            OutputStream out = new FileOutputStream(FileDescriptor.out);
            TrystException failure = stream.join(new FileInputStream(FileDescriptor.in), out, () -> close(out));
            if (failure != null) {
                throw failure;
            }
            if (events != null) {
                events.emit("done", "peer", name);
            }
        }
        err.flush();
        return ExitCode.OK.code;
    }

    private static void close(OutputStream out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // nobody reads our output any more
        }
    }
}
