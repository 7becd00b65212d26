package dev.tryst.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/** What the peer hears of our own I/O failures: why, never where (found in review: ABORT carried local paths). */
class LocalIoExceptionTest {
    @Test
    void thePeerHearsWhyButNotWhere() {
        var denied = new LocalIoException("could not write /home/ann/Downloads/.a.bin.tryst-part", "could not write a.bin",
                new AccessDeniedException("/home/ann/Downloads/.a.bin.tryst-part"));
        assertTrue(denied.getMessage().contains("/home/ann/Downloads"), "the local user hears where");
        assertFalse(denied.peerMessage().contains("/home"), denied.peerMessage());
        assertEquals("could not write a.bin: AccessDenied", denied.peerMessage());

        var full = new LocalIoException("could not write /srv/x/.b.tryst-part", "could not write b",
                new FileSystemException("/srv/x/.b.tryst-part", null, "No space left on device"));
        assertEquals("could not write b: No space left on device", full.peerMessage());

        var pipe = new LocalIoException("could not write the output", new IOException("Broken pipe"));
        assertEquals("could not write the output: Broken pipe", pipe.peerMessage());
    }
}
