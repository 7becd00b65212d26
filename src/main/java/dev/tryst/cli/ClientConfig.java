package dev.tryst.cli;

import dev.tryst.config.ConfigException;
import dev.tryst.config.ConfigFile;
import dev.tryst.identity.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The client's defaults from {@code config.toml} in the configuration folder ({@code ~/.config/tryst/},
 * or {@code $TRYST_CONFIG}): the server to meet through (with its pinned fingerprint), a relay, and
 * the two switches, so that a user of one server types neither on every command. A flag wins over
 * its environment variable, which wins over this file. No file: no defaults. A file that cannot be
 * used stops every command that would read it (exit 2, naming the file and line), before anything
 * is spent: a typo must not silently send to localhost.
 *
 * <pre>
 * server = "tryst.example.org#3f9a…"   # HOST[:PORT][#FINGERPRINT], as --server
 * relay = "relay.example.org:2312"     # as --relay
 * plain-control = false
 * direct = true                        # false: as --no-direct
 * </pre>
 *
 * @param source where it was read, or null when there is no file
 */
record ClientConfig(String source, String server, String relay, boolean plainControl, boolean direct) {
    static final String ENV = "TRYST_CONFIG";
    static final String FILE = "config.toml";
    private static final Set<String> KEYS = Set.of("server", "relay", "plain-control", "direct");
    private static final ClientConfig NONE = new ClientConfig(null, null, null, false, true);
    private static ClientConfig current;

    /** This process's configuration, read once. */
    static synchronized ClientConfig current() {
        if (current == null) {
            current = load(System.getenv(), System.getProperty("user.home"));
        }
        return current;
    }

    /** {@code $TRYST_CONFIG} if set (it must exist), else {@code config.toml} in the configuration folder if it exists. */
    static ClientConfig load(Map<String, String> env, String home) {
        String named = env.get(ENV);
        Path file = named != null && !named.isBlank() ? Path.of(named) : Identity.configDir(env, home).resolve(FILE);
        try {
            return read(file);
        } catch (NoSuchFileException e) {
            if (named != null && !named.isBlank()) {
                throw new Main.UsageException("the config file " + file + " ($" + ENV + ") does not exist");
            }
            return NONE;
        } catch (IOException e) {
            throw new Main.UsageException("cannot read the config file " + file + ": " + e.getMessage());
        } catch (ConfigException e) {
            throw new Main.UsageException("config: " + e.getMessage());
        }
    }

    static ClientConfig read(Path file) throws IOException, ConfigException {
        if (Files.isDirectory(file)) {
            throw new ConfigException(file.toString(), 0, "is a folder, not a file");
        }
        ConfigFile cf = ConfigFile.read(file);
        for (String t : cf.tables()) {
            if (!t.isEmpty()) {
                throw new ConfigException(cf.source(), cf.tableLine(t), "unknown table [" + t + "] (the client's keys have no table)");
            }
        }
        cf.requireKnown("", KEYS);
        Map<String, ConfigFile.Value> root = cf.table("");
        String server = null;
        String relay = null;
        boolean plain = false;
        boolean direct = true;
        if (root.containsKey("server")) {
            ConfigFile.Value v = root.get("server");
            server = v.asString().strip();
            String host = server.indexOf('#') >= 0 ? server.substring(0, server.indexOf('#')) : server;
            if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
                throw v.error("must be HOST[:PORT][#FINGERPRINT], not \"" + v.raw() + "\"");
            }
        }
        if (root.containsKey("relay")) {
            ConfigFile.Value v = root.get("relay");
            relay = v.asString().strip();
            if (relay.isEmpty() || relay.chars().anyMatch(Character::isWhitespace)) {
                throw v.error("must be HOST[:PORT], not \"" + v.raw() + "\"");
            }
        }
        if (root.containsKey("plain-control")) {
            plain = root.get("plain-control").asBoolean();
        }
        if (root.containsKey("direct")) {
            direct = root.get("direct").asBoolean();
        }
        return new ClientConfig(cf.source(), server, relay, plain, direct);
    }
}
