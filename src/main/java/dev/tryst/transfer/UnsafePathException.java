package dev.tryst.transfer;

import java.io.IOException;

/**
 * A path offered by the peer, or found in the target directory, that we refuse to write to. The
 * message names the path in a printable form: it came from a possibly hostile sender and ends up
 * on the user's terminal, so control and formatting characters (which could rewrite or reorder
 * what the user sees) are shown as '?', and a very long path is cut short.
 */
public final class UnsafePathException extends IOException {
    /** Longest part of the offered path (in chars) that a message repeats. */
    static final int MAX_SHOWN_CHARS = 512;

    private final String shownPath;

    public UnsafePathException(String offeredPath, String reason) {
        this(offeredPath, reason, null);
    }

    public UnsafePathException(String offeredPath, String reason, Throwable cause) {
        super("unsafe path \"" + printable(offeredPath) + "\": " + reason, cause);
        this.shownPath = printable(offeredPath);
    }

    /** The offending path as shown in the message (printable, possibly cut short). */
    public String shownPath() {
        return shownPath;
    }

    /**
     * The printable form of a peer-supplied path: C0/C1 controls, DEL, Unicode format characters
     * (bidi overrides and the like), line/paragraph separators and unpaired surrogates become '?';
     * anything beyond {@value #MAX_SHOWN_CHARS} chars is replaced by a count.
     */
    public static String printable(String path) {
        if (path == null) {
            return "(null)";
        }
        int end = Math.min(path.length(), MAX_SHOWN_CHARS);
        if (end < path.length() && Character.isHighSurrogate(path.charAt(end - 1))) {
            end--; // do not split a pair; the lone half would be shown as '?' anyway
        }
        StringBuilder out = new StringBuilder(end + 32);
        for (int i = 0; i < end; ) {
            int cp = path.codePointAt(i);
            i += Character.charCount(cp);
            out.appendCodePoint(isShowable(cp) ? cp : '?');
        }
        if (end < path.length()) {
            out.append("…(").append(path.length() - end).append(" more chars)");
        }
        return out.toString();
    }

    private static boolean isShowable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR, Character.UNASSIGNED, Character.PRIVATE_USE -> false;
            default -> true;
        };
    }
}
