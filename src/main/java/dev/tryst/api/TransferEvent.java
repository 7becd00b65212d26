package dev.tryst.api;

/**
 * What happens during a transfer, in order, for whoever shows it: {@link CodeReady} (sender), then
 * {@link Connected}, {@link Progress} as bytes move, {@link Upgraded} if a session that started on the
 * relay moves to a direct path found later, and if a direct path dies, {@link PathBroke}
 * then {@link FellBack}; {@link Notice}s whenever there is something worth saying. The transfer's
 * result (or a {@link TrystException}) comes back from the call itself.
 */
public sealed interface TransferEvent {
    /** The code the receiver must type: show it now. */
    record CodeReady(String code) implements TransferEvent {}

    /** Something worth telling a person that does not stop the transfer (a skipped link, a fallback of the meeting). */
    record Notice(String text) implements TransferEvent {}

    /** The peer proved the code's keys on this path, which now carries the transfer. */
    record Connected(PathInfo path) implements TransferEvent {}

    /**
     * The session left the relay for this direct path, found after it started, between two records:
     * nothing was lost or resent. Told on the thread that moved it, while the transfer goes on.
     */
    record Upgraded(PathInfo path) implements TransferEvent {}

    /** Bytes of the whole offer that the receiver holds (files) or that moved (text, streams), of {@code total} (-1: unknown). */
    record Progress(long bytes, long total) implements TransferEvent {}

    /** The direct path died during a file transfer; the relay is being tried. */
    record PathBroke(String reason) implements TransferEvent {}

    /** Going on through the relay, from what was already verified. */
    record FellBack(PathInfo path, String reason) implements TransferEvent {}
}
