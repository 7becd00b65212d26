package dev.tryst.code;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The words of a code phrase: the EFF large word list (CC BY 3.0 US, notice in
 * {@code EFF-WORDLIST-LICENSE.txt} beside it) without its four hyphenated words (drop-down,
 * felt-tip, t-shirt, yo-yo), since '-' separates the words of a code: 7 772 words, 12.92 bits each.
 * (With them, one code in about 650 read back as four words and was refused.)
 */
public final class WordList {
    private static final String RESOURCE = "eff_large_wordlist.txt";
    /** Lines in the file, as published. */
    private static final int EXPECTED_SIZE = 7776;
    /** Words kept: those without the code's separator. */
    public static final int SIZE = 7772;
    private static volatile WordList eff;

    private final List<String> words;
    private final Map<String, Integer> index;

    private WordList(List<String> words) {
        this.words = List.copyOf(words);
        this.index = new HashMap<>(words.size() * 2);
        for (int i = 0; i < words.size(); i++) {
            index.put(words.get(i), i);
        }
    }

    public static WordList eff() {
        WordList w = eff;
        if (w == null) {
            synchronized (WordList.class) {
                if (eff == null) {
                    eff = load();
                }
                w = eff;
            }
        }
        return w;
    }

    private static WordList load() {
        try (InputStream in = WordList.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("word list " + RESOURCE + " missing from the jar");
            }
            var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<String> list = new ArrayList<>(EXPECTED_SIZE);
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    list.add(line.strip());
                }
            }
            if (list.size() != EXPECTED_SIZE) {
                throw new IllegalStateException("word list has " + list.size() + " words, expected " + EXPECTED_SIZE);
            }
            list.removeIf(w -> w.indexOf('-') >= 0);
            if (list.size() != SIZE) {
                throw new IllegalStateException("word list has " + list.size() + " words without '-', expected " + SIZE);
            }
            return new WordList(list);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int size() {
        return words.size();
    }

    public String word(int i) {
        return words.get(i);
    }

    public boolean contains(String word) {
        return index.containsKey(word);
    }

    /** The words that start with {@code prefix}, in list order. */
    public List<String> startingWith(String prefix) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            if (w.startsWith(prefix)) {
                out.add(w);
            }
        }
        return out;
    }

    /** Bits of entropy per word. */
    public double bitsPerWord() {
        return Math.log(words.size()) / Math.log(2);
    }

    /**
     * The word a mistyped {@code typo} most likely meant: the unique closest word at edit distance
     * 1 or 2 (insertions, deletions, substitutions, adjacent swaps), or the unique word it is a prefix of.
     */
    public Optional<String> suggest(String typo) {
        String best = null;
        int bestDistance = 3;
        boolean tie = false;
        for (String w : words) {
            if (Math.abs(w.length() - typo.length()) >= bestDistance) {
                continue;
            }
            int d = distance(typo, w);
            if (d < bestDistance) {
                best = w;
                bestDistance = d;
                tie = false;
            } else if (d == bestDistance) {
                tie = true;
            }
        }
        if (best != null && !tie) {
            return Optional.of(best);
        }
        if (typo.length() >= 3) {
            List<String> prefixed = words.stream().filter(w -> w.startsWith(typo)).limit(2).toList();
            if (prefixed.size() == 1) {
                return Optional.of(prefixed.getFirst());
            }
        }
        return Optional.empty();
    }

    /** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
    static int distance(String a, String b) {
        int n = a.length();
        int m = b.length();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= m; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[n][m];
    }
}
