package dev.tryst.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A configuration file in a strict subset of TOML, parsed to typed values that remember their line,
 * so that whoever reads a value can say where a bad one was ({@link Value#error}).
 *
 * <p>The subset, which every TOML parser reads the same way:
 * <ul>
 *   <li>{@code # comments}, to the end of a line (outside strings), and blank lines;</li>
 *   <li>{@code key = value}, one per line; a bare key of letters, digits, {@code -} and {@code _};
 *       a key given twice in a table is an error;</li>
 *   <li>{@code [table]} headers (a bare name; each at most once): keys before the first header are
 *       in the root table, named {@code ""};</li>
 *   <li>values: a string ({@code "basic"} with the escapes backslash escapes {@code " \ b t n f r e},
 *       {@code u} with 4 hex digits and {@code U} with 8, or {@code 'literal'}), an integer (decimal, an optional sign, {@code _} between
 *       digits), {@code true} or {@code false}, or an array of strings ({@code ["a", 'b']}, which may
 *       span lines, with a trailing comma and comments).</li>
 * </ul>
 * Anything else TOML has (floats, dates, inline tables, dotted keys, multi-line strings, arrays of
 * other types) is refused with the line it is on, rather than read in some way the user did not mean.
 * The file must be UTF-8.
 */
public final class ConfigFile {
    /** What a value is. */
    public enum Type { STRING, INTEGER, BOOLEAN, STRINGS }

    /**
     * One value and where it was: {@code key} in {@code table}, on {@code line} of {@code source}.
     * The {@code as*} methods return it as the type asked for, or throw a {@link ConfigException} naming the line.
     */
    public record Value(String source, String table, String key, int line, Type type, Object raw) {
        public String asString() throws ConfigException {
            return (String) expect(Type.STRING);
        }

        public long asInteger() throws ConfigException {
            return (Long) expect(Type.INTEGER);
        }

        /** The integer, which must be within {@code min..max}. */
        public int asInt(int min, int max) throws ConfigException {
            long v = asInteger();
            if (v < min || v > max) {
                throw error("must be " + min + " to " + max + ", not " + v);
            }
            return (int) v;
        }

        public boolean asBoolean() throws ConfigException {
            return (Boolean) expect(Type.BOOLEAN);
        }

        @SuppressWarnings("unchecked")
        public List<String> asStrings() throws ConfigException {
            return (List<String>) expect(Type.STRINGS);
        }

        private Object expect(Type t) throws ConfigException {
            if (type != t) {
                throw error("must be " + describe(t) + ", not " + describe(type));
            }
            return raw;
        }

        /** An error about this value: {@code SOURCE:LINE: key 'KEY' MESSAGE}. */
        public ConfigException error(String message) {
            return new ConfigException(source, line, "'" + key + "' " + message);
        }

        private static String describe(Type t) {
            return switch (t) {
                case STRING -> "a string (in quotes)";
                case INTEGER -> "an integer";
                case BOOLEAN -> "true or false";
                case STRINGS -> "an array of strings";
            };
        }
    }

    private final String source;
    private final Map<String, Map<String, Value>> tables;
    private final Map<String, Integer> tableLines;

    private ConfigFile(String source, Map<String, Map<String, Value>> tables, Map<String, Integer> tableLines) {
        this.source = source;
        this.tables = tables;
        this.tableLines = tableLines;
    }

    /** Reads and parses {@code file} (UTF-8). */
    public static ConfigFile read(Path file) throws ConfigException, IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(file.toString(), 0, "is not UTF-8 text");
        }
        return parse(text, file.toString());
    }

    /** Parses {@code text}; {@code source} names it in errors (a file name). */
    public static ConfigFile parse(String text, String source) throws ConfigException {
        return new Parser(text, source).parse();
    }

    /** Where this was read from. */
    public String source() {
        return source;
    }

    /** The tables' names, in the order they appeared; the root table ({@code ""}) first, if it has keys. */
    public Set<String> tables() {
        return Collections.unmodifiableSet(tables.keySet());
    }

    /** The values of {@code table} ({@code ""}: the root), in file order; empty if there is no such table. */
    public Map<String, Value> table(String name) {
        return Collections.unmodifiableMap(tables.getOrDefault(name, Map.of()));
    }

    /** The line of {@code [name]}'s header, 0 for the root or a table not in the file. */
    public int tableLine(String name) {
        return tableLines.getOrDefault(name, 0);
    }

    /**
     * Checks that every key of {@code table} is one of {@code known}; else an error naming the first
     * unknown key and its line (and a close known key, if one looks like it).
     */
    public void requireKnown(String table, Set<String> known) throws ConfigException {
        for (Value v : table(table).values()) {
            if (!known.contains(v.key())) {
                String near = known.stream().filter(k -> close(k, v.key())).findFirst().orElse(null);
                throw new ConfigException(source, v.line(), "unknown key '" + v.key() + "'"
                        + (table.isEmpty() ? "" : " in [" + table + "]") + (near != null ? " (did you mean '" + near + "'?)" : ""));
            }
        }
    }

    private static boolean close(String a, String b) {
        if (a.replace('_', '-').equalsIgnoreCase(b.replace('_', '-'))) {
            return true;
        }
        int[] prev = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int[] cur = new int[b.length() + 1];
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            prev = cur;
        }
        return prev[b.length()] <= 2;
    }

    private static final class Parser {
        private final String text;
        private final String source;
        private int pos;
        private int line = 1;
        private final Map<String, Map<String, Value>> tables = new LinkedHashMap<>();
        private final Map<String, Integer> tableLines = new LinkedHashMap<>();

        Parser(String text, String source) {
            this.text = text.startsWith("\uFEFF") ? text.substring(1) : text;
            this.source = source;
        }

        ConfigFile parse() throws ConfigException {
            String table = "";
            while (true) {
                skipBlank();
                if (pos >= text.length()) {
                    break;
                }
                char c = text.charAt(pos);
                if (c == '\n') {
                    pos++;
                    line++;
                    continue;
                }
                if (c == '#') {
                    skipComment();
                    continue;
                }
                if (c == '[') {
                    int headerLine = line;
                    pos++;
                    if (peek() == '[') {
                        throw error("arrays of tables ([[...]]) are not supported");
                    }
                    skipBlank();
                    String name = bareKey("a table name");
                    skipBlank();
                    if (peek() != ']') {
                        throw error(peek() == '.' ? "dotted table names are not supported" : "expected ']' after the table name");
                    }
                    pos++;
                    if (tableLines.containsKey(name)) {
                        throw error("table [" + name + "] given twice (first on line " + tableLines.get(name) + ")");
                    }
                    endOfLine();
                    tableLines.put(name, headerLine);
                    tables.computeIfAbsent(name, k -> new LinkedHashMap<>());
                    table = name;
                    continue;
                }
                int keyLine = line;
                String key = bareKey("a key");
                skipBlank();
                if (peek() == '.') {
                    throw error("dotted keys are not supported: write the key in its [table]");
                }
                if (peek() != '=') {
                    throw error("expected '=' after '" + key + "'");
                }
                pos++;
                skipBlank();
                Value v = value(table, key, keyLine);
                endOfLine();
                Map<String, Value> t = tables.computeIfAbsent(table, k -> new LinkedHashMap<>());
                Value before = t.putIfAbsent(key, v);
                if (before != null) {
                    throw new ConfigException(source, keyLine, "'" + key + "' given twice (first on line " + before.line() + ")");
                }
            }
            // the root first, as the file reads
            Map<String, Map<String, Value>> ordered = new LinkedHashMap<>();
            if (tables.containsKey("")) {
                ordered.put("", tables.get(""));
            }
            tables.forEach(ordered::putIfAbsent);
            return new ConfigFile(source, ordered, tableLines);
        }

        private Value value(String table, String key, int keyLine) throws ConfigException {
            char c = peek();
            Object raw;
            Type type;
            if (c == '"' || c == '\'') {
                raw = string();
                type = Type.STRING;
            } else if (c == '[') {
                raw = strings();
                type = Type.STRINGS;
            } else if (c == 't' || c == 'f') {
                String w = word();
                if (!w.equals("true") && !w.equals("false")) {
                    throw error("'" + w + "' is not a value: a string needs quotes");
                }
                raw = w.equals("true");
                type = Type.BOOLEAN;
            } else if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
                raw = integer();
                type = Type.INTEGER;
            } else if (c == '{') {
                throw error("inline tables are not supported");
            } else if (c == '\n' || c == '#' || c == 0) {
                throw error("'" + key + "' has no value");
            } else {
                throw error("'" + word() + "' is not a value: a string needs quotes");
            }
            return new Value(source, table, key, keyLine, type, raw);
        }

        private long integer() throws ConfigException {
            String w = word();
            if (!w.matches("[+-]?(0|[1-9](_?[0-9])*)")) {
                if (w.matches("[+-]?[0-9_]+([.eE].*)?|[+-]?(inf|nan)") && (w.contains(".") || w.contains("e") || w.contains("E")
                        || w.endsWith("inf") || w.endsWith("nan"))) {
                    throw error("'" + w + "': floats are not supported");
                }
                if (w.matches("[0-9]{4}-.*")) {
                    throw error("'" + w + "': dates are not supported (a duration or date goes in quotes)");
                }
                throw error("'" + w + "' is not an integer" + (w.matches("[+-]?[0-9_]+[a-zA-Z]+") ? " (a duration goes in quotes: \"" + w + "\")" : ""));
            }
            try {
                return Long.parseLong(w.replace("_", ""));
            } catch (NumberFormatException e) {
                throw error("'" + w + "' is too large");
            }
        }

        /** The characters up to the next blank, comma, bracket, comment or end of line. */
        private String word() {
            int start = pos;
            while (pos < text.length() && " \t\r\n,]#".indexOf(text.charAt(pos)) < 0) {
                pos++;
            }
            return text.substring(start, pos);
        }

        private List<String> strings() throws ConfigException {
            pos++; // [
            List<String> out = new ArrayList<>();
            boolean needComma = false;
            while (true) {
                skipBlank();
                char c = peek();
                if (c == 0) {
                    throw error("the array is not closed with ']'");
                } else if (c == '\n') {
                    pos++;
                    line++;
                } else if (c == '#') {
                    skipComment();
                } else if (c == ']') {
                    pos++;
                    return List.copyOf(out);
                } else if (c == ',') {
                    if (!needComma) {
                        throw error("unexpected ',' in the array");
                    }
                    pos++;
                    needComma = false;
                } else if (needComma) {
                    throw error("expected ',' or ']' in the array");
                } else if (c == '"' || c == '\'') {
                    out.add(string());
                    needComma = true;
                } else {
                    throw error("an array holds only strings (in quotes) here");
                }
            }
        }

        private String string() throws ConfigException {
            char q = text.charAt(pos);
            if (text.startsWith(String.valueOf(q).repeat(3), pos)) {
                throw error("multi-line strings are not supported");
            }
            pos++;
            StringBuilder b = new StringBuilder();
            while (true) {
                if (pos >= text.length() || text.charAt(pos) == '\n') {
                    throw error("the string is not closed with " + q);
                }
                char c = text.charAt(pos++);
                if (c == q) {
                    return b.toString();
                }
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw error("a control character in a string must be escaped");
                }
                if (c == '\\' && q == '"') {
                    if (pos >= text.length()) {
                        throw error("the string is not closed with \"");
                    }
                    char e = text.charAt(pos++);
                    switch (e) {
                        case '"' -> b.append('"');
                        case '\\' -> b.append('\\');
                        case 'b' -> b.append('\b');
                        case 't' -> b.append('\t');
                        case 'n' -> b.append('\n');
                        case 'f' -> b.append('\f');
                        case 'r' -> b.append('\r');
                        case 'e' -> b.append('\u001b');
                        case 'u', 'U' -> {
                            int n = e == 'u' ? 4 : 8;
                            if (pos + n > text.length() || !text.substring(pos, pos + n).matches("[0-9a-fA-F]+")) {
                                throw error("\\" + e + " needs " + n + " hex digits");
                            }
                            int cp = Integer.parseUnsignedInt(text.substring(pos, pos + n), 16);
                            if (!Character.isValidCodePoint(cp) || (cp >= 0xD800 && cp <= 0xDFFF)) {
                                throw error("\\" + e + text.substring(pos, pos + n) + " is not a Unicode scalar value");
                            }
                            b.appendCodePoint(cp);
                            pos += n;
                        }
                        default -> throw error("unknown escape \\" + e + " (write \\\\ for a backslash, or use 'single quotes')");
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private String bareKey(String what) throws ConfigException {
            int start = pos;
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                    pos++;
                } else {
                    break;
                }
            }
            if (pos == start) {
                char c = peek();
                throw error(c == '"' || c == '\'' ? "quoted keys are not supported" : "expected " + what
                        + (c == 0 || c == '\n' ? "" : ", not '" + c + "'"));
            }
            return text.substring(start, pos);
        }

        private void endOfLine() throws ConfigException {
            skipBlank();
            char c = peek();
            if (c == '#') {
                skipComment();
            } else if (c == '\n') {
                pos++;
                line++;
            } else if (c != 0) {
                throw error("unexpected '" + c + "' after the value (one key = value per line)");
            }
        }

        private void skipBlank() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == ' ' || c == '\t' || (c == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n')) {
                    pos++;
                } else {
                    break;
                }
            }
        }

        private void skipComment() {
            while (pos < text.length() && text.charAt(pos) != '\n') {
                pos++;
            }
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : 0;
        }

        private ConfigException error(String message) {
            return new ConfigException(source, line, message);
        }
    }
}
