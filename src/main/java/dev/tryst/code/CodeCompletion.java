package dev.tryst.code;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * TAB at the code prompt: completes the word being typed from the word list, as magic-wormhole does.
 * A unique prefix becomes the whole word and a '-' (a code read with a trailing '-' is the same code);
 * several candidates extend the word to what they share and are listed; the number is never
 * changed (a number alone only gets its '-').
 *
 * @param line       the line after completion
 * @param candidates the words that matched when there was more than one (for the prompt to list), else empty
 */
public record CodeCompletion(String line, List<String> candidates) {
    public CodeCompletion {
        candidates = List.copyOf(candidates);
    }

    /** Whether TAB changed nothing and offers nothing: the prompt rings the bell. */
    public boolean nothing(String before) {
        return line.equals(before) && candidates.isEmpty();
    }

    public static CodeCompletion complete(String line) {
        return complete(line, WordList.eff());
    }

    static CodeCompletion complete(String line, WordList list) {
        int cut = lastSeparator(line);
        if (cut < 0) {
            // still in the number: it names a room only the server knows, so it is not guessed
            boolean number = !line.isEmpty() && line.chars().allMatch(c -> c >= '0' && c <= '9');
            return new CodeCompletion(number ? line + "-" : line, List.of());
        }
        String head = line.substring(0, cut + 1);
        String typed = line.substring(cut + 1).toLowerCase(Locale.ROOT);
        if (typed.isEmpty()) {
            return new CodeCompletion(line, List.of()); // every word would match: type a letter first
        }
        List<String> matches = list.startingWith(typed);
        if (matches.isEmpty()) {
            return new CodeCompletion(line, List.of());
        }
        if (matches.size() == 1) {
            return new CodeCompletion(head + matches.getFirst() + "-", List.of());
        }
        String common = matches.getFirst();
        for (String m : matches) {
            int i = 0;
            while (i < common.length() && i < m.length() && common.charAt(i) == m.charAt(i)) {
                i++;
            }
            common = common.substring(0, i);
        }
        String extended = common.length() > typed.length() ? head + common : line;
        return new CodeCompletion(extended, new ArrayList<>(matches));
    }

    private static int lastSeparator(String line) {
        for (int i = line.length() - 1; i >= 0; i--) {
            char c = line.charAt(i);
            if (c == '-' || c == ' ' || c == '_') {
                return i;
            }
        }
        return -1;
    }
}
