package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A message body cannot fake a second inbox line, move the cursor or reverse the text. */
class InboxPrintableTest {
    @Test
    void controlCharactersAndOverridesAreShownNotObeyed() {
        assertEquals("hi\\u000a2026-01-01T00:00:00Z aaaa-bbbb: fake",
                InboxCommand.printable("hi\n2026-01-01T00:00:00Z aaaa-bbbb: fake"));
        assertEquals("\\u001b[2J\\u000d", InboxCommand.printable("\u001b[2J\r"));
        assertEquals("abc\\u202egnp.exe", InboxCommand.printable("abc\u202egnp.exe"));
        assertEquals("a\\\\u000a", InboxCommand.printable("a\\u000a"), "a typed escape stays distinguishable");
        assertEquals("grüße ✓ 日本", InboxCommand.printable("grüße ✓ 日本"));
    }
}
