package dev.tryst.cli;

import dev.tryst.channel.Handshake;
import dev.tryst.client.Connector;
import dev.tryst.client.Session;
import dev.tryst.code.Code;
import dev.tryst.code.CodeFormatException;
import dev.tryst.transfer.StreamTransfer;
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
        description = {"Receive what the sender of CODE sends: text or a stream is written to standard output.",
            "Example:  tryst receive 481756-pelican-walnut-glider"})
final class ReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RelayOption relay = new RelayOption();

    @Parameters(paramLabel = "CODE", arity = "0..*",
            description = "The code the sender printed (asked for when left out).")
    List<String> codeWords = List.of();

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "2m", converter = Durations.class,
            description = "How long to wait for the sender. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but what was received.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        Handshake.warmUp();
        PrintWriter err = spec.commandLine().getErr();
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
        var relayAddress = relay.address();
        var defaults = Connector.Timeouts.defaults(Handshake.Role.RESPONDER);
        var timeouts = new Connector.Timeouts(defaults.connect(), wait, defaults.idle());
        OutputStream stdout = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        try (Session s = Connector.viaRelay(relayAddress, code, Handshake.Role.RESPONDER, timeouts, new SecureRandom())) {
            if (!quiet) {
                err.println("Connected, " + s.path() + "; receiving.");
                err.flush();
            }
            long t0 = System.nanoTime();
            StreamTransfer.Received got;
            try {
                got = StreamTransfer.receive(s, stdout, StreamTransfer.Progress.NONE);
            } catch (IOException e) {
                // No flush: what is still buffered is not written. A stream's earlier output must be discarded (exit code).
                throw s.explain(e, "the sender");
            }
            if (got.kind() == TransferWire.KIND_TEXT) {
                stdout.write('\n');
            }
            stdout.flush();
            if (!quiet) {
                err.println(SendCommand.summary("Received", got.bytes(), System.nanoTime() - t0));
            }
        }
        return ExitCode.OK.code;
    }
}
