package dev.tryst.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContactsTest {
    @TempDir
    Path dir;

    private final IdentityKey a = Identity.generate().publicKey();
    private final IdentityKey b = Identity.generate().publicKey();

    @Test
    void beside_theIdentity() {
        assertEquals(dir.resolve("contacts"), Contacts.fileFor(dir.resolve("identity")));
        assertEquals(dir.resolve("work.key.contacts"), Contacts.fileFor(dir.resolve("work.key")));
    }

    @Test
    void addListRenameRemoveAndThePrivateFile() throws Exception {
        Path f = dir.resolve("cfg/contacts");
        assertTrue(Contacts.load(f).list().isEmpty(), "no file: no contacts");
        Contacts.add(f, "Laptop", a);
        Contacts.add(f, "desk", b);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Contacts c = Contacts.load(f);
        assertEquals(List.of(new Contacts.Contact("laptop", a), new Contacts.Contact("desk", b)), c.list());
        assertEquals(a, c.resolve("LAPTOP").key());
        assertEquals(b, c.resolve(b.fingerprint()).key());
        assertEquals(b, c.resolve(b.toHex().toUpperCase()).key());
        IdentityKey stranger = Identity.generate().publicKey();
        assertEquals(stranger, c.resolve(stranger.toHex()).key(), "any key can be named");
        Contacts.rename(f, "laptop", "old-laptop");
        Contacts.remove(f, "desk");
        assertEquals(List.of(new Contacts.Contact("old-laptop", a)), Contacts.load(f).list());
        assertTrue(Files.readString(f).startsWith("tryst/v1 contacts\nold-laptop " + a.toHex() + "\n"));
    }

    @Test
    void conflictsAreRefusedAndChangeNothing() throws Exception {
        Path f = dir.resolve("contacts");
        Contacts.add(f, "laptop", a);
        String before = Files.readString(f);
        var taken = assertThrows(Contacts.ContactsException.class, () -> Contacts.add(f, "laptop", b));
        assertTrue(taken.getMessage().contains("already exists"), taken.getMessage());
        var known = assertThrows(Contacts.ContactsException.class, () -> Contacts.add(f, "other", a));
        assertTrue(known.getMessage().contains("already the contact 'laptop'"), known.getMessage());
        Contacts.add(f, "laptop", a); // the same again: nothing to do
        assertThrows(Contacts.ContactsException.class, () -> Contacts.remove(f, "nobody"));
        assertThrows(Contacts.ContactsException.class, () -> Contacts.load(f).resolve("nobody"));
        assertEquals(before, Files.readString(f));
    }

    @Test
    void namesThatCouldBeMistakenAreRefused() {
        for (String bad : List.of("", "-x", "a b", "ä", "x".repeat(64), a.toHex(), a.fingerprint(), "../x")) {
            assertThrows(IllegalArgumentException.class, () -> Contacts.checkName(bad), bad);
        }
        assertEquals("my-laptop.lan", Contacts.suggestName("My Laptop.lan"));
        assertEquals("peer", Contacts.suggestName("日本"));
    }

    @Test
    void damagedOrOpenFilesAreRefusedWithTheLine() throws Exception {
        Path f = dir.resolve("contacts");
        Files.writeString(f, "tryst/v1 contacts\nlaptop " + a.toHex() + "\nlaptop " + b.toHex() + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        var twice = assertThrows(Contacts.ContactsException.class, () -> Contacts.load(f));
        assertTrue(twice.getMessage().contains("line 3"), twice.getMessage());
        Files.writeString(f, "tryst/v1 contacts\n# mine\n\nlaptop nothex\n");
        assertThrows(Contacts.ContactsException.class, () -> Contacts.load(f));
        Files.writeString(f, "tryst/v1 contacts\nlaptop " + a.toHex() + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
        var open = assertThrows(Contacts.ContactsException.class, () -> Contacts.load(f));
        assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
    }

    @Test
    void concurrentAddsLoseNothing() throws Exception {
        Path f = dir.resolve("contacts");
        List<Future<?>> all = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 40; i++) {
                int n = i;
                all.add(pool.submit(() -> Contacts.add(f, "peer" + n, Identity.generate().publicKey())));
            }
            for (Future<?> x : all) {
                x.get();
            }
        }
        assertEquals(40, Contacts.load(f).list().size());
    }

    @Test
    void freeNames() throws Exception {
        Path f = dir.resolve("contacts");
        Contacts.add(f, "laptop", a);
        assertEquals("laptop-2", Contacts.load(f).freeName("laptop"));
        assertEquals("desk", Contacts.load(f).freeName("desk"));
    }

    @Test
    void aFileOfAnotherUserOrALinkIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/self")), "needs /proc to know our uid");
        IdentityKey mallory = Identity.generate().publicKey();
        Path f = dir.resolve("contacts");
        Files.writeString(f, "tryst/v1 contacts\nlaptop " + mallory.toHex() + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        var users = f.getFileSystem().getUserPrincipalLookupService();
        boolean chowned;
        try {
            Files.setOwner(f, users.lookupPrincipalByName("nobody"));
            chowned = true;
        } catch (java.io.IOException e) {
            chowned = false; // not root: nobody can give a file away here, which is the point
        }
        if (chowned) {
            var theirs = assertThrows(Contacts.ContactsException.class, () -> Contacts.load(f));
            assertTrue(theirs.getMessage().contains("belongs to another user"), theirs.getMessage());
        }
        Path elsewhere = dir.resolve("elsewhere");
        Files.writeString(elsewhere, "tryst/v1 contacts\nlaptop " + mallory.toHex() + "\n");
        Path link = dir.resolve("linked");
        Files.createSymbolicLink(link, elsewhere);
        var linked = assertThrows(Contacts.ContactsException.class, () -> Contacts.load(link));
        assertTrue(linked.getMessage().contains("symbolic link"), linked.getMessage());
        Path open = Files.createDirectories(dir.resolve("shared"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(open.resolve("contacts"), "tryst/v1 contacts\n");
        var folder = assertThrows(Contacts.ContactsException.class, () -> Contacts.load(open.resolve("contacts")));
        assertTrue(folder.getMessage().contains("may be changed by other users"), folder.getMessage());
    }
}
