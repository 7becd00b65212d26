package dev.tryst.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A server certificate's fingerprint: SHA-256 of the leaf certificate's DER encoding.
 *
 * <p>{@link #hex()} is the canonical form: 64 lowercase hex digits, no separators. It is what
 * the server prints, what {@code known_servers} stores and what {@link #parse} accepts back
 * (case-insensitive, with or without colons, e.g. as {@code openssl x509 -fingerprint -sha256}
 * prints it). {@link #display()} is a short form for humans to glance at; never pin on it.
 */
public record Fingerprint(String hex) {
    public static final int HEX_LENGTH = 64;

    public Fingerprint {
        if (hex == null || hex.length() != HEX_LENGTH || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("a certificate fingerprint is " + HEX_LENGTH + " lowercase hex digits (SHA-256)");
        }
    }

    /** The fingerprint of {@code certificate}. */
    public static Fingerprint of(X509Certificate certificate) {
        try {
            return new Fingerprint(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded())));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    /**
     * Parses what a person typed: 64 hex digits, any case, colons allowed anywhere (also an
     * optional {@code SHA256:} / {@code sha256/} prefix as other tools print it).
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static Fingerprint parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no certificate fingerprint given");
        }
        String s = text.strip().toLowerCase(Locale.ROOT);
        for (String prefix : new String[] {"sha256:", "sha256/", "sha-256:"}) {
            if (s.startsWith(prefix)) {
                s = s.substring(prefix.length());
                break;
            }
        }
        s = s.replace(":", "");
        try {
            return new Fingerprint(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a certificate fingerprint: expected the server's SHA-256 fingerprint, "
                    + HEX_LENGTH + " hex digits (colons allowed)");
        }
    }

    /** Short form for display: the first 16 hex digits in groups of four, e.g. {@code 3f2a-91c0-77de-0b14}. */
    public String display() {
        return hex.substring(0, 4) + "-" + hex.substring(4, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16);
    }

    @Override
    public String toString() {
        return hex;
    }
}
