package dev.tryst.transfer;

import dev.tryst.wire.TransferWire;
import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.SecureChannel;
import dev.tryst.wire.TransferWire.Abort;
import dev.tryst.wire.TransferWire.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The conversation steps both transfer kinds share: waiting for a message, ending, refusing, aborting. */
final class Peer {
    private Peer() {}

    static Message expect(SecureChannel ch, String what) throws IOException {
        ByteBuffer r = ch.receive();
        if (r == null) {
            throw new ChannelCutException("the other side ended the session before " + what);
        }
        return TransferWire.decode(r);
    }

    /**
     * Waits for the peer's end record, so that neither side closes its socket with the other's
     * last record unread (which would reset the connection instead of ending it).
     */
    static void expectEnd(SecureChannel ch) throws IOException {
        ByteBuffer extra = ch.receive();
        if (extra != null) {
            throw unexpected(ch, TransferWire.decode(extra), "the end of the session");
        }
    }

    static TransferException aborted(Abort a) {
        return new TransferException(TransferException.Reason.ABORTED_BY_PEER, "the other side stopped: " + printable(a.reason()));
    }

    /** A message out of place: tell the peer (best effort) and fail. */
    static TransferException unexpected(SecureChannel ch, Message m, String wanted) {
        String why = "the other side sent " + m.getClass().getSimpleName().toUpperCase() + " where " + wanted + " belongs";
        tryToSend(ch, new Abort(why));
        return new TransferException(TransferException.Reason.UNEXPECTED_MESSAGE, why);
    }

    /** The peer broke the protocol's rules: tell it why and fail with that reason. */
    static TransferException refuse(SecureChannel ch, TransferException.Reason reason, String why) {
        return refuse(ch, reason, why, why);
    }

    /** As {@link #refuse(SecureChannel, TransferException.Reason, String)}, telling the peer less than the local user. */
    static TransferException refuse(SecureChannel ch, TransferException.Reason reason, String forPeer, String forUser) {
        tryToSend(ch, new Abort(forPeer));
        return new TransferException(reason, forUser);
    }

    /** Tells the peer we stop because of our own trouble, then hands the error back for throwing. */
    static LocalIoException abort(SecureChannel ch, LocalIoException e) {
        tryToSend(ch, new Abort(e.peerMessage())); // no local path goes to the peer
        return e;
    }

    static void tryToSend(SecureChannel ch, Message m) {
        try {
            ch.send(TransferWire.encode(m));
        } catch (IOException | RuntimeException ignored) {
            // best effort: the peer may already be gone
        }
    }

    /** A peer's text with control characters replaced, so it cannot drive the terminal. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts a reader for the receiver's verdict (DONE or ABORT), handing PROGRESS reports to
     * {@code progress} on the way, so a sender that is busy writing still hears an ABORT at once.
     */
    static java.util.concurrent.CompletableFuture<Message> verdict(SecureChannel ch, StreamTransfer.Progress progress) {
        var verdict = new java.util.concurrent.CompletableFuture<Message>();
        Thread.ofVirtual().name("tryst-verdict").start(() -> {
            try {
                while (true) {
                    Message m = expect(ch, "the receiver's confirmation");
                    if (m instanceof TransferWire.Progress p) {
                        progress.bytes(p.bytes());
                    } else {
                        verdict.complete(m);
                        return;
                    }
                }
            } catch (Throwable e) {
                verdict.completeExceptionally(e);
            }
        });
        return verdict;
    }

    static Message await(java.util.concurrent.CompletableFuture<Message> verdict) throws IOException {
        try {
            return verdict.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the receiver");
        }
    }

    /** The verdict if it comes within a moment: after a failed write, the receiver's ABORT may still be in flight. */
    static Message verdictNow(java.util.concurrent.CompletableFuture<Message> verdict) {
        try {
            return verdict.get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    /** A failed write usually means the receiver gave up: its ABORT reason is worth more than our I/O error. */
    static IOException failedSend(java.util.concurrent.CompletableFuture<Message> verdict, IOException e) {
        return verdictNow(verdict) instanceof Abort a ? aborted(a) : e;
    }

    /** The sender's end of a transfer: the receiver's DONE (or why not), our half-close, then its end. */
    static void finishSending(SecureChannel ch, java.util.concurrent.CompletableFuture<Message> verdict) throws IOException {
        awaitDone(ch, verdict);
        ch.shutdownOutput();
        expectEnd(ch);
    }

    /** The receiver's end of a transfer: DONE, our half-close, then the sender's end. */
    static void confirmDone(SecureChannel ch) throws IOException {
        ch.send(TransferWire.encode(new TransferWire.Done()));
        ch.shutdownOutput();
        expectEnd(ch);
    }

    /** The receiver said no (and maybe why). */
    static TransferException declined(TransferWire.Decline d) {
        return new TransferException(TransferException.Reason.DECLINED,
                "the receiver declined" + (d.reason().isEmpty() ? "" : ": " + printable(d.reason())));
    }

    /** Waits for the receiver's verdict: DONE is success, anything else fails with the reason. */
    static void awaitDone(SecureChannel ch, java.util.concurrent.CompletableFuture<Message> verdict) throws IOException {
        switch (await(verdict)) {
            case TransferWire.Done d -> { }
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(ch, m, "DONE");
        }
    }

    /**
     * Opens {@code p} without following a link, and only if it is a regular file: a FIFO or device
     * put in its place (since the scan, or as a part file) would block the open or never end.
     */
    static java.nio.channels.FileChannel openRegular(java.nio.file.Path p, java.nio.file.StandardOpenOption... options)
            throws IOException {
        if (!java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(p + " is not a regular file (any more)");
        }
        java.util.Set<java.nio.file.OpenOption> o = new java.util.HashSet<>(java.util.List.of(options));
        o.add(java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return java.nio.channels.FileChannel.open(p, o);
    }

    /** Hashes the first {@code length} bytes of {@code file} into {@code digest}; returns how many there were. */
    static long hash(java.nio.file.Path file, long length, MessageDigest digest) throws IOException {
        try (var f = openRegular(file, java.nio.file.StandardOpenOption.READ)) {
            return hash(f, length, digest);
        }
    }

    /** Hashes the next {@code length} bytes of {@code f} (or up to its end) into {@code digest}; returns how many there were. */
    static long hash(java.nio.channels.FileChannel f, long length, MessageDigest digest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        long done = 0;
        while (done < length) {
            b.clear().limit((int) Math.min(b.capacity(), length - done));
            int n = f.read(b);
            if (n < 0) {
                break;
            }
            digest.update(b.array(), 0, n);
            done += n;
        }
        return done;
    }
}
