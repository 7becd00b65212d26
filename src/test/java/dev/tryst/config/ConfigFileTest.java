package dev.tryst.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigFileTest {
    @Test
    void readsEveryTypeWithItsLine() throws Exception {
        ConfigFile f = ConfigFile.parse("""
                # a comment
                bind = "0.0.0.0"   # after a value
                relay-port = 8_080
                negative = -1
                plain = true
                off = false
                literal = 'C:\\no\\escapes'
                escaped = "tab\\there \\"q\\" \\u00e9\\U0001F600"

                [server]
                pins = [
                  "a#1", # first
                  'b',
                ]
                empty = []
                """, "test.toml");
        var root = f.table("");
        assertEquals("0.0.0.0", root.get("bind").asString());
        assertEquals(2, root.get("bind").line());
        assertEquals(8080, root.get("relay-port").asInt(0, 65535));
        assertEquals(-1, root.get("negative").asInteger());
        assertTrue(root.get("plain").asBoolean());
        assertFalse(root.get("off").asBoolean());
        assertEquals("C:\\no\\escapes", root.get("literal").asString());
        assertEquals("tab\there \"q\" \u00e9\uD83D\uDE00", root.get("escaped").asString());
        var server = f.table("server");
        assertEquals(List.of("a#1", "b"), server.get("pins").asStrings());
        assertEquals(11, server.get("pins").line());
        assertEquals(List.of(), server.get("empty").asStrings());
        assertEquals(10, f.tableLine("server"));
        assertEquals(List.of("", "server"), List.copyOf(f.tables()));
        assertTrue(f.table("nope").isEmpty());
    }

    @Test
    void anEmptyFileHasNoTables() throws Exception {
        assertTrue(ConfigFile.parse("", "x").tables().isEmpty());
        assertTrue(ConfigFile.parse("\n# only a comment\r\n\n", "x").tables().isEmpty());
    }

    @Test
    void crlfLineEndingsAndABomAreFine() throws Exception {
        ConfigFile f = ConfigFile.parse("\uFEFFa = 1\r\nb = \"x\"\r\n", "x");
        assertEquals(1, f.table("").get("a").asInteger());
        assertEquals("x", f.table("").get("b").asString());
        assertEquals(2, f.table("").get("b").line());
    }

    static Stream<Arguments> errors() {
        return Stream.of(
            Arguments.of("a = 1\nb = 2\na = 3", 3, "'a' given twice (first on line 1)"),
            Arguments.of("a = 1.5", 1, "floats are not supported"),
            Arguments.of("a = 1e3", 1, "floats are not supported"),
            Arguments.of("a = 10m", 1, "a duration goes in quotes"),
            Arguments.of("\n\na = 1979-05-27", 3, "dates are not supported"),
            Arguments.of("a = hello", 1, "'hello' is not a value: a string needs quotes"),
            Arguments.of("a = \"open", 1, "not closed"),
            Arguments.of("a = \"\"\"x\"\"\"", 1, "multi-line strings are not supported"),
            Arguments.of("a.b = 1", 1, "dotted keys are not supported"),
            Arguments.of("\"a\" = 1", 1, "quoted keys are not supported"),
            Arguments.of("a = {x = 1}", 1, "inline tables are not supported"),
            Arguments.of("a = [1, 2]", 1, "an array holds only strings"),
            Arguments.of("a = [\"x\" \"y\"]", 1, "expected ',' or ']'"),
            Arguments.of("a = [\n\"x\",\n", 3, "not closed with ']'"),
            Arguments.of("a = 1 b = 2", 1, "one key = value per line"),
            Arguments.of("a =", 1, "'a' has no value"),
            Arguments.of("a 1", 1, "expected '=' after 'a'"),
            Arguments.of("[t]\n[t]", 2, "table [t] given twice (first on line 1)"),
            Arguments.of("[[t]]", 1, "arrays of tables"),
            Arguments.of("[a.b]", 1, "dotted table names"),
            Arguments.of("a = \"\\x\"", 1, "unknown escape \\x"),
            Arguments.of("a = \"\\uD800\"", 1, "not a Unicode scalar value"),
            Arguments.of("a = 99999999999999999999", 1, "too large"),
            Arguments.of("a = 01", 1, "'01' is not an integer"),
            Arguments.of("a = 1__0", 1, "is not an integer"),
            Arguments.of("a = tru", 1, "'tru' is not a value"));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void errorsNameTheLine(String text, int line, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.parse(text, "f.toml"));
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("f.toml:" + line + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void aValueOfTheWrongTypeNamesItsKeyAndLine() throws Exception {
        ConfigFile f = ConfigFile.parse("x = 1\n\nport = \"8080\"\nbig = 70000\n", "f.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> f.table("").get("port").asInteger());
        assertEquals("f.toml:3: 'port' must be an integer, not a string (in quotes)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> f.table("").get("big").asInt(0, 65535));
        assertEquals("f.toml:4: 'big' must be 0 to 65535, not 70000", e.getMessage());
        assertThrows(ConfigException.class, () -> f.table("").get("x").asStrings());
        assertThrows(ConfigException.class, () -> f.table("").get("x").asBoolean());
    }

    @Test
    void unknownKeysAreErrorsWithASuggestion() throws Exception {
        ConfigFile f = ConfigFile.parse("bind = \"x\"\nrelay_port = 1\n", "f.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> f.requireKnown("", Set.of("bind", "relay-port")));
        assertEquals("f.toml:2: unknown key 'relay_port' (did you mean 'relay-port'?)", e.getMessage());
        ConfigFile g = ConfigFile.parse("[server]\nzzz = 1\n", "g.toml");
        e = assertThrows(ConfigException.class, () -> g.requireKnown("server", Set.of("bind")));
        assertEquals("g.toml:2: unknown key 'zzz' in [server]", e.getMessage());
    }

    @Test
    void readsAFileAndRefusesOneThatIsNotUtf8(@TempDir Path dir) throws Exception {
        Path ok = dir.resolve("ok.toml");
        Files.writeString(ok, "name = \"caf\u00e9\"\n", StandardCharsets.UTF_8);
        assertEquals("caf\u00e9", ConfigFile.read(ok).table("").get("name").asString());
        Path bad = dir.resolve("bad.toml");
        Files.write(bad, new byte[] {'a', '=', '"', (byte) 0xff, '"'});
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.read(bad));
        assertTrue(e.getMessage().endsWith("bad.toml: is not UTF-8 text"), e.getMessage());
    }
}
