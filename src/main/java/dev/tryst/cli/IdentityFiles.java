package dev.tryst.cli;

import dev.tryst.api.LocalIdentity;
import dev.tryst.api.TrystException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** This machine's identity for the identity commands, saying so when it is made. */
final class IdentityFiles {
    private IdentityFiles() {}

    static LocalIdentity load(Path file, PrintWriter err) throws TrystException {
        LocalIdentity id = LocalIdentity.loadOrCreate(file != null ? file : LocalIdentity.defaultFile());
        if (id.created()) {
            err.println("Created a new identity in " + id.file() + " (readable only by you); 'tryst id' shows it.");
        }
        return id;
    }
}
