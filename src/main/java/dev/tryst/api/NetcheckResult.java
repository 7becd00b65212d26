package dev.tryst.api;

/**
 * What {@code netcheck} found, one finding at a time, as each is known.
 */
public sealed interface NetcheckResult {
    /** The address and port the STUN server saw our UDP socket come from, or null and why (no answer, no server). */
    record Stun(String mapped, String why) implements NetcheckResult {}

    /** The path a transfer would take (null: none worked, and why), and how long the race took. */
    record Tcp(PathInfo path, long millis, String why) implements NetcheckResult {}

    /**
     * The direct UDP path punched to the other side (its address, null: none), how long it took
     * (-1: not tried), whether the birthday spray was needed, and why it was not tried.
     */
    record Udp(String peer, long millis, boolean sprayed, String why) implements NetcheckResult {}
}
