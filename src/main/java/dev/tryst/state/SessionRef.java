package dev.tryst.state;

import java.util.Objects;

/**
 * Names one control session wherever it lives: the node that holds its socket and the session's
 * number there. Sessions are reached only through the {@link Bus} by this name, never by a direct
 * call, so a session on another node is reached the same way.
 */
public record SessionRef(String node, long id) {
    public SessionRef {
        Objects.requireNonNull(node, "node");
    }

    @Override
    public String toString() {
        return node + "/" + id;
    }
}
