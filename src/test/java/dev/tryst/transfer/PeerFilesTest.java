package dev.tryst.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FIFO where a file is expected (swapped in for a source after the scan, or planted as a part
 * file) is refused; opening it would block until someone writes or reads the other end.
 */
@Timeout(20)
class PeerFilesTest {
    @TempDir
    Path dir;

    @Test
    void aFifoIsRefusedNotOpened() throws Exception {
        Path fifo = dir.resolve(".photo.jpg.tryst-part");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertThrows(IOException.class, () -> Peer.hash(fifo, 100, sha), "resume hashing of a source or part");
        assertThrows(IOException.class, () -> Peer.openRegular(fifo, StandardOpenOption.WRITE), "writing a part");
        assertThrows(IOException.class, () -> Peer.openRegular(fifo, StandardOpenOption.READ), "sending a source");

        Path file = dir.resolve("real");
        Files.write(file, new byte[] {1, 2, 3});
        assertEquals(3, Peer.hash(file, 100, sha), "a regular file is hashed as before");
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, file);
        assertThrows(IOException.class, () -> Peer.openRegular(link, StandardOpenOption.READ), "links are not followed");
    }
}
