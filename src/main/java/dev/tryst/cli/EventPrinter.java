package dev.tryst.cli;

import dev.tryst.api.TransferEvent;
import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Shows a transfer's events on standard error: sentences (or nothing with --quiet), JSON lines with
 * --json, and a progress bar while files move.
 */
final class EventPrinter implements Consumer<TransferEvent>, AutoCloseable {
    private final PrintWriter err;
    private final JsonEvents json;
    private final boolean quiet;
    private final String label;
    private final String doing;
    /** Text before the code: what is offered (sender), or null. */
    String offering;
    /** What the other side must add to its command to meet us (a server or relay that is not the default), or "". */
    String meetAt = "";
    /** The command the other side runs with the code. */
    String peerCommand;
    /** With --qr: what the QR code beside the code says (given the code), else null. */
    java.util.function.UnaryOperator<String> qr;
    /** Whether progress is drawn (files only). */
    boolean bars;
    private LazyProgress bar;

    /**
     * @param label "Sending" or "Receiving", the progress bar's
     * @param doing "sending" or "receiving", after "Connected, PATH; "
     */
    EventPrinter(PrintWriter err, JsonEvents json, boolean quiet, String label, String doing) {
        this.err = err;
        this.json = json;
        this.quiet = quiet;
        this.label = label;
        this.doing = doing;
    }

    @Override
    public synchronized void accept(TransferEvent event) { // Upgraded comes from the thread that moved the session
        switch (event) {
            case TransferEvent.CodeReady c -> {
                if (json != null) {
                    if (qr != null) {
                        json.emit("code", "code", c.code(), "uri", qr.apply(c.code())); // JSON lines: no drawing
                    } else {
                        json.emit("code", "code", c.code());
                    }
                } else if (quiet) {
                    say(c.code());
                    qr(c.code());
                } else {
                    if (offering != null) {
                        err.println("Offering " + offering + ".");
                    }
                    err.println("Code: " + c.code());
                    String cmd = peerCommand != null ? peerCommand : label.equals("Sending") ? "receive" : "netcheck";
                    say("On the other machine run:  tryst " + cmd + " " + meetAt + c.code());
                    qr(c.code());
                }
            }
            case TransferEvent.Notice n -> {
                if (!quiet) {
                    say(n.text());
                }
            }
            case TransferEvent.Connected c -> {
                if (json != null) {
                    json.path("connected", c.path());
                } else if (!quiet) {
                    say("Connected, " + c.path() + "; " + doing + ".");
                }
            }
            case TransferEvent.Progress p -> {
                if (bars) {
                    if (bar == null) {
                        bar = new LazyProgress(quiet, label, p.total());
                    }
                    bar.bytes(p.bytes());
                }
            }
            case TransferEvent.Upgraded u -> {
                if (json != null) {
                    json.path("upgraded", u.path());
                } else if (!quiet) {
                    endBar();
                    say("Moved to a direct path, " + u.path().toString().replaceFirst("^direct, ", "") + "; going on.");
                }
            }
            case TransferEvent.PathBroke b -> {
                endBar();
                if (!quiet) {
                    say("The direct path broke (" + b.reason() + "); going on through the relay.");
                }
            }
            case TransferEvent.FellBack f -> {
                if (json != null) {
                    json.path("fallback", f.path(), "reason", f.reason());
                } else if (!quiet) {
                    say("Connected, " + f.path() + "; resuming.");
                }
            }
        }
    }

    private void qr(String code) {
        if (qr != null) {
            String text = qr.apply(code);
            err.print(QrDisplay.render(text, QrDisplay.colorOnStderr()));
            say("(the QR code says " + text + ")");
        }
    }

    private void say(String line) {
        err.println(line);
        err.flush();
    }

    private void endBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        endBar();
    }
}
