package dev.tryst.api;

import java.time.Duration;

/**
 * A finished send, confirmed by the receiver.
 *
 * @param bytes   bytes sent (files: only what the receiver did not have)
 * @param skipped files the receiver already had
 * @param resumed files resumed from what the receiver held
 * @param elapsed from connecting to the receiver's confirmation
 */
public record Sent(long bytes, int skipped, int resumed, Duration elapsed) {}
