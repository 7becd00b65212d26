package dev.tryst.cli;

import dev.tryst.api.LocalIdentity;
import dev.tryst.api.TrystException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "id", mixinStandardHelpOptions = true,
        description = {"Show this machine's tryst identity, creating it on first use.",
            "The identity is an Ed25519 key kept, readable only by you (mode 0600), in"
                + " $XDG_CONFIG_HOME/tryst/identity or ~/.config/tryst/identity.",
            "Give others the public key to reach this identity (a message, or 'tryst contacts add'); the fingerprint is"
                + " shorter, for checking the key by voice, and names the identity only to those who have it as a contact."})
final class IdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--file", paramLabel = "PATH", description = "Use this identity file instead of the default.")
    Path file;

    @Override
    public Integer call() throws TrystException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LocalIdentity id = LocalIdentity.loadOrCreate(file != null ? file : LocalIdentity.defaultFile());
        if (id.created()) {
            err.println("Created a new identity in " + id.file() + " (readable only by you).");
        }
        out.println("fingerprint " + id.fingerprint());
        out.println("public key  " + id.publicKey());
        out.flush();
        err.flush();
        return ExitCode.OK.code;
    }
}
