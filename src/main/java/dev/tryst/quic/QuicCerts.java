package dev.tryst.quic;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The certificates of a QUIC path: one throwaway ECDSA P-256 key and self-signed certificate per
 * path and side (BoringSSL in quiche takes no Ed25519 certificate), and a trust manager that takes
 * whatever certificate the other end shows and remembers it. No certificate authority decides
 * anything here: who the other end is, is decided by the path proof that runs inside the stream,
 * and that proof covers both certificates ({@link QuicLink#binding()}), so an end that showed us
 * another certificate than the peer's own cannot pass it.
 */
final class QuicCerts {
    private QuicCerts() {}

    /** A key and its certificate. */
    record Own(PrivateKey key, X509Certificate cert) {}

    /** A fresh P-256 key and a certificate for it, signed by itself, valid from a day ago for a day. */
    static Own fresh(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair kp = g.generateKeyPair();
        byte[] algorithm = seq(oid(1, 2, 840, 10045, 4, 3, 2)); // ecdsa-with-SHA256
        byte[] name = seq(set(seq(oid(2, 5, 4, 3), tlv(0x0c, "tryst path".getBytes(StandardCharsets.US_ASCII)))));
        DateTimeFormatter utc = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        byte[] validity = seq(tlv(0x17, utc.format(now.minusDays(1)).getBytes(StandardCharsets.US_ASCII)),
                tlv(0x17, utc.format(now.plusDays(1)).getBytes(StandardCharsets.US_ASCII)));
        byte[] tbs = seq(tlv(0xa0, tlv(0x02, new byte[] {2})), // v3
                tlv(0x02, new BigInteger(63, random).add(BigInteger.ONE).toByteArray()),
                algorithm, name, validity, name, kp.getPublic().getEncoded());
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate(), random);
        s.update(tbs);
        byte[] sig = s.sign();
        byte[] bits = new byte[sig.length + 1]; // no unused bits
        System.arraycopy(sig, 0, bits, 1, sig.length);
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(seq(tbs, algorithm, tlv(0x03, bits))));
        return new Own(kp.getPrivate(), cert);
    }

    /** SHA-256 of the certificate's DER encoding. */
    static byte[] fingerprint(X509Certificate c) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("SHA-256 of a certificate we hold", e);
        }
    }

    /**
     * Takes the first leaf certificate the other end shows and remembers it; any later one (a
     * renegotiation, a second connection) must be the same.
     */
    static final class Remembering extends X509ExtendedTrustManager {
        private final AtomicReference<X509Certificate> seen = new AtomicReference<>();

        X509Certificate seen() {
            return seen.get();
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no certificate");
            }
            X509Certificate leaf = chain[0];
            leaf.checkValidity();
            if (!seen.compareAndSet(null, leaf) && !seen.get().equals(leaf)) {
                throw new CertificateException("another certificate than on this path before");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth, Socket s) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth, Socket s) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String auth, SSLEngine e) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String auth, SSLEngine e) throws CertificateException {
            check(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    // the little DER a certificate needs

    private static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        int n = body.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (n < 128) {
            out.write(n);
        } else if (n < 256) {
            out.write(0x81);
            out.write(n);
        } else {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, parts);
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, parts);
    }

    private static byte[] oid(int... arcs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int v = arcs[i];
            int shift = 28;
            while (shift > 0 && (v >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                b.write(0x80 | ((v >>> shift) & 0x7f));
            }
            b.write(v & 0x7f);
        }
        return tlv(0x06, b.toByteArray());
    }
}
