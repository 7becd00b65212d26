package dev.tryst.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prints the tryst(1) manual page in roff, made from the command definitions. Its output is a
 * packaging interface ({@code tryst man | gzip > /usr/share/man/man1/tryst.1.gz}): stable, no date.
 */
@Command(name = "man", mixinStandardHelpOptions = true,
        description = {"Print the manual page tryst(1), in roff, made from tryst's own command definitions."},
        footerHeading = "%nExamples:%n", footer = {"  tryst man | man -l -", "  tryst man | gzip > ~/.local/share/man/man1/tryst.1.gz"})
final class ManCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(ManPage.roff(spec.root(), new Main.Version().getVersion()[0].replaceFirst(" \\(Java.*", "")));
        out.flush();
        return ExitCode.OK.code;
    }
}
