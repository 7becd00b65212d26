package dev.tryst.cli;

import dev.tryst.api.Contact;
import dev.tryst.api.LocalIdentity;
import dev.tryst.api.Peers;
import dev.tryst.api.Mailbox;
import dev.tryst.api.ServerConfig;
import dev.tryst.api.TrystException;
import dev.tryst.api.TrystOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
            + " it gets it with 'tryst inbox', once, in order, even if it is offline now."},
        footerHeading = "%nExamples:%n", footer = {"  tryst msg 3b6a27bc…(its public key) \"see you at 5\"", "  tail -f log | tryst msg KEY -"})
final class MsgCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server = new ServerOption();

    @Option(names = "--identity", paramLabel = "PATH", description = "Send as this identity (default: this machine's).")
    Path identityFile;

    @Parameters(index = "0", paramLabel = "PEER", description = "Whom: a contact's name or fingerprint, or any"
            + " identity's public key ('tryst id' shows it, 64 hex digits; 'tryst inbox' shows it for each sender).")
    String recipient;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT",
            description = "The message; '-' sends each line of standard input as its own message.")
    List<String> text = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        LocalIdentity me = IdentityFiles.load(identityFile, err);
        // A contact's name, its fingerprint or any public key; an unknown one is said before anything is sent.
        Contact to = new Peers(TrystOptions.defaults(), me).resolve(recipient);
        String key = to.publicKey();
        String fingerprint = to.fingerprint();
        boolean fromStdin = text.size() == 1 && text.get(0).equals("-");
        int sent = 0;
        try (Mailbox box = Mailbox.open(server.apply(TrystOptions.defaults()), me, ServerConfig.defaultStateDir())) {
            if (fromStdin) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.isEmpty()) {
                        box.send(key, line);
                        sent++;
                    }
                }
            } else {
                box.send(key, String.join(" ", text));
                sent++;
            }
        } catch (TrystException e) {
            if (e.reason() == TrystException.Reason.REFUSED && sent > 0) {
                throw new TrystException(e.reason(), e.getMessage() + " (" + sent + " sent before)", e.remedy(), e);
            }
            throw e;
        }
        err.println((sent == 1 ? "Message" : sent + " messages") + " stored for " + fingerprint + ".");
        err.flush();
        return ExitCode.OK.code;
    }
}
