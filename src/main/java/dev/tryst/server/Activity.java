package dev.tryst.server;

/**
 * What a service tells its operator happened, for structured log lines: an event name
 * ({@code room_opened}, {@code pair_ended}, {@code login}…) and its fields as alternating keys and
 * values. A service never puts a secret here: no pairing key, no code words, no message content;
 * a room's number, addresses, byte counts and an identity's public fingerprint are fine.
 * Called on the service's own threads, so it must be quick and must not throw.
 */
@FunctionalInterface
public interface Activity {
    /** Hears nothing. */
    Activity NONE = (event, keyValues) -> { };

    void record(String event, Object... keyValues);
}
