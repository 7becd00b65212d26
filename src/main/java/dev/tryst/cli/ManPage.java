package dev.tryst.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The tryst(1) manual page in roff (man macros), straight from the picocli command tree: every
 * subcommand with its options, the exit codes from {@link ExitCode}, the environment and files.
 * Roff directly rather than picocli-codegen's AsciiDoc, which needs asciidoctor to become a page.
 * The output is ASCII: other characters become groff's {@code \[uXXXX]}, so no preprocessor is needed.
 */
final class ManPage {
    private ManPage() {}

    /** The variables tryst reads, and what for. */
    static final String[][] ENVIRONMENT = {
        {ServerOption.ENV, "The rendezvous server, HOST[:PORT][#FINGERPRINT], when --server is not given (default: localhost, port 2311)."},
        {RelayOption.ENV, "A relay, HOST:PORT, to meet at without a rendezvous, when --relay is not given."},
        {ClientConfig.ENV, "The client's config file, instead of ~/.config/tryst/config.toml (it must exist)."},
        {"XDG_CONFIG_HOME", "When set to an absolute path, the configuration folder is $XDG_CONFIG_HOME/tryst instead of ~/.config/tryst."},
        {"XDG_STATE_HOME", "When set to an absolute path, the state folder is $XDG_STATE_HOME/tryst instead of ~/.local/state/tryst."},
        {"COLUMNS", "The width of the progress bar when the terminal does not say."},
        {"HOSTNAME", "The name 'tryst pair' suggests to the other side when --as is not given."},
    };

    static final String[][] FILES = {
        {"~/.config/tryst/config.toml", "The client's defaults (TOML): server = \"HOST[:PORT][#FINGERPRINT]\", relay = \"HOST:PORT\","
            + " direct = true|false, plain-control = true|false; a flag or its variable wins. An unknown key stops the command."},
        {"~/.config/tryst/known_servers", "The certificates of the servers met so far, trusted on first use; another certificate is refused later."},
        {"~/.config/tryst/identity", "This machine's identity, an Ed25519 key (mode 0600), made at first use."},
        {"~/.config/tryst/contacts", "The contacts, identities known by name (mode 0600)."},
        {"~/.local/state/tryst/", "The state folder: a client's inbox marks (inbox/), and a server's certificate (server.p12 and"
            + " its password file) and event database (events.db, SQLite) unless --state-dir says otherwise."},
    };

    static String roff(CommandSpec root, String version) {
        StringBuilder b = new StringBuilder();
        String name = root.name();
        b.append(".\\\" The manual page of ").append(name).append(", generated from its command definitions by '")
                .append(name).append(" man'.\n");
        b.append(".TH ").append(name.toUpperCase(Locale.ROOT)).append(" 1 \"\" ").append(quoted(version))
                .append(" \"User Commands\"\n");
        b.append(".SH NAME\n").append(name).append(" \\- ").append(text(lowerFirst(join(root.usageMessage().description())))).append('\n');
        b.append(".SH SYNOPSIS\n");
        b.append(".B ").append(name).append("\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n.br\n");
        b.append(".B ").append(name).append("\n\\-\\-help | \\-\\-version\n");
        b.append(".SH DESCRIPTION\n").append(text(join(root.usageMessage().description()))).append('\n');
        b.append(".PP\n").append(text("The sender runs '" + name + " send' and gets a code phrase such as 42-pelican-walnut-glider:"
                + " a number that names the meeting place, then secret words. The receiver runs '" + name + " receive' with it."
                + " The words never leave the machine except through SPAKE2, so a wrong guess burns the code, and nobody"
                + " in between, the server included, can read what is sent. Both sides go direct over TCP when the network"
                + " allows, else through the server's blind relay. Identities paired once with a code reach each other by"
                + " name: pipes, TCP ports, files, and sealed messages kept by the server until read.")).append('\n');
        b.append(".PP\nEach command's own help is shown by\n.BI \"").append(name).append(" \" COMMAND \" \\-\\-help\"\\fR.\n");
        b.append(".SH COMMANDS\n");
        for (CommandSpec sub : commands(root)) {
            command(b, sub);
        }
        options(b, ".SH OPTIONS\n", root.options());
        b.append(".SH EXIT STATUS\n");
        for (ExitCode c : ExitCode.values()) {
            b.append(".TP\n.B ").append(c.code).append('\n').append(text(upperFirst(c.meaning))).append(".\n");
        }
        b.append(".TP\n.B 130\nInterrupted (Ctrl\\-C); what a file transfer verified is kept: run both commands again to resume.\n");
        b.append(".SH ENVIRONMENT\n");
        for (String[] e : ENVIRONMENT) {
            b.append(".TP\n.B ").append(e[0]).append('\n').append(text(e[1])).append('\n');
        }
        b.append(".SH FILES\n");
        for (String[] f : FILES) {
            b.append(".TP\n.I ").append(text(f[0])).append('\n').append(text(f[1])).append('\n');
        }
        b.append(".SH EXAMPLES\n.nf\n");
        for (String line : List.of(name + " server", name + " send photos/ report.pdf",
                name + " receive 42-pelican-walnut-glider --out ~/Downloads", name + " send --qr --text \"hello\"",
                "tar c photos | " + name + " send", name + " receive          # asks for the code; TAB completes its words")) {
            b.append(escapeLine(line)).append('\n');
        }
        b.append(".fi\n");
        b.append(".SH SEE ALSO\n.BR ssh (1),\n.BR ssh_config (5)\n(ProxyCommand, for\n.BR \"").append(name)
                .append(" connect\" ),\n.BR bash (1),\n.BR fish (1),\n.BR zsh (1)\n(for\n.BR \"").append(name)
                .append(" completion\" ).\nThe protocol and the design: docs/PROTOCOL.md and docs/ARCHITECTURE.md in the source.\n");
        return b.toString();
    }

