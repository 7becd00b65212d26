package dev.tryst.api;

import dev.tryst.identity.Identity;
import dev.tryst.identity.IdentityKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * This machine's long-term identity: an Ed25519 key in a file readable only by its owner (mode
 * 0600), by default {@code $XDG_CONFIG_HOME/tryst/identity} or {@code ~/.config/tryst/identity}.
 * Others reach it by its public key; its fingerprint is the short form people compare.
 */
public final class LocalIdentity {
    final Identity identity;
    private final Path file;
    private final boolean created;

    private LocalIdentity(Identity identity, Path file, boolean created) {
        this.identity = identity;
        this.file = file;
        this.created = created;
    }

    /** The default identity file. */
    public static Path defaultFile() {
        return Identity.defaultFile();
    }

    /** Loads the identity in {@code file}, creating it (and its folder) on first use. */
    public static LocalIdentity loadOrCreate(Path file) throws TrystException {
        Objects.requireNonNull(file, "file");
        boolean existed = Files.exists(file);
        try {
            return new LocalIdentity(Identity.loadOrCreate(file), file, !existed);
        } catch (IOException | IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT,
                    "cannot use the identity in " + file + ": " + e.getMessage(), e);
        }
    }

    /** A fresh identity that lives in memory only (tests, one-off programs). */
    public static LocalIdentity ephemeral() {
        return new LocalIdentity(Identity.generate(), null, true);
    }

    /** Whether {@link #loadOrCreate} made it just now. */
    public boolean created() {
        return created;
    }

    /** Where it is kept, or null for an ephemeral one. */
    public Path file() {
        return file;
    }

    /** The short form to compare, e.g. {@code SHA256:3b6a27bc…}. */
    public String fingerprint() {
        return identity.publicKey().fingerprint();
    }

    /** The public key, 64 hex digits: what others address messages and connections to. */
    public String publicKey() {
        return identity.publicKey().toHex();
    }

    /** The fingerprint of a public key given as 64 hex digits. */
    public static String fingerprintOf(String publicKeyHex) throws TrystException {
        return key(publicKeyHex).fingerprint();
    }

    static IdentityKey key(String publicKeyHex) throws TrystException {
        try {
            return IdentityKey.fromHex(publicKeyHex.strip());
        } catch (IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "'" + publicKeyHex + "' is not a public key ("
                    + e.getMessage() + ")", "give the 64 hex digits the recipient's 'tryst id' shows as 'public key'", e);
        }
    }

    @Override
    public String toString() {
        return "LocalIdentity[" + fingerprint() + "]";
    }
}
