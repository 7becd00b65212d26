package dev.tryst.admin;

import dev.tryst.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * How the server writes its structured log lines: {@code key=value} pairs (logfmt: a value with a
 * blank, a quote, an {@code =} or nothing in it is quoted, {@code "} and {@code \} escaped), or one
 * JSON object a line. Each line starts with {@code ts} (UTC, milliseconds) and {@code event}.
 * Numbers and booleans stay numbers and booleans in JSON; an address is written {@code HOST:PORT}
 * ({@code [v6]:PORT}).
 */
public enum LogFormat {
    KEY_VALUE, JSON;

    /** {@code "kv"} or {@code "json"}, as {@code --log-format} takes them. */
    public static LogFormat parse(String s) {
        return switch (s) {
            case "kv", "keyvalue", "key=value", "logfmt" -> KEY_VALUE;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException("log format must be kv or json, not '" + s + "'");
        };
    }

    public String line(Instant ts, String event, Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values go in pairs");
        }
        StringBuilder b = new StringBuilder(128);
        String time = ts.truncatedTo(ChronoUnit.MILLIS).toString();
        if (this == JSON) {
            b.append("{\"ts\":");
            json(b, time);
            b.append(",\"event\":");
            json(b, event);
            for (int i = 0; i < keyValues.length; i += 2) {
                b.append(',');
                json(b, String.valueOf(keyValues[i]));
                b.append(':');
                Object v = keyValues[i + 1];
                if (v instanceof Number || v instanceof Boolean) {
                    b.append(v);
                } else if (v == null) {
                    b.append("null");
                } else {
                    json(b, text(v));
                }
            }
            return b.append('}').toString();
        }
        b.append("ts=").append(time).append(" event=");
        kv(b, event);
        for (int i = 0; i < keyValues.length; i += 2) {
            b.append(' ').append(keyValues[i]).append('=');
            kv(b, keyValues[i + 1] == null ? "" : text(keyValues[i + 1]));
        }
        return b.toString();
    }

    private static String text(Object v) {
        return v instanceof InetSocketAddress a ? HostPort.format(a) : String.valueOf(v);
    }

    private static void kv(StringBuilder b, String v) {
        boolean plain = !v.isEmpty();
        for (int i = 0; i < v.length() && plain; i++) {
            char c = v.charAt(i);
            plain = c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
        }
        if (plain) {
            b.append(v);
            return;
        }
        b.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < ' ' || c == 0x7f) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    static void json(StringBuilder b, String v) {
        b.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < ' ' || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
