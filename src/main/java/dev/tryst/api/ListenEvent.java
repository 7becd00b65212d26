package dev.tryst.api;

/** What a listener ({@link Peers#listen}) does, for its log; no secret is ever in one. */
public sealed interface ListenEvent {
    /** Logged in to {@code server}, reachable; offering {@code offers}. */
    record Online(String server, String offers) implements ListenEvent {}

    /** Not logged in ({@code why}); trying again in {@code retryInMillis}. */
    record Offline(String why, long retryInMillis) implements ListenEvent {}

    /** A request from an identity that is not a contact, denied without anything else seeing it. */
    record Denied(String fingerprint, String publicKey) implements ListenEvent {}

    /** A contact's request, accepted; its paths are being raced. */
    record Accepted(String peer) implements ListenEvent {}

    /** A contact is connected on {@code path}, for {@code purpose} ("streams" or "files"). */
    record Connected(String peer, PathInfo path, String purpose) implements ListenEvent {}

    /** A contact's session moved to another path. */
    record Moved(String peer, PathInfo path, String why) implements ListenEvent {}

    /** A contact could not be connected, or its session failed. */
    record Failed(String peer, String why) implements ListenEvent {}

    /** A contact's session ended ({@code why} null: cleanly). */
    record Ended(String peer, String why) implements ListenEvent {}

    /** A stream opened to {@code what} (the pipe, a port and where it leads). */
    record StreamOpened(String peer, String what) implements ListenEvent {}

    /** A stream refused, with the reason the peer is told. */
    record StreamRefused(String peer, String what, String why) implements ListenEvent {}

    /** A stream ended ({@code why} null: cleanly). */
    record StreamClosed(String peer, String what, String why) implements ListenEvent {}

    /** Files from a contact, received and verified. */
    record FilesReceived(String peer, Received received) implements ListenEvent {}
}
