package dev.tryst.api;

import java.time.Instant;

/**
 * A message from the inbox, opened and checked: its sender proved itself inside the seal.
 *
 * @param order     its place in this identity's inbox at the server (strictly increasing)
 * @param sent      when its sender sealed it, by the sender's clock, signed inside the seal
 * @param stored    when the server stored it (the server's word, unsigned)
 * @param sender    the sender's fingerprint
 * @param senderKey the sender's public key (64 hex digits)
 * @param text      the text, as the sender wrote it (a program that prints it must make it safe to print)
 */
public record InboxMessage(long order, Instant sent, Instant stored, String sender, String senderKey, String text) {}
