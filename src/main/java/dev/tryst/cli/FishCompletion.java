package dev.tryst.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A fish completion script from a picocli command tree (picocli generates only bash's): one
 * {@code complete} line per subcommand and per option, each under the condition that the words
 * before it name that subcommand; file names only where the command takes a path.
 */
final class FishCompletion {
    private FishCompletion() {}

    static String script(CommandSpec root) {
        String cmd = root.name();
        StringBuilder b = new StringBuilder();
        b.append("# fish completion for ").append(cmd).append(", generated from its command definitions by '")
                .append(cmd).append(" completion fish'.\n");
        b.append("# Install: ").append(cmd).append(" completion fish > ~/.config/fish/completions/").append(cmd).append(".fish\n");
        b.append("complete -c ").append(cmd).append(" -e\n");
        // nothing completes file names unless a command takes a path (below)
        b.append("complete -c ").append(cmd).append(" -f\n");
        walk(b, cmd, root, new ArrayList<>());
        return b.toString();
    }

    /** {@code path}: the subcommand names (each with its aliases) leading from the root to {@code spec}. */
    private static void walk(StringBuilder b, String cmd, CommandSpec spec, List<List<String>> path) {
        String here = condition(path, spec);
        for (var e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!e.getKey().equals(sub.name()) || sub.usageMessage().hidden()) {
                continue; // an alias: the command is listed under its name
            }
            b.append("complete -c ").append(cmd).append(" -n ").append(quote(here)).append(" -a ").append(quote(sub.name()))
                    .append(" -d ").append(quote(summary(sub.usageMessage().description()))).append('\n');
        }
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            b.append("complete -c ").append(cmd).append(" -n ").append(quote(here));
            for (String name : o.names()) {
                if (name.startsWith("--")) {
                    b.append(" -l ").append(name.substring(2));
                } else if (name.length() == 2) {
                    b.append(" -s ").append(name.substring(1));
                } else {
                    b.append(" -o ").append(name.substring(1));
                }
            }
            if (o.arity().max() > 0) {
                List<String> candidates = candidates(o);
                if (!candidates.isEmpty()) {
                    b.append(" -x -a ").append(quote(String.join(" ", candidates)));
                } else if (isPath(o)) {
                    b.append(" -r -F");
                } else {
                    b.append(" -x");
                }
            }
            b.append(" -d ").append(quote(summary(o.description(), o))).append('\n');
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.hidden()) {
                continue;
            }
            List<String> candidates = candidates(p);
            if (!candidates.isEmpty()) {
                b.append("complete -c ").append(cmd).append(" -n ").append(quote(here)).append(" -a ")
                        .append(quote(String.join(" ", candidates))).append('\n');
            } else if (isPath(p)) {
                b.append("complete -c ").append(cmd).append(" -n ").append(quote(here)).append(" -F\n");
            }
        }
        for (var e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!e.getKey().equals(sub.name()) || sub.usageMessage().hidden()) {
                continue;
            }
            List<List<String>> deeper = new ArrayList<>(path);
            List<String> names = new ArrayList<>();
            names.add(sub.name());
            names.addAll(List.of(sub.aliases()));
            deeper.add(names);
            walk(b, cmd, sub, deeper);
        }
    }

    /** The fish condition that holds when the command line is at {@code spec} and no further subcommand follows. */
    private static String condition(List<List<String>> path, CommandSpec spec) {
        List<String> parts = new ArrayList<>();
        if (path.isEmpty()) {
            parts.add("__fish_use_subcommand");
        } else {
            for (List<String> names : path) {
                parts.add("__fish_seen_subcommand_from " + String.join(" ", names));
            }
            List<String> below = new ArrayList<>();
            for (var e : spec.subcommands().entrySet()) {
                below.add(e.getKey());
            }
            if (!below.isEmpty()) {
                parts.add("not __fish_seen_subcommand_from " + String.join(" ", below));
            }
        }
        return String.join("; and ", parts);
    }

    private static boolean isPath(ArgSpec a) {
        Class<?> t = a.auxiliaryTypes().length > 0 && a.isMultiValue() ? a.auxiliaryTypes()[0] : a.type();
        return Path.class.isAssignableFrom(t) || java.io.File.class.isAssignableFrom(t);
    }

    private static List<String> candidates(ArgSpec a) {
        List<String> c = new ArrayList<>();
        if (a.completionCandidates() != null) {
            a.completionCandidates().forEach(c::add);
        }
        return c;
    }

    /** The first sentence of a description, with picocli's variables and format escapes resolved. */
    static String summary(String[] description) {
        return summary(description, null);
    }

    private static String summary(String[] description, OptionSpec o) {
        String text = String.join(" ", description).replace("%n", " ").replace("%%", "%");
        if (o != null) {
            text = text.replace("${DEFAULT-VALUE}", String.valueOf(o.defaultValue()));
        }
        text = text.replaceAll("\\s+", " ").strip();
        int end = firstSentenceEnd(text);
        return end > 0 ? text.substring(0, end) : text;
    }

    private static int firstSentenceEnd(String text) {
        int depth = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth = Math.max(0, depth - 1);
            } else if ((c == '.' || c == ';' || c == ':') && depth == 0 && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) {
                return i;
            }
        }
        return -1;
    }

    /** Single-quoted for fish: only backslash and the quote itself are special inside. */
    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
