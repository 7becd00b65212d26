package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientConfigTest {
    @TempDir
    Path dir;

    private Path write(String text) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("config/tryst"));
        return Files.writeString(folder.resolve("config.toml"), text);
    }

    private ClientConfig load() {
        return ClientConfig.load(Map.of("XDG_CONFIG_HOME", dir.resolve("config").toString()), "/nonexistent");
    }

    @Test
    void readsTheServerWithItsPinTheRelayAndTheSwitches() throws Exception {
        write("""
                # mine
                server = "tryst.example.org:2311#%s"
                relay = 'relay.example.org:2312'
                plain-control = true
                direct = false
                """.formatted("ab".repeat(32)));
        ClientConfig c = load();
        assertEquals("tryst.example.org:2311#" + "ab".repeat(32), c.server());
        assertEquals("relay.example.org:2312", c.relay());
        assertTrue(c.plainControl());
        assertFalse(c.direct());
        assertTrue(c.source().endsWith("config/tryst/config.toml"), c.source());
    }

    @Test
    void noFileMeansNoDefaults() {
        ClientConfig c = load();
        assertNull(c.server());
        assertNull(c.relay());
        assertFalse(c.plainControl());
        assertTrue(c.direct());
    }

    @Test
    void aBadFileIsAUsageErrorNamingTheFileAndLine() throws Exception {
        Path f = write("server = \"a.example\"\nsever = \"b.example\"\n");
        var e = assertThrows(Main.UsageException.class, this::load);
        assertEquals("config: " + f + ":2: unknown key 'sever' (did you mean 'server'?)", e.getMessage());

        write("direct = \"no\"\n");
        e = assertThrows(Main.UsageException.class, this::load);
        assertTrue(e.getMessage().endsWith(":1: 'direct' must be true or false, not a string (in quotes)"), e.getMessage());

        write("server = \"#abc\"\n");
        e = assertThrows(Main.UsageException.class, this::load);
        assertTrue(e.getMessage().contains(":1: 'server' must be HOST[:PORT][#FINGERPRINT]"), e.getMessage());

        write("[client]\nserver = \"a.example\"\n");
        e = assertThrows(Main.UsageException.class, this::load);
        assertTrue(e.getMessage().contains(":1: unknown table [client]"), e.getMessage());
    }

    @Test
    void trystConfigNamesAnotherFileWhichMustExist() throws Exception {
        Path other = Files.writeString(dir.resolve("other.toml"), "relay = \"127.0.0.1:9\"\n");
        assertEquals("127.0.0.1:9", ClientConfig.load(Map.of(ClientConfig.ENV, other.toString()), "/nonexistent").relay());
        var e = assertThrows(Main.UsageException.class,
                () -> ClientConfig.load(Map.of(ClientConfig.ENV, dir.resolve("missing.toml").toString()), "/nonexistent"));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aPastedUriSaysWhereToMeetUnlessAFlagDid() {
        Meeting m = new Meeting();
        assertEquals("7-alpha-beta", m.code("tryst:7-alpha-beta?relay=127.0.0.1%3A4001"));
        assertEquals("127.0.0.1:4001", m.relay.explicit());
        assertNull(m.server.explicit(), "the URI named no server: none, whatever the environment or config say");

        m = new Meeting();
        String fp = "cd".repeat(32);
        assertEquals("7-alpha-beta", m.code("TRYST:7-alpha-beta?server=h.example%23" + fp + "&plain-control=1"));
        assertEquals("h.example#" + fp, m.server.explicit());
        assertTrue(m.server.plain());
        assertNull(m.relay.explicit());

        m = new Meeting();
        m.relay.relay = "10.0.0.1:4001"; // --relay given: it wins
        assertEquals("7-alpha-beta", m.code("tryst:7-alpha-beta?relay=127.0.0.1%3A4001"));
        assertEquals("10.0.0.1:4001", m.relay.explicit());

        assertEquals("7-alpha-beta", new Meeting().code("7-alpha-beta"));
        assertThrows(Main.UsageException.class, () -> new Meeting().code("tryst:?relay=x"));
        var e = assertThrows(Main.UsageException.class, () -> new Meeting().code("tryst:7-a-b?evil=1"));
        assertTrue(e.getMessage().contains("unknown part 'evil'"), e.getMessage());
    }

    @Test
    void sendQrsUriIsReadBackByReceive() {
        Meeting sender = new Meeting();
        sender.relay.relay = "127.0.0.1:4001";
        sender.server.server = "h.example:2311";
        Meeting receiver = new Meeting();
        assertEquals("12-a-b-c", receiver.code(sender.uri("12-a-b-c")));
        assertEquals("127.0.0.1:4001", receiver.relay.explicit());
        assertEquals("h.example:2311", receiver.server.explicit());
    }
}
