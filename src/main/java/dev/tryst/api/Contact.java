package dev.tryst.api;

/**
 * An identity known here by name ({@link Peers#contacts()}).
 *
 * @param name        what this machine calls it (a-z, 0-9, '.', '_', '-')
 * @param publicKey   its Ed25519 public key, 64 hex digits
 * @param fingerprint the short form people compare
 */
public record Contact(String name, String publicKey, String fingerprint) {
    static Contact of(dev.tryst.identity.Contacts.Contact c) {
        return new Contact(c.name(), c.key().toHex(), c.key().fingerprint());
    }
}
