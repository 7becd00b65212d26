package dev.tryst.cli;

import dev.tryst.code.CodeCompletion;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks for the code. On a terminal, a small line editor in the terminal's non-canonical mode (set
 * with {@code stty}, as a shell's line editor does): TAB completes the word being typed from the
 * code's word list ({@link CodeCompletion}), Backspace, Ctrl-U and Ctrl-W edit, Enter ends, Ctrl-D
 * on an empty line gives up, Ctrl-C interrupts as always (signals stay on, and the terminal's mode
 * is put back on the way out). When stdin is not a terminal, one line of it is the code, with no
 * prompt and nothing echoed, so {@code tryst receive < file} keeps the code off the command line.
 *
 * <p>Why not JLine: the prompt needs one line and one completer; JLine 3's reader and terminal jars
 * are 448 KB (3.26.3: 184 + 264 KB) for what is here a page of code, and on Linux its terminal
 * too either runs {@code stty} (the exec provider) or needs native access (JNI or FFM providers).
 */
final class CodePrompt {
    private static final int SHOWN = 60; // candidates listed at most; more are counted

    private CodePrompt() {}

    /** The code typed or read; a usage error when there is none. */
    static String ask(String prompt) {
        String typed;
        try {
            typed = Terminal.isTerminal(0) ? interactive(prompt) : line(new FileInputStream(FileDescriptor.in));
        } catch (IOException e) {
            throw new Main.UsageException("could not read the code: " + e.getMessage());
        }
        if (typed == null || typed.isBlank()) {
            throw new Main.UsageException(Terminal.isTerminal(0) ? "no code entered" : "give the code: tryst receive CODE");
        }
        return typed.strip();
    }

    /** One line of {@code in}, byte by byte so nothing after it is consumed; null at once at end of input. */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != -1; ) {
            if (c == '\n') {
                return b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    private static String interactive(String prompt) throws IOException {
        File tty = new File("/dev/tty");
        String saved = stty(tty, "-g");
        if (saved == null || stty(tty, "-icanon", "-echo", "min", "1", "time", "0") == null) {
            var console = System.console(); // no stty: the line as the terminal reads it, no completion
            if (console != null) {
                return console.readLine(prompt);
            }
            System.err.print(prompt);
            System.err.flush();
            return line(new FileInputStream(FileDescriptor.in));
        }
        Thread restore = new Thread(() -> stty(tty, saved.strip()), "tryst-restore-tty");
        Runtime.getRuntime().addShutdownHook(restore); // Ctrl-C while asking
        try (OutputStream out = new FileOutputStream(tty)) {
            return edit(new FileInputStream(FileDescriptor.in), out, prompt);
        } finally {
            stty(tty, saved.strip());
            try {
                Runtime.getRuntime().removeShutdownHook(restore);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /** The editor itself, on bytes: what the terminal sends, what it shows. Null on Ctrl-D at an empty line. */
    static String edit(InputStream in, OutputStream out, String prompt) throws IOException {
        StringBuilder line = new StringBuilder();
        write(out, prompt);
        while (true) {
            int c = in.read();
            switch (c) {
                case -1 -> {
                    write(out, "\n");
                    return line.isEmpty() ? null : line.toString();
                }
                case '\r', '\n' -> {
                    write(out, "\n");
                    return line.toString();
                }
                case 4 -> { // Ctrl-D
                    if (line.isEmpty()) {
                        write(out, "\n");
                        return null;
                    }
                }
                case 0x7f, '\b' -> {
                    if (!line.isEmpty()) {
                        line.setLength(line.length() - 1);
                        write(out, "\b \b");
                    }
                }
                case 0x15 -> replace(out, line, ""); // Ctrl-U
                case 0x17 -> { // Ctrl-W: the last word and the separators after it
                    int i = line.length();
                    while (i > 0 && isSeparator(line.charAt(i - 1))) {
                        i--;
                    }
                    while (i > 0 && !isSeparator(line.charAt(i - 1))) {
                        i--;
                    }
                    replace(out, line, line.substring(0, i));
                }
                case '\t' -> complete(out, line, prompt);
                case 0x1b -> skipEscape(in); // arrows and the like: not supported, not shown
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        line.append((char) c);
                        out.write(c);
                        out.flush();
                    }
                }
            }
        }
    }

    private static void complete(OutputStream out, StringBuilder line, String prompt) throws IOException {
        String before = line.toString();
        CodeCompletion done = CodeCompletion.complete(before);
        if (done.nothing(before)) {
            write(out, "\u0007");
            return;
        }
        replace(out, line, done.line());
        List<String> candidates = done.candidates();
        if (!candidates.isEmpty()) {
            StringBuilder list = new StringBuilder("\n");
            int column = 0;
            for (int i = 0; i < Math.min(SHOWN, candidates.size()); i++) {
                String w = candidates.get(i);
                if (column > 0 && column + 2 + w.length() > 78) {
                    list.append('\n');
                    column = 0;
                }
                list.append(column > 0 ? "  " : "").append(w);
                column += (column > 0 ? 2 : 0) + w.length();
            }
            if (candidates.size() > SHOWN) {
                list.append("\n(").append(candidates.size()).append(" words; type more letters)");
            }
            list.append('\n').append(prompt).append(line);
            write(out, list.toString());
        }
    }

    /** Shows {@code now} instead of what the line was: back over what differs, then the rest. */
    private static void replace(OutputStream out, StringBuilder line, String now) throws IOException {
        int same = 0;
        while (same < line.length() && same < now.length() && line.charAt(same) == now.charAt(same)) {
            same++;
        }
        write(out, "\b \b".repeat(line.length() - same) + now.substring(same));
        line.setLength(0);
        line.append(now);
    }

    private static boolean isSeparator(char c) {
        return c == '-' || c == ' ' || c == '_';
    }

    /** An escape sequence: ESC [ or ESC O, then parameters up to a final byte. */
    private static void skipEscape(InputStream in) throws IOException {
        int c = in.read();
        if (c == '[' || c == 'O') {
            do {
                c = in.read();
            } while (c != -1 && (c < 0x40 || c > 0x7e));
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Runs stty on the terminal; its output, or null when it failed. */
    private static String stty(File tty, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(tty).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
