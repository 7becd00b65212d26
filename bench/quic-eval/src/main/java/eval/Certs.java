package eval;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.*;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/** Self-signed certificate generated in memory (JDK only, no BouncyCastle) + SHA-256 pinning trust manager. */
public final class Certs {
    public record Identity(PrivateKey key, X509Certificate cert) {
        public String fingerprint() { return Certs.fingerprint(cert); }
    }

    /** alg = "EC" (P-256, ecdsa_secp256r1_sha256) or "Ed25519". */
    public static Identity selfSigned(String alg, String cn) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
        if (alg.equals("EC")) g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        String sigAlg = alg.equals("EC") ? "SHA256withECDSA" : "Ed25519";
        byte[] algId = alg.equals("EC")
                ? seq(oid(1, 2, 840, 10045, 4, 3, 2))   // ecdsa-with-SHA256
                : seq(oid(1, 3, 101, 112));             // id-Ed25519
        byte[] name = seq(set(seq(oid(2, 5, 4, 3), tlv(0x0c, cn.getBytes(StandardCharsets.UTF_8)))));
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        byte[] validity = seq(tlv(0x17, f.format(now.minusDays(1)).getBytes()), tlv(0x17, f.format(now.plusDays(30)).getBytes()));
        byte[] tbs = seq(
                tlv(0xa0, tlv(0x02, new byte[]{2})),                       // v3
                tlv(0x02, new BigInteger(63, new SecureRandom()).toByteArray()),
                algId, name, validity, name,
                kp.getPublic().getEncoded());                              // SubjectPublicKeyInfo
        Signature s = Signature.getInstance(sigAlg);
        s.initSign(kp.getPrivate());
        s.update(tbs);
        byte[] sig = s.sign();
        byte[] bitString = new byte[sig.length + 1];
        System.arraycopy(sig, 0, bitString, 1, sig.length);
        byte[] der = seq(tbs, algId, tlv(0x03, bitString));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        return new Identity(kp.getPrivate(), cert);
    }

    /** In-memory PKCS12 keystore (kwik's server API wants a KeyStore). */
    public static KeyStore keyStore(Identity id, char[] pw) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", id.key(), pw, new X509Certificate[]{id.cert()});
        return ks;
    }

    public static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (Exception e) { throw new IllegalStateException(e); }
    }

    /** Accepts exactly one leaf certificate, by SHA-256 fingerprint of its DER encoding. No CA, no hostname. */
    public static final class Pin extends X509ExtendedTrustManager {
        private final String expected;
        public Pin(String expectedSha256Hex) { this.expected = expectedSha256Hex; }
        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) throw new CertificateException("no peer certificate");
            String got = fingerprint(chain[0]);
            if (!MessageDigest.isEqual(got.getBytes(), expected.getBytes()))
                throw new CertificateException("pinned fingerprint mismatch: got " + got.substring(0, 16) + "…");
        }
        @Override public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException { check(c); }
        @Override public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException { check(c); }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException { check(c); }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException { check(c); }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException { check(c); }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException { check(c); }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    // --- minimal DER ---
    static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) body.writeBytes(p);
        int n = body.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (n < 128) out.write(n);
        else if (n < 256) { out.write(0x81); out.write(n); }
        else { out.write(0x82); out.write(n >> 8); out.write(n); }
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }
    static byte[] seq(byte[]... p) { return tlv(0x30, p); }
    static byte[] set(byte[]... p) { return tlv(0x31, p); }
    static byte[] oid(int... arcs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int v = arcs[i];
            int shift = 28;
            while (shift > 0 && (v >>> shift) == 0) shift -= 7;
            for (; shift > 0; shift -= 7) b.write(0x80 | ((v >>> shift) & 0x7f));
            b.write(v & 0x7f);
        }
        return tlv(0x06, b.toByteArray());
    }
}
