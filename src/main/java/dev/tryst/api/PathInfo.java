package dev.tryst.api;

/**
 * The path a session travels: direct (with its transport and the peer's address) or through the
 * relay (with the relay's address).
 *
 * @param direct    true for a direct path, false through the relay
 * @param transport "tcp" or "quic" (over a punched UDP path) for a direct path; "relay" otherwise
 * @param address   the peer's address (direct) or the relay's, as {@code host:port}
 */
public record PathInfo(boolean direct, String transport, String address) {
    /** From a session's description: {@code "direct, tcp|quic ADDRESS"} or {@code "relayed via ADDRESS"}. */
    static PathInfo of(String description) {
        if (description.startsWith("direct, ")) {
            String[] parts = description.substring("direct, ".length()).split(" ", 2);
            return new PathInfo(true, parts[0], parts.length > 1 ? parts[1] : "");
        }
        if (description.startsWith("relayed via ")) {
            return new PathInfo(false, "relay", description.substring("relayed via ".length()));
        }
        return new PathInfo(false, "relay", description);
    }

    /** {@code "direct, tcp 203.0.113.7:40112"} or {@code "relayed via relay.example:8080"}. */
    @Override
    public String toString() {
        return direct ? "direct, " + transport + " " + address : "relayed via " + address;
    }
}
