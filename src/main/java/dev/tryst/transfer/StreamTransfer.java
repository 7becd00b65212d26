package dev.tryst.transfer;

import static dev.tryst.transfer.TransferWire.*;

import dev.tryst.channel.ChannelCutException;
import dev.tryst.channel.SecureChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Sends one text or byte stream over a {@link SecureChannel} and receives it on the other side
 * (see {@link TransferWire} for the messages). The sender learns of success only from the
 * receiver's DONE, sent after the receiver checked the byte count and SHA-256.
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
    public static long send(SecureChannel ch, byte kind, InputStream in, long size, Progress progress) throws IOException {
        ch.send(encode(new Offer(kind, size)));
        switch (expect(ch, "an answer to the offer")) {
            case Accept a -> { }
            case Decline d -> throw new TransferException(TransferException.Reason.DECLINED,
                    "the receiver declined" + (d.reason().isEmpty() ? "" : ": " + printable(d.reason())));
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(m, "ACCEPT");
        }
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 + 65535];
        buf[0] = DATA;
        long total = 0;
        for (int n; (n = readFull(in, buf, 1, buf.length - 1)) > 0; ) {
            sha.update(buf, 1, n);
            ch.send(buf, 0, 1 + n);
            total += n;
            progress.bytes(total);
        }
        if (size >= 0 && total != size) {
            throw new IOException("the input changed while sending: " + total + " bytes instead of " + size);
        }
        ch.send(encode(new End(total, HexFormat.of().formatHex(sha.digest()))));
        switch (expect(ch, "the receiver's confirmation")) {
            case Done d -> { }
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(m, "DONE");
        }
        ch.shutdownOutput();
        expectEnd(ch);
        return total;
    }

    /** Accepts the peer's offer and writes what arrives to {@code out}, verifying count and hash. */
    public static Received receive(SecureChannel ch, OutputStream out, Progress progress) throws IOException {
        Offer offer = switch (expect(ch, "an offer")) {
            case Offer o -> o;
            case Abort a -> throw aborted(a);
            case Message m -> throw unexpected(m, "OFFER");
        };
        ch.send(encode(new Accept()));
        MessageDigest sha = sha256();
        long total = 0;
        byte[] copy = new byte[65535];
        while (true) {
            switch (expect(ch, "the rest of the data")) {
                case Data d -> {
                    ByteBuffer p = d.payload();
                    int n = p.remaining();
                    long limit = offer.kind() == KIND_TEXT ? MAX_TEXT : Long.MAX_VALUE;
                    if ((offer.size() >= 0 && total + n > offer.size()) || total + n > limit) {
                        String why = "the sender sent more than the " + (offer.size() >= 0 ? offer.size() : limit)
                                + " bytes it offered";
                        ch.send(encode(new Abort(why)));
                        throw new TransferException(TransferException.Reason.VERIFICATION_FAILED, why);
                    }
                    p.get(copy, 0, n);
                    sha.update(copy, 0, n);
                    out.write(copy, 0, n);
                    total += n;
                    progress.bytes(total);
                }
                case End e -> {
                    String hash = HexFormat.of().formatHex(sha.digest());
                    if (e.total() != total || !hash.equals(e.sha256Hex())
                            || (offer.size() >= 0 && total != offer.size())) {
                        String why = "the data did not verify: got " + total + " bytes, the sender said " + e.total()
                                + (hash.equals(e.sha256Hex()) ? "" : ", and the SHA-256 differs");
                        ch.send(encode(new Abort(why)));
                        throw new TransferException(TransferException.Reason.VERIFICATION_FAILED, why);
                    }
                    out.flush();
                    ch.send(encode(new Done()));
                    ch.shutdownOutput();
                    expectEnd(ch);
                    return new Received(offer.kind(), total);
                }
                case Abort a -> throw aborted(a);
                case Message m -> throw unexpected(m, "DATA or END");
            }
        }
    }

    /**
     * Waits for the peer's end record, so that neither side closes its socket with the other's
     * last record unread (which would reset the connection instead of ending it).
     */
    private static void expectEnd(SecureChannel ch) throws IOException {
        ByteBuffer extra = ch.receive();
        if (extra != null) {
            throw unexpected(decode(extra), "the end of the session");
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

    private static TransferException unexpected(Message m, String wanted) {
        return new TransferException(TransferException.Reason.UNEXPECTED_MESSAGE,
                "the other side sent " + m.getClass().getSimpleName().toUpperCase() + " where " + wanted + " belongs");
    }

    /** Fills {@code buf[off..off+len)} as far as the stream allows; 0 only at the end of the stream. */
    static int readFull(InputStream in, byte[] buf, int off, int len) throws IOException {
        int got = 0;
        while (got < len) {
            int n = in.read(buf, off + got, len - got);
            if (n < 0) {
                break;
            }
            got += n;
        }
        return got;
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
