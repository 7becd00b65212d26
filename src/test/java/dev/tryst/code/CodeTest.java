package dev.tryst.code;

import static org.junit.jupiter.api.Assertions.*;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CodeTest {
    @Test
    void wordListIsTheEffLargeList() {
        WordList w = WordList.eff();
        assertEquals(7772, w.size());
        assertEquals("abacus", w.word(0));
        assertEquals("zoom", w.word(7771));
        assertEquals(12.924, w.bitsPerWord(), 0.001);
        assertEquals(w.size(), new HashSet<>(List.copyOf(java.util.stream.IntStream.range(0, w.size()).mapToObj(w::word).toList())).size());
    }

    @Test
    void generatedCodesHaveAtLeast32SecretBitsAndParseBack() throws Exception {
        SecureRandom r = new SecureRandom();
        Code c = Code.generate(r, Code.DEFAULT_WORDS);
        assertTrue(c.bits() >= 32, "default code has " + c.bits() + " bits");
        assertTrue(c.phrase().matches("[1-9]\\d{5}(-[a-z]+){3}"), c.phrase());
        assertEquals(c, Code.parse(c.phrase()));
        assertEquals(c, Code.parse("  " + c.phrase().toUpperCase().replace('-', ' ') + "\n"));
        assertFalse(c.toString().contains(c.words().getFirst()), "toString must not show the secret words");
        assertEquals(8, Code.generate(r, 8).words().size());
        assertThrows(IllegalArgumentException.class, () -> Code.generate(r, 1));
    }

    /** '-' separates words, so no word may contain it (the EFF list has four that do: yo-yo and others). */
    @Test
    void everyWordSurvivesTheCodesOwnSeparator() throws Exception {
        WordList w = WordList.eff();
        for (int i = 0; i < w.size(); i++) {
            String word = w.word(i);
            Code c = new Code("42", List.of(word, word, word));
            assertEquals(c, Code.parse(c.phrase()), word);
        }
    }

    @Test
    void nameplatesSpreadWidely() {
        Random seeded = new Random(3);
        SecureRandom r = new SecureRandom() {
            @Override
            public int nextInt(int bound) {
                return seeded.nextInt(bound);
            }
        };
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            seen.add(Code.generate(r, 2).nameplate());
        }
        assertTrue(seen.size() > 990, "1000 nameplates gave only " + seen.size() + " distinct");
    }

    @Test
    void pairingKeyDependsOnTheNameplateOnly() throws Exception {
        Code a = Code.parse("123456-pelican-walnut-glider");
        Code b = Code.parse("123456-zoom-zoom-zoom");
        Code c = Code.parse("123457-pelican-walnut-glider");
        assertArrayEquals(a.relayPairingKey(), b.relayPairingKey());
        assertFalse(java.util.Arrays.equals(a.relayPairingKey(), c.relayPairingKey()));
        assertEquals(33, a.relayPairingKey().length);
        assertEquals(1, a.relayPairingKey()[0]);
        // The words are in the PAKE password, never in the pairing key.
        assertFalse(java.util.Arrays.equals(a.password(), b.password()));
    }

    @Test
    void mistakesGetClearMessagesAndSuggestions() {
        var typo = assertThrows(CodeFormatException.class, () -> Code.parse("123456-pelcian-walnut-glider"));
        assertTrue(typo.getMessage().contains("did you mean 'pelican'"), typo.getMessage());
        var missingLetter = assertThrows(CodeFormatException.class, () -> Code.parse("123456-pelican-wlnut-glider"));
        assertTrue(missingLetter.getMessage().contains("'walnut'"), missingLetter.getMessage());
        var nonsense = assertThrows(CodeFormatException.class, () -> Code.parse("123456-qqqqqqqqq-walnut"));
        assertFalse(nonsense.getMessage().contains("did you mean"), nonsense.getMessage());
        assertThrows(CodeFormatException.class, () -> Code.parse("pelican-walnut-glider"));
        assertThrows(CodeFormatException.class, () -> Code.parse("-pelican-walnut-glider"));
        assertThrows(CodeFormatException.class, () -> Code.parse("123456-pelican"));
        assertThrows(CodeFormatException.class, () -> Code.parse(""));
        assertThrows(CodeFormatException.class, () -> Code.parse("1234567890123-pelican-walnut"));
        assertThrows(CodeFormatException.class, () -> Code.parse("1-a-b-c-d-e-f-g-h-i".replaceAll("[a-i]", "zoom")));
    }

    @Test
    void editDistance() {
        assertEquals(0, WordList.distance("walnut", "walnut"));
        assertEquals(1, WordList.distance("walnut", "wlanut"));
        assertEquals(1, WordList.distance("walnut", "walnu"));
        assertEquals(2, WordList.distance("walnut", "wallnot"));
    }
}
