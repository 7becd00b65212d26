package dev.tryst.cli;

import dev.tryst.api.PathInfo;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --json}: one JSON object per line on standard error instead of the sentences, for
 * scripts. Standard output keeps what was received. Events: {@code code}, {@code connected},
 * {@code offer} (files: accepted only with --yes, never asked), {@code fallback}, {@code done};
 * failures stay a "tryst: ..." line and the exit code.
 *
 * <pre>
 * {"event":"code","code":"42-pelican-walnut-glider"}
 * {"event":"connected","path":"direct","transport":"tcp","address":"198.18.0.12:40112"}
 * {"event":"connected","path":"relay","address":"relay.example:8080"}
 * {"event":"fallback","reason":"...","path":"relay","address":"..."}
 * {"event":"done","bytes":1073741824,"seconds":4.61}
 * </pre>
 */
final class JsonEvents {
    private final PrintWriter err;

    JsonEvents(PrintWriter err) {
        this.err = err;
    }

    void emit(String event, Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", event);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        StringBuilder b = new StringBuilder("{");
        for (var e : m.entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(e.getKey())).append(':');
            Object v = e.getValue();
            b.append(v instanceof Number || v instanceof Boolean ? v.toString() : quote(String.valueOf(v)));
        }
        err.println(b.append('}'));
        err.flush();
    }

    /** "connected" (or another event) with the path, after {@code more}. */
    void path(String event, PathInfo path, Object... more) {
        Object[] kv = path.direct()
                ? new Object[] {"path", "direct", "transport", path.transport(), "address", path.address()}
                : new Object[] {"path", "relay", "address", path.address()};
        Object[] all = new Object[more.length + kv.length];
        System.arraycopy(more, 0, all, 0, more.length);
        System.arraycopy(kv, 0, all, more.length, kv.length);
        emit(event, all);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
