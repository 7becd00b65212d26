package dev.tryst.api;

/**
 * The outcome of {@link Peers#pair}: the other identity, stored here under {@code contact}'s name.
 *
 * @param contact        the other side, as stored here
 * @param alreadyKnown   it was a contact already (under that name); nothing was changed here
 * @param storedThere    the other side says it stored us; false: {@code thereReason} says why not
 * @param thereReason    the other side's reason for not storing us, or null
 */
public record Paired(Contact contact, boolean alreadyKnown, boolean storedThere, String thereReason) {}
