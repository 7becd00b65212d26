package dev.tryst.identity;

import cafe.cryptography.curve25519.Constants;
import cafe.cryptography.curve25519.Scalar;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A long-term identity: an Ed25519 key pair (RFC 8032), held as its 32-byte private seed.
 *
 * <p><b>File format</b> ({@link #save}, {@link #loadOrCreate}): UTF-8 text, mode 0600, exactly
 * <pre>
 * tryst/v1 identity
 * seed &lt;64 lowercase hex digits: the Ed25519 private seed&gt;
 * public &lt;64 lowercase hex digits: the Ed25519 public key&gt;
 * </pre>
 * The public line is redundant: loading recomputes it from the seed and refuses a mismatch
 * (a damaged file). A file readable or writable by group or others is refused, as ssh does.
 *
 * <p><b>Login proof</b> ({@link #signChallenge}): Ed25519 over
 * <pre>
 * "tryst/v1 login" (14 bytes ASCII) ‖ 0x00 ‖ len(serverName) (u16 big-endian) ‖ serverName (UTF-8, 1..255 bytes) ‖ challenge (32 bytes)
 * </pre>
 * The label and NUL keep these signatures apart from every other signature an identity makes
 * (see {@link Sealed} for the other one); the length prefix keeps (name, challenge) unambiguous.
 */
public final class Identity {
    public static final int SEED_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;
    public static final int CHALLENGE_LENGTH = 32;
    public static final int MAX_SERVER_NAME = 255;
    static final byte[] LOGIN_LABEL = "tryst/v1 login".getBytes(StandardCharsets.US_ASCII);
    static final String FILE_HEADER = "tryst/v1 identity";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final byte[] seed;
    private final PrivateKey privateKey;
    private final IdentityKey publicKey;

    private Identity(byte[] seed) {
        this.seed = seed;
        try {
            this.privateKey = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK 25", e);
        }
        // RFC 8032 5.1.5: a = clamp(SHA-512(seed)[0..32]); A = a·B.
        byte[] a = expandedScalar(seed);
        this.publicKey = IdentityKey.of(Constants.ED25519_BASEPOINT_TABLE.multiply(Scalar.fromBits(a)).compress().toByteArray());
        Arrays.fill(a, (byte) 0);
    }

    /** A fresh identity from the system's SecureRandom. */
    public static Identity generate() {
        byte[] seed = new byte[SEED_LENGTH];
        RANDOM.nextBytes(seed);
        return new Identity(seed);
    }

    /** The identity of a known 32-byte Ed25519 private seed (RFC 8032's "secret key"). */
    public static Identity fromSeed(byte[] seed) {
        if (seed == null || seed.length != SEED_LENGTH) {
            throw new IllegalArgumentException("an Ed25519 seed is " + SEED_LENGTH + " bytes");
        }
        return new Identity(seed.clone());
    }

    public IdentityKey publicKey() {
        return publicKey;
    }

    // ---- storage -------------------------------------------------------------------------------

    /** {@code $XDG_CONFIG_HOME/tryst} when that is set to an absolute path, else {@code ~/.config/tryst}. */
    public static Path configDir() {
        return configDir(System.getenv(), System.getProperty("user.home"));
    }

    /** {@link #configDir()} for this environment and home folder. */
    public static Path configDir(Map<String, String> env, String home) {
        String xdg = env.get("XDG_CONFIG_HOME");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "tryst");
        }
        return Path.of(home, ".config", "tryst");
    }

    /** The default identity file: {@code configDir()/identity}. */
    public static Path defaultFile() {
        return configDir().resolve("identity");
    }

    /**
     * The identity stored in {@code file}; if there is none, a new one, saved there first
     * (parent directories created 0700). When two processes race, both end with the same identity.
     *
     * @throws IOException if the file is unreadable, damaged, or readable by group/others
     */
    public static Identity loadOrCreate(Path file) throws IOException {
        try {
            return load(file);
        } catch (NoSuchFileException e) {
            // fall through: create
        }
        Identity created = generate();
        try {
            created.save(file);
            return created;
        } catch (FileAlreadyExistsException e) {
            return load(file); // someone else won the race: theirs is the identity
        }
    }

    /** The identity stored in {@code file}; see the class comment for the format and the permission rule. */
    public static Identity load(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            perms = Set.of(); // not a POSIX file system: nothing to check
        }
        if (perms.stream().anyMatch(TOO_OPEN::contains)) {
            throw new IOException("permissions " + octal(perms) + " for identity file " + file
                    + " are too open: the private key must not be accessible by others. Run: chmod 600 " + file);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            if (lines.size() != 3 || !lines.get(0).equals(FILE_HEADER)
                    || !lines.get(1).startsWith("seed ") || !lines.get(2).startsWith("public ")) {
                throw new IllegalArgumentException("not a '" + FILE_HEADER + "' file");
            }
            byte[] seed = HexFormat.of().parseHex(lines.get(1).substring(5));
            Identity identity = fromSeed(seed);
            Arrays.fill(seed, (byte) 0);
            if (!identity.publicKey.equals(IdentityKey.fromHex(lines.get(2).substring(7)))) {
                throw new IllegalArgumentException("its public key does not match its seed");
            }
            return identity;
        } catch (IllegalArgumentException e) {
            throw new IOException("damaged identity file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Writes this identity to {@code file}, mode 0600, atomically: a temporary file created 0600 in
     * the same directory, then linked into place. Never replaces an existing file.
     *
     * @throws FileAlreadyExistsException if {@code file} exists
     */
    public void save(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        PrivateFiles.makeDirectories(dir);
        Path tmp = PrivateFiles.writeTemporary(dir, ".identity-",
                FILE_HEADER + "\nseed " + HexFormat.of().formatHex(seed) + "\npublic " + publicKey.toHex() + "\n");
        try {
            try {
                Files.createLink(abs, tmp); // atomic and never clobbers: fails if abs exists
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (UnsupportedOperationException | IOException e) {
                // no hard links here: a rename, which is atomic but would replace a file that
                // appeared since this check
                if (Files.exists(abs)) throw new FileAlreadyExistsException(abs.toString());
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e2) {
                    Files.move(tmp, abs);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String octal(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) mode |= 1 << (8 - p.ordinal());
        return String.format("0%03o", mode);
    }

    // ---- login proof ---------------------------------------------------------------------------

    /** Proves this identity to {@code serverName} for one 32-byte challenge; see the class comment for the bytes signed. */
    public byte[] signChallenge(byte[] serverChallenge32, String serverName) {
        return sign(loginMessage(serverChallenge32, serverName));
    }

    /** True only for a signature by {@code key} over exactly this challenge and server name; false for anything malformed. */
    public static boolean verifyChallenge(IdentityKey key, byte[] challenge, String serverName, byte[] signature) {
        byte[] message;
        try {
            message = loginMessage(challenge, serverName);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return verify(key, message, signature);
    }

    static byte[] loginMessage(byte[] challenge, String serverName) {
        if (challenge == null || challenge.length != CHALLENGE_LENGTH) {
            throw new IllegalArgumentException("a login challenge is " + CHALLENGE_LENGTH + " bytes");
        }
        if (serverName == null) throw new IllegalArgumentException("no server name");
        byte[] name = serverName.getBytes(StandardCharsets.UTF_8);
        if (name.length < 1 || name.length > MAX_SERVER_NAME) {
            throw new IllegalArgumentException("a server name is 1.." + MAX_SERVER_NAME + " UTF-8 bytes");
        }
        return ByteBuffer.allocate(LOGIN_LABEL.length + 1 + 2 + name.length + CHALLENGE_LENGTH)
                .put(LOGIN_LABEL).put((byte) 0).putShort((short) name.length).put(name).put(challenge)
                .array();
    }

    // ---- primitives (package-private: every public use is domain-separated) ---------------------

    /** Plain Ed25519 over {@code message}. */
    byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK 25", e);
        }
    }

    static boolean verify(IdentityKey key, byte[] message, byte[] signature) {
        if (key == null || signature == null || signature.length != SIGNATURE_LENGTH) return false;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key.toJdk());
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // e.g. a signature whose scalar is out of range
        }
    }

    /**
     * The X25519 private key of this identity: the first 32 bytes of SHA-512(seed), clamped
     * (RFC 8032's expanded secret scalar, RFC 7748's clamping). Its public key is
     * {@link IdentityKey#toX25519()} of this identity's key: the same scalar times the same point.
     */
    byte[] x25519Private() {
        return expandedScalar(seed);
    }

    private static byte[] expandedScalar(byte[] seed) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-512").digest(seed);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is part of every JDK", e);
        }
        byte[] a = Arrays.copyOf(h, 32);
        Arrays.fill(h, (byte) 0);
        a[0] &= (byte) 248;
        a[31] &= 127;
        a[31] |= 64;
        return a;
    }

    /** Prints the public fingerprint only, never the private key. */
    @Override
    public String toString() {
        return "Identity[" + publicKey.fingerprint() + "]";
    }
}
