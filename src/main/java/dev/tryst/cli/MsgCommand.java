package dev.tryst.cli;

import dev.tryst.client.EventClient;
import dev.tryst.session.SessionException;
import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "msg", mixinStandardHelpOptions = true,
        description = {"Leave a short message for an identity at the server, sealed so that only it can read it;"
            + " it gets it with 'tryst inbox', once, in order, even if it is offline now.",
            "Examples:  tryst msg 3b6a27bc…(its public key) \"see you at 5\"     tail -f log | tryst msg KEY -"})
final class MsgCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server = new ServerOption();

    @Option(names = "--identity", paramLabel = "PATH", description = "Send as this identity (default: this machine's).")
    Path identityFile;

    @Parameters(index = "0", paramLabel = "PUBLIC_KEY", description = "The recipient's public key ('tryst id' shows it, 64 hex digits).")
    String recipient;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT",
            description = "The message; '-' sends each line of standard input as its own message.")
    List<String> text = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        IdentityKey to;
        try {
            to = IdentityKey.fromHex(recipient.strip());
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("'" + recipient + "' is not a public key: give the 64 hex digits 'tryst id' prints"
                    + " as 'public key' on the recipient's machine (" + e.getMessage() + ")");
        }
        Identity me = IdentityFiles.load(identityFile, err);
        boolean fromStdin = text.size() == 1 && text.get(0).equals("-");
        int sent = 0;
        try (EventClient c = IdentityFiles.login(server, me)) {
            if (fromStdin) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.isEmpty()) {
                        send(c, to, line.getBytes(StandardCharsets.UTF_8));
                        sent++;
                    }
                }
            } else {
                send(c, to, String.join(" ", text).getBytes(StandardCharsets.UTF_8));
                sent++;
            }
        } catch (EventClient.RefusedException e) {
            throw new SessionException(SessionException.Kind.PEER_GONE, e.getMessage() + " (" + sent + " sent before)", e);
        }
        err.println((sent == 1 ? "Message" : sent + " messages") + " stored for " + to.fingerprint() + ".");
        err.flush();
        return ExitCode.OK.code;
    }

    private static void send(EventClient c, IdentityKey to, byte[] body) throws IOException {
        if (body.length > EventClient.MAX_MESSAGE) {
            throw new Main.UsageException("a message holds at most " + EventClient.MAX_MESSAGE + " bytes; send files with 'tryst send'");
        }
        c.sendMessage(to, body, Duration.ofSeconds(30));
    }
}
