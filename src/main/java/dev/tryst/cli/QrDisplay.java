package dev.tryst.cli;

import io.nayuki.qrcodegen.QrCode;

/**
 * A QR code drawn with Unicode half blocks, two modules per character cell, with the quiet zone of
 * 4 modules the standard asks for. On a terminal it is drawn black on white explicitly (ANSI
 * colours), so it reads the same on dark and light themes; without colour (not a terminal,
 * {@code NO_COLOR}, {@code TERM=dumb}) dark modules are blocks in the text colour: right on a light
 * background, inverted on a dark one (which many phone scanners read too).
 */
final class QrDisplay {
    static final int QUIET_ZONE = 4;
    private static final String BLACK_ON_WHITE = "\u001b[30;107m";
    private static final String RESET = "\u001b[0m";

    private QrDisplay() {}

    static QrCode encode(String text) {
        return QrCode.encodeText(text, QrCode.Ecc.MEDIUM);
    }

    /** The lines of the drawing, each ending in a newline. */
    static String render(String text, boolean color) {
        return render(encode(text), color);
    }

    static String render(QrCode qr, boolean color) {
        int size = qr.size + 2 * QUIET_ZONE;
        StringBuilder b = new StringBuilder();
        for (int y = 0; y < size; y += 2) {
            if (color) {
                b.append(BLACK_ON_WHITE);
            }
            for (int x = 0; x < size; x++) {
                boolean top = dark(qr, x, y);
                boolean bottom = y + 1 < size && dark(qr, x, y + 1);
                b.append(top ? bottom ? '\u2588' : '\u2580' : bottom ? '\u2584' : ' ');
            }
            if (color) {
                b.append(RESET);
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Whether the module at (x, y) of the drawing, quiet zone included, is dark. */
    private static boolean dark(QrCode qr, int x, int y) {
        return qr.getModule(x - QUIET_ZONE, y - QUIET_ZONE); // false outside the symbol
    }

    /** Colour when stderr is a terminal that has not asked for none. */
    static boolean colorOnStderr() {
        String noColor = System.getenv("NO_COLOR");
        return Terminal.isTerminal(2) && (noColor == null || noColor.isEmpty()) && !"dumb".equals(System.getenv("TERM"));
    }
}
