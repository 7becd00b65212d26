package dev.tryst.channel;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.KDF;
import javax.crypto.SecretKey;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** HKDF-SHA256 (RFC 5869) through the JDK's {@code javax.crypto.KDF}; labels are UTF-8 strings. */
public final class Hkdf {
    private Hkdf() {}

    public static byte[] extract(byte[] salt, byte[] ikm) {
        try {
            var spec = HKDFParameterSpec.ofExtract().addSalt(salt).addIKM(ikm).extractOnly();
            return KDF.getInstance("HKDF-SHA256").deriveData(spec);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 is part of every JDK 25", e);
        }
    }

    public static byte[] expand(byte[] prk, byte[] info, int length) {
        try {
            SecretKey key = new SecretKeySpec(prk, "HKDF-PRK");
            return KDF.getInstance("HKDF-SHA256").deriveData(HKDFParameterSpec.expandOnly(key, info, length));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 is part of every JDK 25", e);
        }
    }

    public static byte[] expand(byte[] prk, String label, int length) {
        return expand(prk, label.getBytes(StandardCharsets.UTF_8), length);
    }
}
