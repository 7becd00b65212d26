package dev.tryst.code;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class CodeCompletionTest {
    private static CodeCompletion tab(String line) {
        return CodeCompletion.complete(line);
    }

    @Test
    void aUniquePrefixBecomesTheWordAndAHyphen() {
        assertEquals(new CodeCompletion("42-pelican-", List.of()), tab("42-peli"));
        assertEquals(new CodeCompletion("42-pelican-walnut-", List.of()), tab("42-pelican-waln"));
        assertEquals("42-pelican-walnut-glider-", tab("42-pelican-walnut-glide").line());
    }

    @Test
    void severalCandidatesAreListedAndTheWordExtendedToWhatTheyShare() {
        CodeCompletion c = tab("42-pel");
        assertEquals("42-pel", c.line());
        assertEquals(List.of("pelican", "pellet", "pelt", "pelvis"), c.candidates());
        CodeCompletion g = tab("42-pelican-glid");
        assertEquals("42-pelican-glid", g.line());
        assertEquals(List.of("glider", "gliding"), g.candidates());
        CodeCompletion a = tab("42-anti");
        assertEquals("42-anti", a.line());
        assertEquals(12, a.candidates().size(), a.candidates().toString());
        assertEquals("9-antiqu", tab("9-antiq").line()); // antiquely, antiques, antiquity
    }

    @Test
    void aWholeWordGetsItsHyphen() {
        assertEquals(new CodeCompletion("7-pelt-", List.of()), tab("7-pelt"));
    }

    @Test
    void theNumberIsNeverChanged() {
        assertEquals(new CodeCompletion("42-", List.of()), tab("42"));
        assertEquals(new CodeCompletion("", List.of()), tab(""));
        assertEquals(new CodeCompletion("4x2", List.of()), tab("4x2"));
        assertTrue(tab("").nothing(""));
    }

    @Test
    void afterAHyphenNothingIsGuessedAndNoMatchChangesNothing() {
        assertTrue(tab("42-").nothing("42-"));
        assertTrue(tab("42-pelican-").nothing("42-pelican-"));
        assertTrue(tab("42-zzzq").nothing("42-zzzq"));
    }

    @Test
    void otherSeparatorsAndCaseAreThoseCodeParseAccepts() {
        assertEquals("42 pelican-", tab("42 PELI").line());
        assertEquals("42_pelican_walnut-", tab("42_pelican_waln").line());
        assertEquals("42--pelican-", tab("42--peli").line());
    }

    @Test
    void aCompletedLineWithItsTrailingHyphenIsTheCode() throws Exception {
        String line = tab(tab(tab("42-peli").line() + "waln").line() + "glide").line();
        assertEquals("42-pelican-walnut-glider-", line);
        assertEquals(Code.parse("42-pelican-walnut-glider"), Code.parse(line));
    }

    @Test
    void everyWordCompletesFromItsShortestUniquePrefix() {
        // the EFF list is prefix-free: no word starts another, so TAB always reaches every word
        WordList list = WordList.eff();
        for (int i = 0; i < list.size(); i++) {
            String w = list.word(i);
            String p = shortestUniquePrefix(list, w);
            assertNotNull(p, w + " starts another word");
            assertEquals("1-" + w + "-", CodeCompletion.complete("1-" + p).line(), p);
        }
    }

    /** The shortest prefix that only {@code word} starts, or null when {@code word} starts another word. */
    static String shortestUniquePrefix(WordList list, String word) {
        for (int n = 1; n <= word.length(); n++) {
            if (list.startingWith(word.substring(0, n)).size() == 1) {
                return word.substring(0, n);
            }
        }
        return null;
    }
}
