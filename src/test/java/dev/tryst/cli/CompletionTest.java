package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completion scripts, checked by the shells themselves. */
class CompletionTest {
    @TempDir
    Path dir;

    /** Sources the bash script in a real bash and asks its completion function for the words of {@code line}. */
    private List<String> bashComplete(Path script, String... words) throws Exception {
        StringBuilder w = new StringBuilder();
        for (String word : words) {
            w.append(" '").append(word).append('\'');
        }
        String program = "source " + script + "\n"
                + "COMP_WORDS=(" + w + ")\nCOMP_CWORD=" + (words.length - 1) + "\n"
                + "COMP_LINE=\"${COMP_WORDS[*]}\"\nCOMP_POINT=${#COMP_LINE}\n"
                + "_complete_tryst\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Path p = dir.resolve("complete.sh");
        Files.writeString(p, program);
        var r = ShellTools.run(dir, List.of("bash", "--norc", "--noprofile", p.toString()));
        assertEquals(0, r.exit(), r.out());
        return Arrays.stream(r.out().split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void bashScriptIsValidAndCompletesSubcommandsAndOptions() throws Exception {
        Path script = dir.resolve("tryst.bash");
        Files.writeString(script, ShellTools.tryst("completion", "bash"));
        var syntax = ShellTools.run(dir, List.of("bash", "-n", script.toString()));
        assertEquals(0, syntax.exit(), syntax.out());

        assertEquals(List.of("send", "server"), bashComplete(script, "tryst", "se").stream().sorted().toList());
        List<String> recv = bashComplete(script, "tryst", "receive", "--o");
        assertTrue(recv.contains("--out") && recv.contains("--overwrite"), recv.toString());
        assertEquals(List.of("bash", "fish", "zsh"), bashComplete(script, "tryst", "completion", "").stream().sorted().toList());
        assertTrue(bashComplete(script, "tryst", "contacts", "re").containsAll(List.of("remove", "rename")));
    }

    @Test
    void theSameOutputEveryTime() {
        assertEquals(ShellTools.tryst("completion", "bash"), ShellTools.tryst("completion", "bash"));
        assertEquals(ShellTools.tryst("completion", "fish"), ShellTools.tryst("completion", "fish"));
    }

    @Test
    void zshLoadsTheBashScriptThroughBashcompinit() throws Exception {
        String script = ShellTools.tryst("completion", "zsh");
        assertTrue(script.contains("bashcompinit"), "the bash script does not load bashcompinit in zsh");
        ShellTools.assumeInstalled("zsh", "zsh");
        Path p = dir.resolve("tryst.zsh");
        Files.writeString(p, script);
        var syntax = ShellTools.run(dir, List.of("zsh", "-n", p.toString()));
        assertEquals(0, syntax.exit(), syntax.out());
        // sourced in a real zsh (compinit needs a writable HOME for its dump file), it registers the function
        Path check = dir.resolve("check.zsh");
        Files.writeString(check, "autoload -U compinit && compinit -u -D\nsource " + p + "\n"
                + "print -r -- ${_comps[tryst]}\n");
        var r = ShellTools.run(dir, List.of("env", "HOME=" + dir, "zsh", "-f", check.toString()));
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("_bash_complete") || r.out().contains("_picocli_tryst"), r.out());
    }

    @Test
    void fishScriptHasEveryCommandWithDescriptionsAndFilesForPaths() throws Exception {
        String script = ShellTools.tryst("completion", "fish");
        assertTrue(script.contains("complete -c tryst -n '__fish_use_subcommand' -a 'send' -d 'Send files and folders, text,"), script);
        assertTrue(script.contains("complete -c tryst -n '__fish_seen_subcommand_from receive recv' -s o -l out -r -F"), script);
        assertTrue(script.contains("complete -c tryst -n '__fish_seen_subcommand_from send' -F"), script);
        assertTrue(script.contains("complete -c tryst -n '__fish_seen_subcommand_from contacts; and not __fish_seen_subcommand_from"), script);
        assertTrue(script.contains("-n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'"), script);
        for (String cmd : List.of("send", "receive", "server", "id", "msg", "inbox", "netcheck", "pair", "contacts", "listen",
                "connect", "forward", "completion", "man")) {
            assertTrue(script.contains("-a '" + cmd + "'"), cmd);
        }
        ShellTools.assumeInstalled("fish", "fish");
        Path p = dir.resolve("tryst.fish");
        Files.writeString(p, script);
        var syntax = ShellTools.run(dir, List.of("fish", "--no-execute", p.toString()));
        assertEquals(0, syntax.exit(), syntax.out());
        // and loaded in a real fish, it completes
        Path check = dir.resolve("check.fish");
        Files.writeString(check, "source " + p + "\ncomplete -C 'tryst se'\ncomplete -C 'tryst receive --ou'\n");
        var r = ShellTools.run(dir, List.of("env", "HOME=" + dir, "fish", "--no-config", check.toString()));
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("send\t") && r.out().contains("server\t"), r.out());
        assertTrue(r.out().contains("--out\tWhere received files go"), r.out());
    }
}
