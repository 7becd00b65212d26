package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tryst.api.TrystException;
import org.junit.jupiter.api.Test;

/** The library says what happened and what to do; the command line says it with its flags. */
class ExplainTest {
    @Test
    void eachReasonGetsItsFlagsOrTheLibrarysRemedy() {
        var conflict = new TrystException(TrystException.Reason.CONFLICT, "not overwriting existing a in /x; nothing was received",
                "allow replacing the existing files, or receive into another folder", null);
        assertEquals("not overwriting existing a in /x; nothing was received. Use --overwrite to replace them, or --out to"
                + " choose another folder", Main.explain(conflict));
        assertEquals(ExitCode.CONFLICT, Main.exitCode(conflict.reason()));

        var unreachable = new TrystException(TrystException.Reason.UNREACHABLE, "cannot reach the tryst server at h:2311 (refused)",
                "is 'tryst server' running there?", null);
        assertEquals("cannot reach the tryst server at h:2311 (refused). Point elsewhere with --server HOST (TRYST_SERVER)"
                + " or --relay HOST:PORT (TRYST_RELAY)", Main.explain(unreachable));

        var busy = new TrystException(TrystException.Reason.REFUSED, "the server refused the login: Already connected!",
                "another tryst command of this identity is connected; try again when it ends", null);
        assertEquals("the server refused the login: Already connected!; another tryst command of this identity is connected;"
                + " try again when it ends", Main.explain(busy));
        assertEquals(ExitCode.PEER_GONE, Main.exitCode(busy.reason()));
        assertEquals(ExitCode.USAGE, Main.exitCode(TrystException.Reason.INVALID_ARGUMENT));
    }
}
