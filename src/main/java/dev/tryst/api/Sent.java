package dev.tryst.api;

import java.time.Duration;

/**
 * A finished send, confirmed by the receiver.
 *
 * @param bytes   bytes sent (files: only what the receiver did not have)
 * @param skipped files the receiver already had
 * @param resumed files resumed from what the receiver held
 * @param elapsed from the first byte moved to the receiver's confirmation (not the wait for its yes)
 */
public record Sent(long bytes, int skipped, int resumed, Duration elapsed) {}
