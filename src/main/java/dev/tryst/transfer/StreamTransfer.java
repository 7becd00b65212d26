package dev.tryst.transfer;

import static dev.tryst.transfer.TransferWire.*;

import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.SecureChannel;
import dev.tryst.client.Session;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Sends one text or byte stream over a {@link Session} and receives it on the other side (see
 * {@link TransferWire} for the messages).
 *
 * <p>Sender: (1) OFFER, wait for ACCEPT; (2) start a reader that waits for the receiver's verdict,
 * so an ABORT mid-stream is heard at once; (3) stream DATA, reading input with the idle watchdog
 * paused; (4) END with count and SHA-256; (5) success only on DONE; (6) end records both ways.
 *
 * <p>Receiver: text is held until it verifies and only then written; a stream is written as it
 * arrives (it may be larger than memory), so on failure the output must be discarded, which the
 * exit code says.
 */
public final class StreamTransfer {
    private StreamTransfer() {}

    /** Progress callback: bytes so far. Called from the transferring thread. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = n -> {};

        void bytes(long soFar);
    }

    /** What the receiver was offered and got. */
    public record Received(byte kind, long bytes) {}

    /**
     * Offers and streams {@code in} to the peer; returns the byte count once the peer confirmed it.
     *
     * @param size the exact length when known, else -1
     */
    public static long send(Session session, byte kind, InputStream in, long size, Progress progress) throws IOException {
        SecureChannel ch = session.channel();
        ch.send(encode(new Offer(kind, size)));
        switch (expect(ch, "an answer to the offer")) {
            case Accept a -> { }
            case Decline d -> throw new TransferException(TransferException.Reason.DECLINED,
                    "the receiver declined" + (d.reason().isEmpty() ? "" : ": " + printable(d.reason())));
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(ch, m, "ACCEPT");
        }
        CompletableFuture<Message> verdict = new CompletableFuture<>();
        Thread.ofVirtual().name("tryst-verdict").start(() -> {
            try {
                verdict.complete(expect(ch, "the receiver's confirmation"));
            } catch (Throwable e) {
                verdict.completeExceptionally(e);
            }
        });
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 + 65535];
        buf[0] = DATA;
        long total = 0;
        try {
            while (!verdict.isDone()) {
                int n = session.local(() -> readInput(in, buf, 1, buf.length - 1));
                if (n < 0) {
                    break;
                }
                sha.update(buf, 1, n);
                ch.send(buf, 0, 1 + n);
                total += n;
                progress.bytes(total);
            }
            if (!verdict.isDone()) {
                if (size >= 0 && total != size) {
                    throw abort(ch, new LocalIoException("the input changed while sending",
                            new IOException(total + " bytes instead of " + size)));
                }
                ch.send(encode(new End(total, HexFormat.of().formatHex(sha.digest()))));
            }
        } catch (LocalIoException e) {
            throw abort(ch, e);
        } catch (IOException e) {
            // A failed write usually means the receiver gave up: its reason is worth more than ours.
            Message m = verdictNow(verdict);
            if (m instanceof Abort a) {
                throw aborted(a);
            }
            throw e;
        }
        switch (await(verdict)) {
            case Done d -> { }
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(ch, m, "DONE");
        }
        ch.shutdownOutput();
        expectEnd(ch);
        return total;
    }

    /** Accepts the peer's offer and writes what arrives to {@code out}, verifying count and hash. */
    public static Received receive(Session session, OutputStream out, Progress progress) throws IOException {
        SecureChannel ch = session.channel();
        Offer offer = switch (expect(ch, "an offer")) {
            case Offer o -> o;
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(ch, m, "OFFER");
        };
        ch.send(encode(new Accept()));
        boolean text = offer.kind() == KIND_TEXT;
        long limit = offer.size() >= 0 ? offer.size() : text ? MAX_TEXT : Long.MAX_VALUE;
        ByteArrayOutputStream held = text ? new ByteArrayOutputStream() : null;
        MessageDigest sha = sha256();
        long total = 0;
        byte[] copy = new byte[65535];
        while (true) {
            switch (expect(ch, "the rest of the data")) {
                case Data d -> {
                    ByteBuffer p = d.payload();
                    int n = p.remaining();
                    if (total + n > limit) {
                        throw rejected(ch, "the sender sent more than the " + limit + " bytes it offered");
                    }
                    p.get(copy, 0, n);
                    sha.update(copy, 0, n);
                    if (held != null) {
                        held.write(copy, 0, n);
                    } else {
                        write(session, ch, out, copy, n);
                    }
                    total += n;
                    progress.bytes(total);
                }
                case End e -> {
                    String hash = HexFormat.of().formatHex(sha.digest());
                    if (e.total() != total || !hash.equals(e.sha256Hex()) || (offer.size() >= 0 && total != offer.size())) {
                        throw rejected(ch, "the data did not verify: got " + total + " bytes, the sender said " + e.total()
                                + (hash.equals(e.sha256Hex()) ? "" : ", and the SHA-256 differs"));
                    }
                    if (held != null) {
                        write(session, ch, out, held.toByteArray(), held.size());
                    }
                    session.local(() -> {
                        out.flush();
                        return null;
                    });
                    ch.send(encode(new Done()));
                    ch.shutdownOutput();
                    expectEnd(ch);
                    return new Received(offer.kind(), total);
                }
                case Abort a -> throw aborted(a);
                case Message m -> throw unexpected(ch, m, "DATA or END");
            }
        }
    }

    private static void write(Session session, SecureChannel ch, OutputStream out, byte[] b, int n) throws IOException {
        try {
            session.local(() -> {
                out.write(b, 0, n);
                return null;
            });
        } catch (IOException e) {
            throw abort(ch, new LocalIoException("could not write the output", e));
        }
    }

    /** One read of the input: whatever is there now (so interactive streams flow), -1 at its end. */
    private static int readInput(InputStream in, byte[] buf, int off, int len) throws LocalIoException {
        try {
            int n;
            do {
                n = in.read(buf, off, len);
            } while (n == 0);
            return n;
        } catch (IOException e) {
            throw new LocalIoException("could not read the input", e);
        }
    }

    /** Tells the peer we stop because of our own trouble, then hands the error back for throwing. */
    private static LocalIoException abort(SecureChannel ch, LocalIoException e) {
        tryToSend(ch, new Abort(e.getMessage()));
        return e;
    }

    private static TransferException rejected(SecureChannel ch, String why) {
        tryToSend(ch, new Abort(why));
        return new TransferException(TransferException.Reason.VERIFICATION_FAILED, why);
    }

    private static void tryToSend(SecureChannel ch, Message m) {
        try {
            ch.send(encode(m));
        } catch (IOException | RuntimeException ignored) {
            // best effort: the peer may already be gone
        }
    }

    private static Message await(CompletableFuture<Message> verdict) throws IOException {
        try {
            return verdict.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the receiver");
        }
    }

    private static Message verdictNow(CompletableFuture<Message> verdict) {
        try {
            // The receiver's ABORT may still be in flight behind the reset; give it a moment.
            return verdict.get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Waits for the peer's end record, so that neither side closes its socket with the other's
     * last record unread (which would reset the connection instead of ending it).
     */
    private static void expectEnd(SecureChannel ch) throws IOException {
        ByteBuffer extra = ch.receive();
        if (extra != null) {
            throw unexpected(ch, decode(extra), "the end of the session");
        }
    }

    private static Message expect(SecureChannel ch, String what) throws IOException {
        ByteBuffer r = ch.receive();
        if (r == null) {
            throw new ChannelCutException("the other side ended the session before " + what);
        }
        return decode(r);
    }

    private static TransferException aborted(Abort a) {
        return new TransferException(TransferException.Reason.ABORTED_BY_PEER,
                "the other side stopped: " + printable(a.reason()));
    }

    private static TransferException unexpected(SecureChannel ch, Message m, String wanted) {
        String why = "the other side sent " + m.getClass().getSimpleName().toUpperCase() + " where " + wanted + " belongs";
        tryToSend(ch, new Abort(why));
        return new TransferException(TransferException.Reason.UNEXPECTED_MESSAGE, why);
    }

    /** A peer's text with control characters replaced, so it cannot drive the terminal. */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
