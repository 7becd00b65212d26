package dev.tryst.cli;

import dev.tryst.api.TrystException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tryst} command line. */
@Command(name = "tryst", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Two machines meet through a server and talk end-to-end encrypted.",
        subcommands = {SendCommand.class, ReceiveCommand.class, ServerCommand.class, IdCommand.class, MsgCommand.class,
            InboxCommand.class, NetcheckCommand.class, PairCommand.class, ContactsCommand.class, ListenCommand.class,
            ConnectCommand.class, ForwardCommand.class, CompletionCommand.class, ManCommand.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n")
public final class Main implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
        System.exit(run(args));
    }

    public static int run(String... args) {
        if (args.length == 1 && args[0].equals("--train-aot")) {
            try {
                return AotTraining.run();
            } catch (Exception e) {
                e.printStackTrace();
                return ExitCode.FAILURE.code;
            }
        }
        CommandLine cli = commandLine();
        return cli.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        java.util.Map<String, String> codes = new java.util.LinkedHashMap<>();
        for (ExitCode c : ExitCode.values()) {
            codes.put(Integer.toString(c.code), c.meaning);
        }
        cli.getCommandSpec().usageMessage().exitCodeList(codes);
        cli.setExecutionExceptionHandler(Main::handle);
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("tryst: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return ExitCode.USAGE.code;
        });
        return cli;
    }

    /** Every failure becomes one line saying what happened and what to do, and a documented exit code. */
    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        ExitCode code = switch (e) {
            case UsageException u -> ExitCode.USAGE;
            case TrystException t -> exitCode(t.reason());
            case java.io.IOException io -> ExitCode.PEER_GONE;
            default -> ExitCode.FAILURE;
        };
        if (code == ExitCode.FAILURE) {
            err.println("tryst: unexpected error: " + e);
            e.printStackTrace(err);
        } else if (e instanceof TrystException t) {
            err.println("tryst: " + explain(t));
        } else {
            err.println("tryst: " + e.getMessage());
        }
        err.flush();
        return code.code;
    }

    static ExitCode exitCode(TrystException.Reason reason) {
        return switch (reason) {
            case INVALID_ARGUMENT -> ExitCode.USAGE;
            case UNREACHABLE -> ExitCode.UNREACHABLE;
            case WRONG_CODE -> ExitCode.WRONG_CODE;
            case PEER_GONE, REFUSED -> ExitCode.PEER_GONE;
            case TIMED_OUT -> ExitCode.TIMED_OUT;
            case DECLINED -> ExitCode.DECLINED;
            case VERIFICATION_FAILED -> ExitCode.VERIFICATION;
            case LOCAL_IO -> ExitCode.LOCAL_IO;
            case CONFLICT -> ExitCode.CONFLICT;
            case NO_SPACE -> ExitCode.NO_SPACE;
            case UNSAFE_OFFER -> ExitCode.UNSAFE_OFFER;
            case UNKNOWN_PEER -> ExitCode.UNKNOWN_PEER;
            case PEER_UNAVAILABLE -> ExitCode.PEER_UNAVAILABLE;
            case NOT_AUTHENTICATED -> ExitCode.NOT_AUTHENTICATED;
        };
    }

    /** The library's message, then its remedy in the command line's words: the flags that do it. */
    static String explain(TrystException t) {
        String advice = switch (t.reason()) {
            case UNREACHABLE -> t.getMessage().startsWith("refused:") ? null
                    : "Point elsewhere with --server HOST (TRYST_SERVER) or --relay HOST:PORT (TRYST_RELAY)";
            case CONFLICT -> t.getMessage().startsWith("a contact named") ? null
                    : "Use --overwrite to replace them, or --out to choose another folder";
            default -> null;
        };
        if (advice != null) {
            return t.getMessage() + ". " + advice;
        }
        return t.remedy().isEmpty() ? t.getMessage() : t.getMessage() + "; " + t.remedy();
    }

    /** No command: the usage goes to stderr (stdout may be a pipe expecting data) and it is a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE.code;
    }

    /** A mistake in what the user typed: exit code 2 and the message alone. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tryst " + (v == null ? "0.1.0-dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
