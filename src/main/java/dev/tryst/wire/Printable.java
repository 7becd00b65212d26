package dev.tryst.wire;

/**
 * Text from the other side (a peer's reason, a server's, a sender's message) made safe to print
 * on a terminal or in a log: control characters (a newline that would fake a line of tryst's
 * own, terminal escapes) and bidirectional overrides are shown as {@code \\uXXXX}, and a
 * backslash is doubled, so nothing anyone sends can pose as tryst's output.
 */
public final class Printable {
    private Printable() {}

    public static String of(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            boolean bidi = (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F;
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || bidi || c == '\\') {
                b.append(c == '\\' ? "\\\\" : String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
