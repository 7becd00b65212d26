package dev.tryst.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prints a shell completion script made from the command definitions, so it always matches the
 * commands and options of this build. Its output is a packaging interface (the .deb installs it):
 * keep it self-contained and free of anything that changes between runs.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a completion script for bash, zsh or fish, made from tryst's own command definitions:"
            + " subcommands, options (with their descriptions in fish) and file names where a path is expected."},
        footerHeading = "%nExamples:%n", footer = {
            "  tryst completion bash > ~/.local/share/bash-completion/completions/tryst",
            "  echo 'source <(tryst completion zsh)' >> ~/.zshrc",
            "  tryst completion fish > ~/.config/fish/completions/tryst.fish"})
final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh, fish }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash, zsh or fish.")
    Shell shell;

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        PrintWriter out = spec.commandLine().getOut();
        out.print(switch (shell) {
            // picocli's script is bash's, and in zsh it loads bashcompinit itself
            case bash, zsh -> AutoComplete.bash(root.getCommandName(), root);
            case fish -> FishCompletion.script(root.getCommandSpec());
        });
        out.flush();
        return ExitCode.OK.code;
    }
}
