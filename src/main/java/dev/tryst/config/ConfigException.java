package dev.tryst.config;

/** A configuration file that could not be used; the message names the file and the line ({@code FILE:LINE: what}). */
public final class ConfigException extends Exception {
    private final String source;
    private final int line;

    public ConfigException(String source, int line, String message) {
        super(source + (line > 0 ? ":" + line : "") + ": " + message);
        this.source = source;
        this.line = line;
    }

    /** The file (or other source) the error is in. */
    public String source() {
        return source;
    }

    /** The 1-based line of the error; 0 if it concerns the whole file. */
    public int line() {
        return line;
    }
}
