package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The code prompt's editor on bytes, as a terminal in non-canonical mode sends and shows them. */
class CodePromptTest {
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();

    private String type(String keys) throws Exception {
        return CodePrompt.edit(new ByteArrayInputStream(keys.getBytes(StandardCharsets.UTF_8)), shown, "Enter the code: ");
    }

    private String shown() {
        return shown.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tabCompletesEachWord() throws Exception {
        assertEquals("42-pelican-walnut-glider-", type("42\tpeli\twaln\tglide\t\r"));
        assertEquals("Enter the code: 42-pelican-walnut-glider-\n", shown());
    }

    @Test
    void severalCandidatesAreListedAndTheLineShownAgain() throws Exception {
        assertEquals("42-pelican", type("42-pel\tic\t\b\r"));
        assertTrue(shown().contains("\npelican  pellet  pelt  pelvis\nEnter the code: 42-pel"), shown());
    }

    @Test
    void manyCandidatesAreCountedNotAllListed() throws Exception {
        type("1-a\t\r");
        assertTrue(shown().matches("(?s).*\\n\\(\\d+ words; type more letters\\)\\nEnter the code: 1-a.*"), shown());
    }

    @Test
    void noMatchRingsTheBellAndChangesNothing() throws Exception {
        assertEquals("42-zzq", type("42-zzq\t\r"));
        assertTrue(shown().contains("\u0007"), shown());
    }

    @Test
    void editingKeys() throws Exception {
        assertEquals("42-pelican-", type("42-pelican-walnut\u0017\r"));
        assertEquals("7-pelt-", type("9-x\u00157-pelt\t\r"));
        assertEquals("42-pe", type("42-pel\u007f\u001b[D\r")); // an arrow is ignored
        assertNull(type("\u0004"));
        assertEquals("4", type("4\u0004\r"));
    }

    @Test
    void aCaseDifferenceIsRedrawn() throws Exception {
        assertEquals("42-pelican-", type("42-PELI\t\r"));
        assertTrue(shown().endsWith("42-PELI\b \b\b \b\b \b\b \bpelican-\n"), shown());
    }

    @Test
    void withoutATerminalALineOfStdinIsTheCode() throws Exception {
        var in = new ByteArrayInputStream("42-pelican-walnut-glider\nrest".getBytes(StandardCharsets.UTF_8));
        assertEquals("42-pelican-walnut-glider", CodePrompt.line(in));
        assertEquals('r', in.read(), "read past the line");
        assertNull(CodePrompt.line(new ByteArrayInputStream(new byte[0])));
    }
}
