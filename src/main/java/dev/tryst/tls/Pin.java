package dev.tryst.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a client decides that the server's certificate is the right one: always by its
 * {@link Fingerprint}, never by a certificate authority or the host name.
 */
public sealed interface Pin {

    /** Exactly this certificate (given on the command line or in the server address). */
    record Explicit(Fingerprint fingerprint) implements Pin {
        public Explicit {
            Objects.requireNonNull(fingerprint, "fingerprint");
        }
    }

    /**
     * Trust on first use, remembered in {@code knownServers}; see {@link KnownServers} for the
     * file format.
     */
    record TrustOnFirstUse(Path knownServers) implements Pin {
        public TrustOnFirstUse {
            Objects.requireNonNull(knownServers, "knownServers");
        }
    }

    static Pin fingerprint(Fingerprint fingerprint) {
        return new Explicit(fingerprint);
    }

    /** @throws IllegalArgumentException if {@code text} is not a fingerprint ({@link Fingerprint#parse}) */
    static Pin fingerprint(String text) {
        return new Explicit(Fingerprint.parse(text));
    }

    static Pin trustOnFirstUse(Path knownServers) {
        return new TrustOnFirstUse(knownServers);
    }
}
