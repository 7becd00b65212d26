package dev.tryst.cli;

import dev.tryst.client.ControlClient;
import dev.tryst.client.EventClient;
import dev.tryst.session.SessionException;
import dev.tryst.identity.Identity;
import dev.tryst.tls.PinMismatchException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;

/** Loading this machine's identity and logging in with it, for the identity commands. */
final class IdentityFiles {
    private IdentityFiles() {}

    static Identity load(Path file, PrintWriter err) {
        Path f = file != null ? file : Identity.defaultFile();
        boolean existed = Files.exists(f);
        try {
            Identity id = Identity.loadOrCreate(f);
            if (!existed) {
                err.println("Created a new identity in " + f + " (readable only by you); 'tryst id' shows it.");
            }
            return id;
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UsageException("cannot use the identity in " + f + ": " + e.getMessage());
        }
    }

    static EventClient login(ServerOption option, Identity me) throws SessionException {
        ControlClient.Server server = option.resolve();
        try {
            return EventClient.login(server, me, InstantSource.system(), Meeting.CONNECT_TIMEOUT);
        } catch (ControlClient.ControlClosedException e) {
            throw new SessionException(SessionException.Kind.PROTOCOL, "the server at " + server.describe()
                    + " refused the login: " + (e.reason() != null ? e.reason() : e.getMessage())
                    + (dev.tryst.control.ControlWire.REASON_ALREADY_CONNECTED.equals(e.reason())
                        ? " (another tryst command of this identity is connected; try again when it ends)" : ""), e);
        } catch (PinMismatchException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "refused: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SessionException(SessionException.Kind.RELAY_UNREACHABLE, "cannot reach the tryst server at "
                    + server.describe() + " (" + e.getMessage() + "); is 'tryst server' running there?"
                    + " Point elsewhere with --server HOST or TRYST_SERVER", e);
        }
    }
}
