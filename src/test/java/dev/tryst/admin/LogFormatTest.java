package dev.tryst.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The log lines an operator's tools parse: a value from the network (a client's name, a reason) can
 * neither end a line nor forge a key, in either format.
 */
class LogFormatTest {
    private static final Instant T = Instant.parse("2026-12-07T20:30:01.123456Z");

    @Test
    void keyValueQuotesOnlyWhatNeedsIt() throws Exception {
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 2311);
        assertEquals("ts=2026-12-07T20:30:01.123Z event=room_opened room=42 from=[2001:db8::1]:2311 ok=true why=\"\"",
                LogFormat.KEY_VALUE.line(T, "room_opened", "room", 42, "from", v6, "ok", true, "why", null));
        assertEquals("ts=2026-12-07T20:30:01.123Z event=x reason=\"two words\" q=\"a\\\"b\" eq=\"k=v\" bs=\"c:\\\\d\"",
                LogFormat.KEY_VALUE.line(T, "x", "reason", "two words", "q", "a\"b", "eq", "k=v", "bs", "c:\\d"));
    }

    @Test
    void aValueCannotEndTheLineOrForgeAKey() {
        String hostile = "bob\nts=2026-01-01T00:00:00Z event=login who=admin\u0000\u001b[2J\u007f";
        String kv = LogFormat.KEY_VALUE.line(T, "login", "who", hostile);
        assertEquals("ts=2026-12-07T20:30:01.123Z event=login who=\"bob\\nts=2026-01-01T00:00:00Z event=login who=admin"
                + "\\u0000\\u001b[2J\\u007f\"", kv);
        String json = LogFormat.JSON.line(T, "login", "who", hostile + "\u2028");
        assertEquals("{\"ts\":\"2026-12-07T20:30:01.123Z\",\"event\":\"login\",\"who\":\"bob\\nts=2026-01-01T00:00:00Z"
                + " event=login who=admin\\u0000\\u001b[2J\\u007f\\u2028\"}", json);
        for (String line : new String[] {kv, json}) {
            assertFalse(line.chars().anyMatch(c -> c < ' ' || c == 0x7f || c == 0x2028), line);
        }
    }

    @Test
    void jsonKeepsNumbersAndBooleansAndNull() {
        assertEquals("{\"ts\":\"2026-12-07T20:30:01.123Z\",\"event\":\"stats\",\"bytes\":12345678901,\"up\":false,"
                        + "\"peer\":null,\"name\":\"\\\"quoted\\\" \\\\ back\"}",
                LogFormat.JSON.line(T, "stats", "bytes", 12345678901L, "up", false, "peer", null, "name", "\"quoted\" \\ back"));
    }

    @Test
    void formatsAreNamedAsTheFlagTakesThem() {
        assertEquals(LogFormat.KEY_VALUE, LogFormat.parse("kv"));
        assertEquals(LogFormat.JSON, LogFormat.parse("json"));
        assertThrows(IllegalArgumentException.class, () -> LogFormat.parse("xml"));
        assertThrows(IllegalArgumentException.class, () -> LogFormat.KEY_VALUE.line(T, "x", "odd"));
    }
}
