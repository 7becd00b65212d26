package dev.tryst.code;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A code phrase: {@code <nameplate>-<word>-<word>-<word>}.
 *
 * <p>The nameplate is public: it names the meeting place, and the relay pairing key is derived
 * from it alone. The words are the secret: they are the PAKE password together with the nameplate,
 * and nothing derived from them ever reaches a server except through SPAKE2, which allows one
 * online guess per code and no offline guessing.
 *
 * <p>Default: 3 words of the EFF large list, 38.8 bits; a relay-only nameplate is 6 digits
 * (900 000 values) so that concurrent users of one relay rarely meet by accident.
 */
public record Code(String nameplate, List<String> words) {
    public static final int DEFAULT_WORDS = 3;
    public static final int MIN_WORDS = 2;
    public static final int MAX_WORDS = 8;
    public static final int MAX_NAMEPLATE_DIGITS = 12;
    static final int RELAY_NAMEPLATE_MIN = 100_000;
    static final int RELAY_NAMEPLATE_SPAN = 900_000;
    static final String PAIRING_LABEL = "tryst/v1 relay pairing key";
    /** The first byte of every pairing key: which derivation made it. */
    public static final byte PAIRING_KEY_VERSION = 1;

    public Code {
        words = List.copyOf(words);
    }

    public static Code generate(SecureRandom random, int wordCount) {
        if (wordCount < MIN_WORDS || wordCount > MAX_WORDS) {
            throw new IllegalArgumentException("a code has " + MIN_WORDS + " to " + MAX_WORDS + " words, not " + wordCount);
        }
        WordList list = WordList.eff();
        List<String> w = new ArrayList<>(wordCount);
        for (int i = 0; i < wordCount; i++) {
            w.add(list.word(random.nextInt(list.size())));
        }
        String nameplate = Integer.toString(RELAY_NAMEPLATE_MIN + random.nextInt(RELAY_NAMEPLATE_SPAN));
        return new Code(nameplate, w);
    }

    /**
     * Reads a code as a person typed it: any case, words separated by '-', spaces or '_',
     * surrounding blanks ignored. A word not in the list gets a suggestion.
     */
    public static Code parse(String typed) throws CodeFormatException {
        String s = Normalizer.normalize(typed, Normalizer.Form.NFC).strip().toLowerCase(Locale.ROOT);
        String[] parts = s.split("[-\\s_]+");
        if (s.isEmpty() || parts.length < 1 + MIN_WORDS) {
            throw new CodeFormatException("'" + typed + "' is not a whole code: a code looks like 481756-pelican-walnut-glider");
        }
        String nameplate = parts[0];
        if (nameplate.isEmpty() || !nameplate.chars().allMatch(c -> c >= '0' && c <= '9')
                || nameplate.length() > MAX_NAMEPLATE_DIGITS) {
            throw new CodeFormatException("a code starts with its number (such as 481756), not '" + nameplate + "'");
        }
        if (parts.length - 1 > MAX_WORDS) {
            throw new CodeFormatException("a code has at most " + MAX_WORDS + " words; this one has " + (parts.length - 1));
        }
        WordList list = WordList.eff();
        List<String> words = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String w = parts[i];
            if (!list.contains(w)) {
                String hint = list.suggest(w).map(x -> " — did you mean '" + x + "'?").orElse("");
                throw new CodeFormatException("'" + w + "' is not a code word" + hint);
            }
            words.add(w);
        }
        return new Code(nameplate, words);
    }

    /** Bits of secret in the words. */
    public double bits() {
        return words.size() * WordList.eff().bitsPerWord();
    }

    /** The PAKE password: the whole canonical code, so a code is bound to its nameplate. */
    public byte[] password() {
        return phrase().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The 33 bytes a client sends the relay: version byte 0x01, then
     * SHA-256("tryst/v1 relay pairing key" || 0x00 || nameplate). Depends on the nameplate only.
     */
    public byte[] relayPairingKey() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(PAIRING_LABEL.getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(nameplate.getBytes(StandardCharsets.US_ASCII));
            byte[] key = new byte[33];
            key[0] = PAIRING_KEY_VERSION;
            System.arraycopy(sha.digest(), 0, key, 1, 32);
            return key;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The code as people type it. It is a secret: show it to the user, never log it. */
    public String phrase() {
        return nameplate + "-" + String.join("-", words);
    }

    /** Names the nameplate only: the words are secret. */
    @Override
    public String toString() {
        return "Code[" + nameplate + ", " + words.size() + " words]";
    }
}
