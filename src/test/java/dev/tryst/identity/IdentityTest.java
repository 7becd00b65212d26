package dev.tryst.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityTest {
    private static final HexFormat HEX = HexFormat.of();
    // RFC 8032 section 7.1, TEST 1
    private static final String RFC_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final String RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static final String RFC_SIGNATURE = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    @TempDir Path dir;

    @Test
    void rfc8032TestVector1() {
        Identity id = Identity.fromSeed(HEX.parseHex(RFC_SEED));
        assertEquals(RFC_PUBLIC, id.publicKey().toHex());
        byte[] sig = id.sign(new byte[0]);
        assertEquals(RFC_SIGNATURE, HEX.formatHex(sig));
        assertTrue(Identity.verify(id.publicKey(), new byte[0], sig));
        assertFalse(Identity.verify(id.publicKey(), new byte[1], sig));
    }

    @Test
    void x25519ConversionMatchesIndependentComputation() {
        // golden values from Python's cryptography: X25519 public key of the clamped SHA-512(seed)[0..32]
        Identity id = Identity.fromSeed(HEX.parseHex(RFC_SEED));
        assertEquals("307c83864f2833cb427a2ef1c00a013cfdff2768d980c0a3a520f006904de94f", HEX.formatHex(id.x25519Private()));
        assertEquals("d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e", HEX.formatHex(id.publicKey().toX25519()));
    }

    @Test
    void fingerprintIsStable() {
        IdentityKey key = IdentityKey.fromHex(RFC_PUBLIC);
        assertEquals("eh7d-dx5b-ksrg-cytl-7bka-i36s-e4nx-x3kl", key.fingerprint());
        assertEquals(key.fingerprint(), key.toString());
        assertTrue(key.fingerprint().matches("[a-z2-7]{4}(-[a-z2-7]{4}){7}"));
    }

    @Test
    void keysAreValues() {
        IdentityKey a = IdentityKey.fromHex(RFC_PUBLIC);
        IdentityKey b = IdentityKey.of(HEX.parseHex(RFC_PUBLIC));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        byte[] raw = a.bytes();
        raw[0] ^= 1;
        assertEquals(RFC_PUBLIC, a.toHex(), "bytes() hands out a copy");
        assertNotEquals(a, Identity.generate().publicKey());
        assertThrows(IllegalArgumentException.class, () -> IdentityKey.of(new byte[31]));
        // the identity point (y = 1) and a non-canonical encoding are refused
        byte[] identity = new byte[32];
        identity[0] = 1;
        assertThrows(IllegalArgumentException.class, () -> IdentityKey.of(identity));
        byte[] negZero = identity.clone();
        negZero[31] |= (byte) 0x80;
        assertThrows(IllegalArgumentException.class, () -> IdentityKey.of(negZero));
    }

    @Test
    void privateKeyNeverPrinted() {
        Identity id = Identity.fromSeed(HEX.parseHex(RFC_SEED));
        String s = id.toString();
        assertTrue(s.contains(id.publicKey().fingerprint()), s);
        assertFalse(s.contains(RFC_SEED.substring(0, 8)), s);
    }

    @Test
    void saveLoadRoundTripAt0600() throws IOException {
        Path file = dir.resolve("cfg/tryst/identity");
        Identity created = Identity.loadOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        Identity loaded = Identity.loadOrCreate(file);
        assertEquals(created.publicKey(), loaded.publicKey());
        assertEquals(created.publicKey(), Identity.load(file).publicKey());
        String text = Files.readString(file);
        assertTrue(text.startsWith("tryst/v1 identity\nseed "), text);
        assertTrue(text.endsWith("\npublic " + created.publicKey().toHex() + "\n"), text);
        try (var s = Files.list(file.getParent())) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
        assertThrows(FileAlreadyExistsException.class, () -> Identity.generate().save(file));
        assertEquals(created.publicKey(), Identity.load(file).publicKey(), "save never replaces");
    }

    @Test
    void groupReadableFileRefused() throws IOException {
        Path file = dir.resolve("identity");
        Identity.generate().save(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> Identity.loadOrCreate(file));
        assertTrue(e.getMessage().contains("chmod 600 " + file), e.getMessage());
        assertTrue(e.getMessage().contains("0644"), e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Identity.load(file);
    }

    @Test
    void damagedFileRefused() throws IOException {
        Path file = dir.resolve("identity");
        Identity id = Identity.generate();
        id.save(file);
        String text = Files.readString(file);
        Files.writeString(file, text.replace("public " + id.publicKey().toHex(),
                "public " + Identity.generate().publicKey().toHex()), StandardCharsets.UTF_8);
        assertThrows(IOException.class, () -> Identity.load(file));
        Files.writeString(file, "hello\n");
        assertThrows(IOException.class, () -> Identity.load(file));
    }

    @Test
    void configDirFollowsXdg() {
        assertEquals(Path.of("/x/cfg/tryst"), Identity.configDir(Map.of("XDG_CONFIG_HOME", "/x/cfg"), "/home/u"));
        assertEquals(Path.of("/home/u/.config/tryst"), Identity.configDir(Map.of(), "/home/u"));
        assertEquals(Path.of("/home/u/.config/tryst"), Identity.configDir(Map.of("XDG_CONFIG_HOME", "rel"), "/home/u"));
    }

    @Test
    void loginMessageLayout() {
        byte[] challenge = new byte[32];
        challenge[0] = 7;
        byte[] m = Identity.loginMessage(challenge, "ab");
        assertEquals("7472797374" + "2f7631206c6f67696e" + "00" + "0002" + "6162" + "07" + "00".repeat(31), HEX.formatHex(m));
    }

    @Test
    void challengeSignVerify() {
        Identity id = Identity.generate();
        byte[] challenge = new byte[32];
        new java.util.Random(1).nextBytes(challenge);
        byte[] sig = id.signChallenge(challenge, "relay.example");
        assertTrue(Identity.verifyChallenge(id.publicKey(), challenge, "relay.example", sig));

        byte[] other = challenge.clone();
        other[31] ^= 1;
        assertFalse(Identity.verifyChallenge(id.publicKey(), other, "relay.example", sig));
        assertFalse(Identity.verifyChallenge(id.publicKey(), challenge, "relay.example.", sig));
        assertFalse(Identity.verifyChallenge(id.publicKey(), challenge, "other", sig));
        assertFalse(Identity.verifyChallenge(Identity.generate().publicKey(), challenge, "relay.example", sig));
        for (int bit = 0; bit < sig.length * 8; bit++) {
            byte[] bad = sig.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertFalse(Identity.verifyChallenge(id.publicKey(), challenge, "relay.example", bad), "bit " + bit);
        }
        assertFalse(Identity.verifyChallenge(id.publicKey(), new byte[31], "relay.example", sig));
        assertFalse(Identity.verifyChallenge(id.publicKey(), challenge, "", sig));
        assertFalse(Identity.verifyChallenge(id.publicKey(), challenge, "relay.example", new byte[63]));
        assertThrows(IllegalArgumentException.class, () -> id.signChallenge(new byte[16], "relay.example"));
    }
}