    /** Every command below {@code root}, depth first, each once (aliases and hidden ones left out). */
    static List<CommandSpec> commands(CommandSpec root) {
        List<CommandSpec> all = new ArrayList<>();
        for (var e : root.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!e.getKey().equals(sub.name()) || sub.usageMessage().hidden()) {
                continue;
            }
            all.add(sub);
            all.addAll(commands(sub));
        }
        return all;
    }

    private static void command(StringBuilder b, CommandSpec c) {
        b.append(".SS \"").append(escape(c.qualifiedName()));
        for (PositionalParamSpec p : c.positionalParameters()) {
            if (p.hidden()) {
                continue;
            }
            String label = p.paramLabel() + (p.isMultiValue() ? "..." : "");
            b.append(' ').append(escape(p.arity().min() == 0 ? "[" + label + "]" : label));
        }
        b.append("\"\n");
        if (c.aliases().length > 0) {
            b.append("(also: ").append(escape(String.join(", ", c.aliases()))).append(")\n.br\n");
        }
        b.append(text(join(c.usageMessage().description()))).append('\n');
        for (PositionalParamSpec p : c.positionalParameters()) {
            if (p.hidden()) {
                continue;
            }
            b.append(".TP\n.I ").append(escape(p.paramLabel())).append('\n').append(text(description(p))).append('\n');
        }
        List<OptionSpec> own = new ArrayList<>();
        for (OptionSpec o : c.options()) {
            if (!o.hidden() && !o.usageHelp() && !o.versionHelp()) {
                own.add(o);
            }
        }
        options(b, "", own);
        String[] footer = c.usageMessage().footer();
        if (footer.length > 0) {
            b.append(".PP\n").append(c.usageMessage().footerHeading().contains("Examples") ? "Examples:" : "Example:")
                    .append("\n.RS\n.nf\n");
            for (String line : footer) {
                b.append(escapeLine(format(line).strip())).append('\n');
            }
            b.append(".fi\n.RE\n");
        }
    }

    private static void options(StringBuilder b, String heading, List<OptionSpec> options) {
        if (options.isEmpty()) {
            return;
        }
        b.append(heading);
        for (OptionSpec o : options) {
            if (o.hidden()) {
                continue;
            }
            b.append(".TP\n");
            List<String> names = new ArrayList<>();
            for (String n : o.names()) {
                names.add("\\fB" + escape(n) + "\\fR");
            }
            b.append(String.join(", ", names));
            if (o.arity().max() > 0) {
                b.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
            }
            b.append('\n').append(text(description(o))).append('\n');
        }
    }

    private static String description(ArgSpec a) {
        String d = join(a.description());
        String def = a.defaultValue() == null ? "" : a.defaultValue();
        return d.replace("${DEFAULT-VALUE}", def);
    }

    private static String join(String[] lines) {
        List<String> parts = new ArrayList<>();
        for (String l : lines) {
            parts.add(format(l));
        }
        return String.join(" ", parts).replaceAll("\\s+", " ").strip();
    }

    /** picocli's descriptions are format strings. */
    private static String format(String s) {
        return s.replace("%n", "\n").replace("%%", "%");
    }

    /** Running text: escaped, and never a line that roff would read as a request. */
    static String text(String s) {
        return escapeLine(s.strip());
    }

    private static String escapeLine(String s) {
        String e = escape(s);
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }

    /** Backslashes, hyphens (so options stay ASCII minus signs) and everything beyond ASCII. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp == '\\') {
                b.append("\\e");
            } else if (cp == '-') {
                b.append("\\-");
            } else if (cp == '\n') {
                b.append(' ');
            } else if (cp < 0x20 || cp >= 0x7f) {
                b.append(String.format(Locale.ROOT, "\\[u%04X]", cp));
            } else {
                b.append((char) cp);
            }
        });
        return b.toString();
    }

    private static String quoted(String s) {
        return "\"" + escape(s).replace("\"", "\\(dq") + "\"";
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1).replaceFirst("\\.$", "");
    }

    private static String upperFirst(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
