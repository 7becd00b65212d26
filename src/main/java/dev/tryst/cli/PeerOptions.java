package dev.tryst.cli;

import dev.tryst.api.LocalIdentity;
import dev.tryst.api.Peers;
import dev.tryst.api.TrystException;
import dev.tryst.api.TrystOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Who we are and where we meet, for the commands between identities (pair, contacts, listen, connect, forward, send --to). */
final class PeerOptions {
    @Mixin
    Meeting meeting = new Meeting();

    @Option(names = "--identity", paramLabel = "PATH",
            description = "Be this identity (default: this machine's); its contacts are kept beside it.")
    Path identityFile;

    /** The identity (made on first use, said so) and its contacts, reaching peers with these flags, waiting {@code wait}. */
    Peers peers(Duration wait, PrintWriter err) throws TrystException {
        LocalIdentity me = IdentityFiles.load(identityFile, err);
        TrystOptions o = meeting.options(wait);
        return new Peers(o, me);
    }
}
