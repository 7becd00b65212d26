package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tryst(1), made from the command definitions, rendered by the real groff and man. */
class ManPageTest {
    @TempDir
    Path dir;

    @Test
    void hasEverySectionCommandAndExitCode() {
        String page = ShellTools.tryst("man");
        for (String section : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO")) {
            assertTrue(page.contains("\n.SH " + section + "\n"), section);
        }
        for (CommandSpecName c : commands()) {
            assertTrue(page.contains("\n.SS \"" + c.roff()), "no section for " + c.name());
        }
        for (ExitCode c : ExitCode.values()) {
            assertTrue(page.contains("\n.TP\n.B " + c.code + "\n"), "exit code " + c.code);
        }
        for (String env : List.of("TRYST_SERVER", "TRYST_RELAY", "XDG_CONFIG_HOME", "XDG_STATE_HOME")) {
            assertTrue(page.contains("\n.B " + env + "\n"), env);
        }
        for (String file : List.of("known_servers", "identity", "contacts", "events.db")) {
            assertTrue(page.contains(file), file);
        }
        assertTrue(page.chars().allMatch(ch -> ch < 0x7f), "not ASCII: groff would need preconv");
        assertEquals(page, ShellTools.tryst("man"), "the page differs between runs");
    }

    record CommandSpecName(String name) {
        String roff() {
            return ManPage.escape(name);
        }
    }

    private static List<CommandSpecName> commands() {
        return ManPage.commands(Main.commandLine().getCommandSpec()).stream().map(c -> new CommandSpecName(c.qualifiedName())).toList();
    }

    @Test
    void groffRendersItWithoutAWarning() throws Exception {
        ShellTools.assumeInstalled("groff", "groff-base");
        Path page = dir.resolve("tryst.1");
        Files.writeString(page, ShellTools.tryst("man"));
        var lint = ShellTools.run(dir, List.of("groff", "-ww", "-z", "-man", page.toString()));
        assertEquals(0, lint.exit(), lint.out());
        assertEquals("", lint.out(), "groff warned");
        var text = ShellTools.run(dir, List.of("groff", "-ww", "-man", "-Tutf8", "-P-c", page.toString()));
        assertEquals(0, text.exit(), text.out());
        String rendered = text.out().replaceAll(".\b", "");
        for (CommandSpecName c : commands()) {
            assertTrue(rendered.contains(c.name()), c.name() + " not in the rendered page");
        }
        for (ExitCode c : ExitCode.values()) {
            assertTrue(rendered.lines().anyMatch(l -> l.strip().startsWith(c.code + " ") || l.strip().equals(Integer.toString(c.code))),
                    "exit code " + c.code + " not in the rendered page");
        }
        assertTrue(rendered.contains("TRYST(1)"), rendered);
        if (ShellTools.installed("man")) {
            var man = ShellTools.run(dir, List.of("env", "MANWIDTH=80", "man", "-l", "-P", "cat", page.toString()));
            assertEquals(0, man.exit(), man.out());
            String shown = man.out().replaceAll(".\b", "");
            assertTrue(shown.contains("tryst receive [CODE...]"), shown);
        }
    }
}
