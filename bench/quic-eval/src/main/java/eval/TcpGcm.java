package eval;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.*;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

/** Reference row: plain TCP on loopback, payload sealed in AES-256-GCM records of 16 KiB (len u32 | ciphertext+tag). */
public final class TcpGcm {
    static final int RECORD = 16 * 1024;

    static final class Sealer {
        final Cipher c; final SecretKeySpec k; long n; final boolean enc;
        Sealer(byte[] key, boolean enc) throws Exception { c = Cipher.getInstance("AES/GCM/NoPadding"); k = new SecretKeySpec(key, "AES"); this.enc = enc; }
        int run(byte[] in, int inOff, int len, byte[] out, int outOff) throws Exception {
            byte[] iv = ByteBuffer.allocate(12).putLong(4, n++).array();
            c.init(enc ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, iv));
            return c.doFinal(in, inOff, len, out, outOff);
        }
    }

    /** Runs one transfer of `bytes` (client → server), returns nanoseconds from first byte to server's ack. */
    static long transfer(long bytes) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = ss.accept()) {
                    DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
                    Sealer open = new Sealer(key, false);
                    byte[] ct = new byte[RECORD + 16], pt = new byte[RECORD];
                    long count = 0;
                    for (int len; (len = in.readInt()) > 0; ) {
                        in.readFully(ct, 0, len);
                        count += open.run(ct, 0, len, pt, 0);
                    }
                    new DataOutputStream(s.getOutputStream()).writeLong(count);
                } catch (Exception e) { throw new RuntimeException(e); }
            });
            try (Socket s = new Socket(ss.getInetAddress(), ss.getLocalPort())) {
                OutputStream out = s.getOutputStream();
                Sealer seal = new Sealer(key, true);
                byte[] pt = new byte[RECORD], rec = new byte[4 + RECORD + 16];
                long t0 = System.nanoTime();
                for (long sent = 0; sent < bytes; sent += RECORD) {
                    int n = seal.run(pt, 0, RECORD, rec, 4);
                    ByteBuffer.wrap(rec).putInt(0, n);
                    out.write(rec, 0, 4 + n);
                }
                out.write(new byte[4]);  // len 0 = end
                long got = new DataInputStream(s.getInputStream()).readLong();
                long t = System.nanoTime() - t0;
                if (got < bytes) throw new IOException("server counted " + got);
                server.join();
                return t;
            }
        }
    }
}
