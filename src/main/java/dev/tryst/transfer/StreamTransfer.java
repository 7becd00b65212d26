package dev.tryst.transfer;

import static dev.tryst.transfer.Peer.*;
import static dev.tryst.wire.TransferWire.*;

import dev.tryst.channel.SecureChannel;
import dev.tryst.session.Session;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

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
            case Decline d -> throw declined(d);
            case Abort a -> throw aborted(a);
            case Message m -> throw Peer.unexpected(ch, m, "ACCEPT");
        }
        CompletableFuture<Message> verdict = verdict(ch, StreamTransfer.Progress.NONE);
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
            throw failedSend(verdict, e);
        }
        finishSending(ch, verdict);
        return total;
    }

    /** Waits for what the sender offers: an {@link Offer} (text, stream) or an {@link OfferFiles}. */
    public static Message awaitOffer(Session session) throws IOException {
        SecureChannel ch = session.channel();
        return switch (expect(ch, "an offer")) {
            case Offer o -> o;
            case OfferFiles o -> o;
            case Abort a -> throw aborted(a);
            case Message m -> throw Peer.unexpected(ch, m, "OFFER or OFFER_FILES");
        };
    }

    /** Accepts the peer's offer and writes what arrives to {@code out}, verifying count and hash. */
    public static Received receive(Session session, OutputStream out, Progress progress) throws IOException {
        SecureChannel ch = session.channel();
        Offer offer = switch (expect(ch, "an offer")) {
            case Offer o -> o;
            case Abort a -> throw aborted(a);
            case Message m -> throw Peer.unexpected(ch, m, "OFFER");
        };
        return receive(session, offer, out, progress);
    }

    /** Accepts {@code offer}, already read, and writes what arrives to {@code out}, verifying count and hash. */
    public static Received receive(Session session, Offer offer, OutputStream out, Progress progress) throws IOException {
        SecureChannel ch = session.channel();
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
                        throw Peer.refuse(ch, TransferException.Reason.VERIFICATION_FAILED, "the sender sent more than the " + limit + " bytes it offered");
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
                        throw Peer.refuse(ch, TransferException.Reason.VERIFICATION_FAILED, "the data did not verify: got " + total + " bytes, the sender said " + e.total()
                                + (hash.equals(e.sha256Hex()) ? "" : ", and the SHA-256 differs"));
                    }
                    if (held != null) {
                        write(session, ch, out, held.toByteArray(), held.size());
                    }
                    session.local(() -> {
                        out.flush();
                        return null;
                    });
                    confirmDone(ch);
                    return new Received(offer.kind(), total);
                }
                case Abort a -> throw aborted(a);
                case Message m -> throw Peer.unexpected(ch, m, "DATA or END");
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


}
