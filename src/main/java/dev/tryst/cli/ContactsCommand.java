package dev.tryst.cli;

import dev.tryst.api.Contact;
import dev.tryst.api.Peers;
import dev.tryst.api.TrystException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "contacts", mixinStandardHelpOptions = true,
        description = {"List the identities this one knows by name (who may connect to its 'tryst listen', and whom"
            + " it reaches by name); add, rename or remove one."},
        footerHeading = "%nExamples:%n", footer = {"  tryst contacts", "  tryst contacts add laptop 3b6a27bc…(64 hex digits)", "  tryst contacts remove laptop"},
        subcommands = {ContactsCommand.Add.class, ContactsCommand.Rename.class, ContactsCommand.Remove.class})
final class ContactsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PeerOptions peer = new PeerOptions();

    @Override
    public Integer call() throws TrystException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Peers peers = peer.peers(Duration.ofMinutes(1), err);
        List<Contact> all = peers.contacts();
        if (all.isEmpty()) {
            err.println("No contacts yet (" + peers.contactsFile() + "); add one with 'tryst pair'.");
        }
        int width = all.stream().mapToInt(c -> c.name().length()).max().orElse(4);
        for (Contact c : all) {
            out.println(String.format("%-" + width + "s  %s  %s", c.name(), c.fingerprint(), c.publicKey()));
        }
        out.flush();
        err.flush();
        return ExitCode.OK.code;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a contact by its public key (what its 'tryst id' shows).")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PeerOptions peer = new PeerOptions();

        @Parameters(index = "0", paramLabel = "NAME", description = "What to call it (a-z, 0-9, '.', '_', '-').")
        String name;

        @Parameters(index = "1", paramLabel = "PUBLIC_KEY", description = "Its public key, 64 hex digits.")
        String key;

        @Override
        public Integer call() throws TrystException {
            PrintWriter err = spec.commandLine().getErr();
            Contact c = peer.peers(Duration.ofMinutes(1), err).addContact(name, key);
            err.println("Added '" + c.name() + "' (" + c.fingerprint() + ").");
            err.flush();
            return ExitCode.OK.code;
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true, description = "Give a contact another name.")
    static final class Rename implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PeerOptions peer = new PeerOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String from;

        @Parameters(index = "1", paramLabel = "NEW_NAME")
        String to;

        @Override
        public Integer call() throws TrystException {
            PrintWriter err = spec.commandLine().getErr();
            peer.peers(Duration.ofMinutes(1), err).renameContact(from, to);
            err.println("Renamed '" + from + "' to '" + to + "'.");
            err.flush();
            return ExitCode.OK.code;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Forget a contact: it can no longer connect to this identity's 'tryst listen'.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PeerOptions peer = new PeerOptions();

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws TrystException {
            PrintWriter err = spec.commandLine().getErr();
            peer.peers(Duration.ofMinutes(1), err).removeContact(name);
            err.println("Removed '" + name + "'.");
            err.flush();
            return ExitCode.OK.code;
        }
    }
}
