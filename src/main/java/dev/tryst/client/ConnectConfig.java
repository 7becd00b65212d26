package dev.tryst.client;

import dev.tryst.channel.Handshake;
import dev.tryst.path.PathConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The time bounds of reaching a peer with a code, validated on construction.
 *
 * @param connect     reaching a server (rendezvous or relay), and one step of talking to it
 * @param waitForPeer how long the other side may take to come (the sender waits longer: it prints
 *                    the code and the receiver has to type it)
 * @param idle        a session without a sign of life from the peer for this long is over
 * @param direct      whether direct paths are tried (else the relay alone)
 * @param paths       the race of paths
 */
public record ConnectConfig(Duration connect, Duration waitForPeer, Duration idle, boolean direct, PathConfig paths) {
    public ConnectConfig {
        positive(connect, "connect");
        positive(waitForPeer, "waitForPeer");
        positive(idle, "idle");
        Objects.requireNonNull(paths, "paths");
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    /** connect 10 s, waiting 10 min for a receiver or 2 min for a sender, idle 60 s, direct paths tried. */
    public static ConnectConfig defaults(Handshake.Role role) {
        return new ConnectConfig(Duration.ofSeconds(10),
                role == Handshake.Role.INITIATOR ? Duration.ofMinutes(10) : Duration.ofMinutes(2),
                Duration.ofSeconds(60), true, PathConfig.defaults());
    }

    public ConnectConfig withWaitForPeer(Duration d) {
        return new ConnectConfig(connect, d, idle, direct, paths);
    }

    public ConnectConfig withDirect(boolean on) {
        return new ConnectConfig(connect, waitForPeer, idle, on, paths);
    }

    public ConnectConfig withPaths(PathConfig p) {
        return new ConnectConfig(connect, waitForPeer, idle, direct, p);
    }
}
