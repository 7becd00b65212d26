package dev.tryst.channel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** In-memory byte channels for record-level tests: a recorder for what a channel writes, a replayer for what it reads. */
final class Streams {
    private Streams() {}

    /** A channel that records what is written to it and reads from a fixed byte array. */
    static final class Memory implements ByteChannel {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        private final WritableByteChannel out = Channels.newChannel(written);
        private final ReadableByteChannel in;
        private boolean open = true;

        Memory(byte[] toRead) {
            in = Channels.newChannel(new ByteArrayInputStream(toRead));
        }

        Memory() {
            this(new byte[0]);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return out.write(src);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    static byte[] key(int start) {
        byte[] k = new byte[32];
        for (int i = 0; i < 32; i++) {
            k[i] = (byte) (start + i);
        }
        return k;
    }

    static byte[] iv(int start) {
        byte[] k = new byte[12];
        for (int i = 0; i < 12; i++) {
            k[i] = (byte) (start + i);
        }
        return k;
    }

    /** A channel that seals into memory with key 0x00.. and iv 0xa0.. (the golden-test keys). */
    static SecureChannel writer(Memory m) {
        return new SecureChannel(m, RecordCipher.sealer(key(0), iv(0xa0)), RecordCipher.opener(key(0x40), iv(0xc0)));
    }

    /** The matching reader: its receive direction uses the writer's send keys. */
    static SecureChannel reader(byte[] stream) {
        return new SecureChannel(new Memory(stream), RecordCipher.sealer(key(0x40), iv(0xc0)),
                RecordCipher.opener(key(0), iv(0xa0)));
    }
}
