package dev.tryst.identity;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * X25519 (RFC 7748) on raw 32-byte keys, through the JDK: private keys are scalars as the RFC
 * encodes them (clamped by the function itself), public keys little-endian u-coordinates.
 */
final class X25519 {
    static final int KEY_LENGTH = 32;
    /** The base point's u-coordinate, 9: X25519(k, 9) is k's public key. */
    private static final byte[] BASE_POINT = new byte[KEY_LENGTH];

    static {
        BASE_POINT[0] = 9;
    }

    private X25519() {}

    /** A fresh key pair: {private scalar, public u}. */
    static byte[][] generate(SecureRandom random) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("XDH");
            kpg.initialize(NamedParameterSpec.X25519, random);
            KeyPair pair = kpg.generateKeyPair();
            byte[] scalar = ((XECPrivateKey) pair.getPrivate()).getScalar().orElseThrow();
            byte[] u = IdentityKey.littleEndian32(((XECPublicKey) pair.getPublic()).getU());
            return new byte[][] {scalar, u};
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 is part of every JDK 25", e);
        }
    }

    /** The public key of {@code scalar}. */
    static byte[] publicKey(byte[] scalar) {
        try {
            return dh(scalar, BASE_POINT);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 of the base point cannot fail", e);
        }
    }

    /**
     * X25519({@code scalar}, {@code peerU}).
     *
     * @throws GeneralSecurityException the result is all zeros (a peer key of small order), which the JDK refuses
     */
    static byte[] dh(byte[] scalar, byte[] peerU) throws GeneralSecurityException {
        if (scalar.length != KEY_LENGTH || peerU.length != KEY_LENGTH) {
            throw new IllegalArgumentException("X25519 keys are " + KEY_LENGTH + " bytes");
        }
        PrivateKey priv = KeyFactory.getInstance("XDH").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
        return dh(priv, peerU);
    }

    static byte[] dh(PrivateKey priv, byte[] peerU) throws GeneralSecurityException {
        byte[] u = peerU.clone();
        u[31] &= 0x7f; // RFC 7748 5: the top bit of a u-coordinate is ignored
        PublicKey pub = KeyFactory.getInstance("XDH").generatePublic(
                new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, IdentityKey.reverse(u))));
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(priv);
        ka.doPhase(pub, true);
        return ka.generateSecret();
    }
}
