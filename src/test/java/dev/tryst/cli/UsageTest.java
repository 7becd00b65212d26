package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What a user sees of the command line itself: the usage, the help of each command. */
class UsageTest {
    @Test
    void noArgumentsPrintsTheUsageToStderrAndExitsWithTheUsageCode() {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute();
        assertEquals(ExitCode.USAGE.code, code);
        assertEquals("", out.toString());
        assertTrue(err.toString().contains("Usage: tryst"), err.toString());
        assertTrue(err.toString().contains("send"), err.toString());
    }

    /** Every command's help at 80 columns: an example is a line of its own, never broken inside a command. */
    @Test
    void examplesAreWholeLinesAtEightyColumns() {
        CommandLine cli = Main.commandLine();
        cli.setUsageHelpWidth(80);
        List<CommandLine> all = new ArrayList<>();
        collect(cli, all);
        int examples = 0;
        for (CommandLine c : all) {
            String[] lines = c.getUsageMessage(CommandLine.Help.Ansi.OFF).split("\\R");
            boolean inExamples = false;
            for (String line : lines) {
                assertTrue(line.length() <= 80, c.getCommandName() + ": longer than 80 columns: " + line);
                if (line.contains("Example")) {
                    assertTrue(line.equals("Examples:") || line.equals("Example:"),
                            c.getCommandName() + ": an example inside running text: " + line);
                    inExamples = true;
                    continue;
                }
                if (inExamples) {
                    if (line.isBlank()) {
                        inExamples = false;
                        continue;
                    }
                    assertTrue(line.startsWith("  ") && !line.startsWith("   "), c.getCommandName() + ": " + line);
                    assertTrue(line.contains("tryst "), // a wrapped remainder would not name the command
                            c.getCommandName() + ": an example line that does not start a command: " + line);
                    examples++;
                }
            }
        }
        String send = cli.getSubcommands().get("send").getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (String example : List.of("  tryst send photos/ report.pdf", "  tryst send --text \"hello\"", "  echo data | tryst send")) {
            assertTrue(send.lines().anyMatch(example::equals), "no line '" + example + "' in:\n" + send);
        }
        assertTrue(examples >= 15, "examples seen: " + examples);
    }

    @Test
    void theServersStateDirSaysWhatIsKeptThere() {
        String option = String.join(" ", Main.commandLine().getSubcommands().get("server").getCommandSpec()
                .findOption("--state-dir").description());
        assertTrue(option.contains("events.db"), option);
        assertTrue(option.contains("server.p12"), option);
    }

    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        for (CommandLine sub : c.getSubcommands().values()) {
            if (!into.contains(sub)) {
                collect(sub, into);
            }
        }
    }
}
