package dev.tryst.transfer;

import dev.tryst.wire.TransferWire;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.tryst.wire.WireException;

/**
 * Per-chunk zstd for file data, used only where it helps. Each DATA_ZSTD record is one complete
 * frame, so chunks stay independent (a resume offset is always a plain file offset). The decision
 * is made from samples: a chunk that does not shrink below 90% turns compression off for the next
 * {@value #SKIP_AFTER_MISS} chunks of that file, so incompressible data costs one trial per 4 MiB.
 */
final class Compressor implements AutoCloseable {
    static final int LEVEL = 1;
    static final int MIN_LENGTH = 512;
    static final int SKIP_AFTER_MISS = 64;

    private final ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(LEVEL).setChecksum(false);
    private final byte[] out = new byte[1 + (int) Zstd.compressBound(TransferWire.MAX_CHUNK)];
    private int skip;

    /** A new file: sample again from its first chunk. */
    void newFile() {
        skip = 0;
    }

    /**
     * Tries to compress {@code in[off..off+len)}; returns the length of a DATA_ZSTD record built in
     * {@link #record()}, or -1 when the chunk should go raw.
     */
    int compress(byte[] in, int off, int len) {
        if (len < MIN_LENGTH) {
            return -1;
        }
        if (skip > 0) {
            skip--;
            return -1;
        }
        int n = ctx.compressByteArray(out, 1, out.length - 1, in, off, len);
        if (n >= len - len / 10) {
            skip = SKIP_AFTER_MISS;
            return -1;
        }
        out[0] = TransferWire.DATA_ZSTD;
        return 1 + n;
    }

    byte[] record() {
        return out;
    }

    @Override
    public void close() {
        ctx.close();
    }

    /** The receiving side: a frame must decompress to 1 .. 65535 bytes, or it is the peer's fault. */
    static final class Decompressor implements AutoCloseable {
        private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();

        int decompress(byte[] frame, int off, int len, byte[] into) throws WireException {
            try {
                int n = ctx.decompressByteArray(into, 0, TransferWire.MAX_CHUNK, frame, off, len);
                if (n < 1) {
                    throw new WireException("a DATA_ZSTD frame decompressed to nothing");
                }
                return n;
            } catch (ZstdException e) {
                throw new WireException("a DATA_ZSTD frame is not valid zstd of at most " + TransferWire.MAX_CHUNK
                        + " bytes: " + e.getMessage());
            }
        }

        @Override
        public void close() {
            ctx.close();
        }
    }
}
