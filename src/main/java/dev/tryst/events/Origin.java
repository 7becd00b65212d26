package dev.tryst.events;

import dev.tryst.wire.Bytes;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Where an event came from, as the server saw it: the identity of the session that sent it and that
 * session's source group ({@code dev.tryst.net.AddressGroup}: an IPv4 address, an IPv6 /64). A
 * sealed message hides its real sender; this is what the server can ration by. A store keeps only
 * keyed hashes of the two, enough to count what each has stored, not enough to say who they are.
 */
public record Origin(Bytes identity, InetAddress source) {
    public Origin {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(source, "source");
    }
}
