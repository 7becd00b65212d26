package dev.tryst.events;

import dev.tryst.wire.Bytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The events the server keeps for identities, and the request sequence numbers of those
 * identities, in an SQLite database at {@code stateDir/events.db}.
 *
 * <p>Every event an identity is sent gets an ORDER, strictly increasing per identity and never
 * reused: a counter row per identity remembers the last order given even after every event was
 * acknowledged or expired, and when the row of an idle identity is forgotten ({@link #prune()}),
 * the store's floors go on remembering it. Events wait, bounded by {@link EventLimits}, until the
 * client {@linkplain #acknowledge acknowledges} them or they {@linkplain #expire expire}; at login
 * the client gives the last order it processed and gets {@link #after} it, in order.
 *
 * <h2>Durability</h2>
 * A method that returned has committed its change to disk; that is what lets the server
 * acknowledge an event to its sender. The database runs with:
 * <ul>
 *   <li>{@code journal_mode=WAL}: a commit appends the changed pages to the write-ahead log
 *       (one sequential write and one fsync) instead of copying old pages to a rollback journal
 *       and rewriting the database (several fsyncs); a torn write at the end of the log is
 *       discarded by its checksums on the next open, so a crash leaves the last committed state.</li>
 *   <li>{@code synchronous=FULL}: the log is fsynced at every commit, before the method returns.
 *       With WAL, {@code NORMAL} already survives the process being killed (kill -9: the bytes
 *       are in the OS's cache), but may lose the last commits if the machine loses power or the
 *       kernel crashes; {@code FULL} closes that window, at the cost of one fsync per append,
 *       which is what "the server acknowledged it" has to mean.</li>
 *   <li>{@code busy_timeout=5000}: another connection (an operator's sqlite3 shell, a backup)
 *       holding a lock briefly makes a call wait instead of failing.</li>
 * </ul>
 *
 * <h2>Sharing a box</h2>
 * A sealed message hides its sender, so the store rations a recipient's box by what the server saw
 * ({@link Origin}): one sending identity, and one source group whatever identities it uses, may
 * each fill one share ({@link EventLimits#maxEvents()}, {@link EventLimits#maxBytes()}) of a box
 * of {@link EventLimits#shares()} shares, counted in the transaction that appends. Each event keeps
 * a 16-byte HMAC-SHA-256 of its sender's identity and one of its source group, under a key made
 * when the store is opened and kept only in memory: the file says which events came from the same
 * sender, never who or from where, not even to someone who has a copy of it. The price: after a
 * restart the events already stored belong to no one's share (they still fill the box), so each
 * sender may fill one more share per restart until they are read or expire.
 *
 * <p>Schema: a {@code schema_version} table holds one row; a database whose version is newer than
 * {@link #SCHEMA_VERSION} is refused on open (an older tryst must not write into a layout it does
 * not understand); an older one is upgraded in the transaction that opens it.
 *
 * <p>Thread-safe: all calls go through one connection, one at a time (the methods are
 * synchronized), so orders are assigned by a single writer.
 *
 * <p>Identities are 32-byte keys (the Ed25519 public key of identity mode).
 */
public final class EventStore implements EventLog {

    /**
     * The schema this code writes and reads: 1, events and counters; 2, each event's origin (keyed
     * hashes), the usage of the store and of each source, identities' last activity, the floors.
     */
    public static final int SCHEMA_VERSION = 2;

    /** The database file's name inside the state directory. */
    public static final String FILE_NAME = "events.db";

    /** Length of an identity key. */
    public static final int IDENTITY_LENGTH = 32;

    private final Path file;
    private final EventLimits limits;
    private final InstantSource clock;
    private Connection db;

    private final Bytes storeId;

    /** Length of the keyed hashes an event keeps of its origin. */
    static final int TAG_LENGTH = 16;
    private static final byte SENDER_TAG = 1;
    private static final byte SOURCE_TAG = 2;
    /** The key of the whole store's row in {@code usage} (a source's key is its 16-byte tag). */
    private static final byte[] WHOLE_STORE = {};
    /** HMAC-SHA-256 under a key made at open, kept in memory only; used under this object's lock. */
    private final Mac tags;

    private EventStore(Path file, EventLimits limits, InstantSource clock, Connection db, Bytes storeId) {
        this.storeId = storeId;
        try {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            this.tags = Mac.getInstance("HmacSHA256");
            tags.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
        this.file = file;
        this.limits = limits;
        this.clock = clock;
        this.db = db;
    }

    /**
     * Opens {@code stateDir/events.db}, creating the directory, the file and the schema as needed.
     *
     * @throws EventStoreException if the file cannot be opened, is not an SQLite database, cannot
     *     be put in WAL mode, or has a schema newer than this code knows
     */
    public static EventStore open(Path stateDir, EventLimits limits, InstantSource clock) {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(clock, "clock");
        Path file = stateDir.resolve(FILE_NAME).toAbsolutePath();
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new EventStoreException("cannot create the state directory " + stateDir + ": " + e.getMessage(), e);
        }
        Connection db;
        Bytes storeId;
        try {
            db = org.sqlite.JDBC.createConnection(org.sqlite.JDBC.PREFIX + file, new Properties());
        } catch (SQLException e) {
            throw new EventStoreException("cannot open the event database " + file + ": " + e.getMessage(), e);
        }
        try {
            configure(db, file);
            migrate(db, file, clock.millis());
            storeId = storeId(db);
        } catch (SQLException | RuntimeException e) {
            try {
                db.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof EventStoreException ese) {
                throw ese;
            }
            throw new EventStoreException("cannot use the event database " + file + ": " + e.getMessage(), e);
        }
        return new EventStore(file, limits, clock, db, storeId);
    }

    /** Length of {@link #storeId()}. */
    public static final int STORE_ID_LENGTH = 16;

    /**
     * This database's identity: 16 random bytes made when it was created. A client that kept an
     * ORDER from another store (the server's database was replaced) learns so by the id changing,
     * instead of having events it never saw acknowledged by its stale ORDER.
     */
    @Override
    public Bytes storeId() {
        return storeId;
    }

    private static Bytes storeId(Connection db) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS store (id BLOB NOT NULL)");
            try (ResultSet r = s.executeQuery("SELECT id FROM store")) {
                if (r.next()) {
                    byte[] id = r.getBytes(1);
                    db.commit();
                    if (id == null || id.length != STORE_ID_LENGTH) {
                        throw new EventStoreException("the event database's store id is damaged");
                    }
                    return Bytes.of(id);
                }
            }
            byte[] id = new byte[STORE_ID_LENGTH];
            new SecureRandom().nextBytes(id);
            try (PreparedStatement p = db.prepareStatement("INSERT INTO store (id) VALUES (?)")) {
                p.setBytes(1, id);
                p.executeUpdate();
            }
            db.commit();
            return Bytes.of(id);
        }
    }

    private static void configure(Connection db, Path file) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA busy_timeout = 5000");
            try (ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                String mode = r.next() ? r.getString(1) : "?";
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new EventStoreException("the event database " + file
                            + " cannot use write-ahead logging (journal mode stays " + mode + ")");
                }
            }
            s.execute("PRAGMA synchronous = FULL");
        }
        db.setAutoCommit(false);
    }

    private static void migrate(Connection db, Path file, long now) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            List<Integer> versions = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT version FROM schema_version")) {
                while (r.next()) {
                    versions.add(r.getInt(1));
                }
            }
            if (versions.size() > 1) {
                db.rollback();
                throw new EventStoreException("the event database " + file + " is damaged: "
                        + versions.size() + " schema versions recorded " + versions);
            }
            int version = versions.isEmpty() ? 0 : versions.getFirst(); // 0: a new database
            if (version > SCHEMA_VERSION) {
                db.rollback();
                throw new EventStoreException("the event database " + file + " has schema version "
                        + version + ", newer than version " + SCHEMA_VERSION
                        + " that this tryst knows; it was written by a newer tryst: run that one,"
                        + " or move the file aside to start with no stored events");
            }
            if (!versions.isEmpty() && version < 1) {
                db.rollback();
                throw new EventStoreException("the event database " + file
                        + " is damaged: schema version " + version);
            }
            if (version < 1) {
                createVersion1(s);
            }
            if (version < 2) {
                upgradeTo2(s, now);
            }
        }
        db.commit();
    }

    /** The first schema: events, and the counters of each identity (also how tests make a database of version 1). */
    static void createVersion1(Statement s) throws SQLException {
        // Per identity: the last order given and the last request sequence accepted, so orders
        // and sequences never restart when the events are gone (from version 2 an idle row is
        // forgotten, and the floors keep its counters from going back).
        s.execute("""
                CREATE TABLE IF NOT EXISTS identities (
                    identity      BLOB PRIMARY KEY,
                    last_order    INTEGER NOT NULL,
                    last_sequence INTEGER NOT NULL
                ) WITHOUT ROWID""");
        // size before payload: counting bytes need not read the (overflow) payload pages.
        s.execute("""
                CREATE TABLE IF NOT EXISTS events (
                    identity BLOB    NOT NULL,
                    ord      INTEGER NOT NULL,
                    ts       INTEGER NOT NULL,
                    type     INTEGER NOT NULL,
                    size     INTEGER NOT NULL,
                    payload  BLOB    NOT NULL,
                    PRIMARY KEY (identity, ord)
                )""");
        s.execute("CREATE INDEX IF NOT EXISTS events_size ON events (identity, size)");
        s.execute("CREATE INDEX IF NOT EXISTS events_ts ON events (ts)");
        s.execute("INSERT INTO schema_version (version) VALUES (1)");
    }

    /**
     * Version 2: each event's origin, as keyed hashes of the sending identity and of its source
     * group (NULL for the server's own events and for those stored before), the indexes that count
     * what one sender, one source and one box hold without reading a payload, the usage of the
     * store and of each source, when each identity was last active, and the floors of the
     * counters of forgotten identities. Events of version 1 count as the server's own.
     */
    private static void upgradeTo2(Statement s, long now) throws SQLException {
        s.execute("ALTER TABLE events ADD COLUMN sender BLOB");
        s.execute("ALTER TABLE events ADD COLUMN source BLOB");
        s.execute("DROP INDEX IF EXISTS events_size"); // events_sender counts a box as well
        s.execute("CREATE INDEX events_sender ON events (identity, sender, size)");
        s.execute("CREATE INDEX events_source ON events (identity, source, size)");
        // What the whole store (source X'') and each source hold, kept by triggers in the
        // transaction of every insert and delete, so the quotas cost one lookup, not a scan.
        s.execute("""
                CREATE TABLE usage (
                    source BLOB    PRIMARY KEY,
                    events INTEGER NOT NULL,
                    bytes  INTEGER NOT NULL
                ) WITHOUT ROWID""");
        s.execute("INSERT INTO usage (source, events, bytes) SELECT X'', COUNT(*), COALESCE(SUM(size), 0) FROM events");
        s.execute("""
                CREATE TRIGGER events_added AFTER INSERT ON events BEGIN
                    UPDATE usage SET events = events + 1, bytes = bytes + NEW.size WHERE source = X'';
                    INSERT OR IGNORE INTO usage (source, events, bytes) SELECT NEW.source, 0, 0 WHERE NEW.source IS NOT NULL;
                    UPDATE usage SET events = events + 1, bytes = bytes + NEW.size WHERE source = NEW.source;
                END""");
        s.execute("""
                CREATE TRIGGER events_removed AFTER DELETE ON events BEGIN
                    UPDATE usage SET events = events - 1, bytes = bytes - OLD.size WHERE source = X'';
                    UPDATE usage SET events = events - 1, bytes = bytes - OLD.size WHERE source = OLD.source;
                    DELETE FROM usage WHERE source = OLD.source AND events = 0;
                END""");
        // When an identity was last active (an event for it, a request from it), so that counters
        // nobody needs can be forgotten; the rows there already count as active now.
        s.execute("ALTER TABLE identities ADD COLUMN touched INTEGER NOT NULL DEFAULT 0");
        try (PreparedStatement p = s.getConnection().prepareStatement("UPDATE identities SET touched = ?")) {
            p.setLong(1, now);
            p.executeUpdate();
        }
        s.execute("CREATE INDEX identities_touched ON identities (touched)");
        // The highest order and sequence of any identity forgotten: where a forgotten one goes on.
        s.execute("CREATE TABLE floors (last_order INTEGER NOT NULL, last_sequence INTEGER NOT NULL)");
        s.execute("INSERT INTO floors (last_order, last_sequence) VALUES (0, 0)");
        s.execute("UPDATE schema_version SET version = 2");
    }

    /**
     * Stores an event for {@code identity}, sent from {@code from}, and returns its order (the
     * last order given plus one: 1 for an identity's first event, unless a floor says more, see
     * {@link #prune()}). Once this returns, the event is on disk. Whether it fits is decided in the
     * transaction that writes it, so two senders can never both take the last place:
     * <ul>
     *   <li>the sending identity may have {@link EventLimits#maxEvents()} events and
     *       {@link EventLimits#maxBytes()} bytes waiting in this box, and so may its source group,
     *       whatever identities it uses ({@code from} null: the server's own events, which count
     *       as one sender of their own);</li>
     *   <li>the box holds {@link EventLimits#boxEvents()} and {@link EventLimits#boxBytes()};</li>
     *   <li>the store holds {@link EventLimits#maxSourceBytes()} from one source group and
     *       {@link EventLimits#maxStoreBytes()} in all, each event counted with
     *       {@link EventLimits#EVENT_OVERHEAD} (the server's own events only in all).</li>
     * </ul>
     * The event keeps keyed hashes of its origin's identity and source, under a key that lives only
     * in memory (see the class comment).
     *
     * @throws EventStoreFullException if the payload is over {@link EventLimits#maxPayload()}, or it
     *     does not fit one of the bounds above; nothing was stored. Its message is for the sender.
     */
    @Override
    public synchronized long append(Bytes identity, byte type, Bytes payload, Origin from) throws EventStoreFullException {
        checkIdentity(identity);
        Objects.requireNonNull(payload, "payload");
        int size = payload.length();
        if (size > limits.maxPayload()) {
            throw new EventStoreFullException(EventStoreFullException.Reason.PAYLOAD_TOO_LARGE,
                    "a message of " + size + " bytes is over the limit of " + limits.maxPayload());
        }
        long now = clock.millis();
        byte[] sender = from == null ? null : tag(SENDER_TAG, from.identity().toByteArray());
        byte[] source = from == null ? null : tag(SOURCE_TAG, from.source().getAddress());
        return transaction(() -> {
            // Expired events do not hold the box full until the next expire() sweep.
            try (PreparedStatement p = db.prepareStatement("DELETE FROM events WHERE identity = ? AND ts < ?")) {
                p.setBytes(1, identity.toByteArray());
                p.setLong(2, cutoff(now));
                p.executeUpdate();
            }
            checkRoom(identity, sender, source, size);
            checkQuotas(source, size);
            long order = Math.addExact(lastOrderIn(identity), 1);
            try (PreparedStatement p = db.prepareStatement("""
                    INSERT INTO identities (identity, last_order, last_sequence, touched)
                    VALUES (?, ?, (SELECT last_sequence FROM floors), ?)
                    ON CONFLICT (identity) DO UPDATE SET last_order = excluded.last_order, touched = excluded.touched""")) {
                p.setBytes(1, identity.toByteArray());
                p.setLong(2, order);
                p.setLong(3, now);
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement("""
                    INSERT INTO events (identity, ord, ts, type, size, payload, sender, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
                p.setBytes(1, identity.toByteArray());
                p.setLong(2, order);
                p.setLong(3, now);
                p.setInt(4, type);
                p.setInt(5, size);
                p.setBytes(6, payload.toByteArray());
                p.setBytes(7, sender);
                p.setBytes(8, source);
                p.executeUpdate();
            }
            return order;
        });
    }

    /** Refuses an event of {@code size} bytes for {@code identity}'s box that its sender, its source or the box has no room for. */
    private void checkRoom(Bytes identity, byte[] sender, byte[] source, int size) throws SQLException, EventStoreFullException {
        checkShare(held(identity, "sender", sender), size, "this identity", "one sender",
                EventStoreFullException.Reason.TOO_MANY_EVENTS, EventStoreFullException.Reason.TOO_MANY_BYTES);
        if (source != null) {
            checkShare(held(identity, "source", source), size, "this address", "one address, whatever identities it uses,",
                    EventStoreFullException.Reason.SOURCE_SHARE, EventStoreFullException.Reason.SOURCE_SHARE);
        }
        long[] box = held(identity, null, null);
        if (box[0] >= limits.boxEvents() || box[1] + size > limits.boxBytes()) {
            throw new EventStoreFullException(EventStoreFullException.Reason.INBOX_FULL, "the recipient's inbox is full: it holds "
                    + box[0] + " messages (" + box[1] + " bytes) of the " + limits.boxEvents() + " (" + limits.boxBytes()
                    + " bytes) it may, from all its senders; more fit as it reads them");
        }
    }

    /**
     * Refuses an event of {@code size} bytes that would bring what the store holds from its source,
     * or at all, over {@link EventLimits#maxSourceBytes()} or {@link EventLimits#maxStoreBytes()},
     * each event counted with {@link EventLimits#EVENT_OVERHEAD}.
     */
    private void checkQuotas(byte[] source, int size) throws SQLException, EventStoreFullException {
        long cost = (long) size + EventLimits.EVENT_OVERHEAD;
        if (source != null && usage(source) + cost > limits.maxSourceBytes()) {
            throw new EventStoreFullException(EventStoreFullException.Reason.SOURCE_QUOTA, "the server holds as many messages"
                    + " from this address as it keeps from one address (" + limits.maxSourceBytes() + " bytes, each message"
                    + " counted with " + EventLimits.EVENT_OVERHEAD + " more); more fit as they are read or expire");
        }
        if (usage(WHOLE_STORE) + cost > limits.maxStoreBytes()) {
            throw new EventStoreFullException(EventStoreFullException.Reason.STORE_FULL, "the server's message store is full ("
                    + limits.maxStoreBytes() + " bytes); more fit as messages are read or expire");
        }
    }

    /** What the store holds from {@code source} (or at all: {@link #WHOLE_STORE}), each event counted with its overhead. */
    private long usage(byte[] source) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT events, bytes FROM usage WHERE source = ?")) {
            p.setBytes(1, source);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(2) + r.getLong(1) * EventLimits.EVENT_OVERHEAD : 0;
            }
        }
    }

    /** Refuses {@code size} more bytes from a sender ({@code from}, as the message names it) that holds {@code held} in a box. */
    private void checkShare(long[] held, int size, String from, String one, EventStoreFullException.Reason events,
                            EventStoreFullException.Reason bytes) throws EventStoreFullException {
        if (held[0] >= limits.maxEvents()) {
            throw new EventStoreFullException(events, "the recipient's inbox holds " + held[0] + " messages from " + from
                    + ", the most " + one + " may leave there; more fit as it reads them");
        }
        if (held[1] + size > limits.maxBytes()) {
            throw new EventStoreFullException(bytes, "the recipient's inbox holds " + held[1] + " bytes from " + from + "; "
                    + size + " more would be over the " + limits.maxBytes() + " " + one + " may leave there; more fit as it reads them");
        }
    }

    /** The events and bytes waiting in {@code identity}'s box, all of them ({@code column} null) or those whose {@code column} is {@code tag}. */
    private long[] held(Bytes identity, String column, byte[] tag) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM events WHERE identity = ?"
                + (column == null ? "" : " AND " + column + " IS ?"))) {
            p.setBytes(1, identity.toByteArray());
            if (column != null) {
                p.setBytes(2, tag);
            }
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return new long[] {r.getLong(1), r.getLong(2)};
            }
        }
    }

    /**
     * Up to {@code max} waiting events of {@code identity} with an order above
     * {@code lastProcessedOrder}, in increasing order. Expired events are not returned.
     */
    @Override
    public synchronized List<Event> after(Bytes identity, long lastProcessedOrder, int max) {
        checkIdentity(identity);
        if (lastProcessedOrder < 0) {
            throw new IllegalArgumentException("lastProcessedOrder must not be negative, got " + lastProcessedOrder);
        }
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        long cutoff = cutoff(clock.millis());
        return transaction(() -> {
            List<Event> events = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("""
                    SELECT ord, ts, type, payload FROM events
                    WHERE identity = ? AND ord > ? AND ts >= ? ORDER BY ord LIMIT ?""")) {
                p.setBytes(1, identity.toByteArray());
                p.setLong(2, lastProcessedOrder);
                p.setLong(3, cutoff);
                p.setInt(4, max);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        byte[] payload = r.getBytes(4);
                        events.add(new Event(identity, r.getLong(1), r.getLong(2), (byte) r.getInt(3),
                                payload == null ? Bytes.of() : Bytes.of(payload)));
                    }
                }
            }
            return events;
        });
    }

    /** Deletes the events of {@code identity} with an order up to {@code upToOrder}: the client processed them. */
    @Override
    public synchronized void acknowledge(Bytes identity, long upToOrder) {
        checkIdentity(identity);
        transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM events WHERE identity = ? AND ord <= ?")) {
                p.setBytes(1, identity.toByteArray());
                p.setLong(2, upToOrder);
                return p.executeUpdate();
            }
        });
    }

    /** Deletes every event older than {@link EventLimits#lifetime()}; returns how many. */
    @Override
    public synchronized int expire() {
        long cutoff = cutoff(clock.millis());
        return transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM events WHERE ts < ?")) {
                p.setLong(1, cutoff);
                return p.executeUpdate();
            }
        });
    }

    /** Most identities one {@link #prune()} forgets: it holds the store's lock, and the sweeper calls it every minute. */
    static final int PRUNE_BATCH = 10_000;

    /**
     * Forgets the counters of identities that have no events waiting and were not active (an event
     * for them, a request from them) for {@link EventLimits#identityKeep()}, and at least the
     * lifetime: made-up recipients once their events are gone, identities gone away. Up to
     * {@link #PRUNE_BATCH} at a time; returns how many.
     *
     * <p>A forgotten identity's counters do not start again from 0: the store keeps the highest
     * order and sequence of every identity it forgot (its floors), and an identity it does not
     * know goes on from there. So its ORDER never repeats one it had, and a client that kept an
     * inbox mark from before (at most the order it had) resumes below every new event and never
     * acknowledges one it has not seen; LOGIN_STATE reports the floor, at least what it had, and a
     * request sequence it used before is refused as replayed. The price: a new identity's first
     * order and sequence may start above 1.
     */
    @Override
    public synchronized int prune() {
        long keep = Math.max(limits.identityKeep().toMillis(), limits.lifetime().toMillis());
        long cutoff = clock.millis() - keep;
        String idle = " FROM identities i WHERE touched < ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.identity = i.identity)";
        return transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT EXISTS (SELECT 1" + idle + ")")) {
                p.setLong(1, cutoff);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next() || r.getInt(1) == 0) {
                        return 0; // nothing written: no sync every minute for nothing
                    }
                }
            }
            // Over all the idle ones, not only this batch: a floor may be higher than needed, never lower.
            try (PreparedStatement p = db.prepareStatement("UPDATE floors SET"
                    + " last_order = MAX(last_order, (SELECT MAX(last_order)" + idle + ")),"
                    + " last_sequence = MAX(last_sequence, (SELECT MAX(last_sequence)" + idle + "))")) {
                p.setLong(1, cutoff);
                p.setLong(2, cutoff);
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement(
                    "DELETE FROM identities WHERE identity IN (SELECT identity" + idle + " LIMIT " + PRUNE_BATCH + ")")) {
                p.setLong(1, cutoff);
                return p.executeUpdate();
            }
        });
    }

    /**
     * The last order given to {@code identity}: 0 if it never had an event; for an identity the
     * store forgot, or never knew once it has forgotten some, the floor (see {@link #prune()}).
     */
    @Override
    public synchronized long lastOrder(Bytes identity) {
        checkIdentity(identity);
        return transaction(() -> lastOrderIn(identity));
    }

    /**
     * The last request sequence accepted from {@code identity}, 0 if none (or the floor, as for
     * {@link #lastOrder}): the next must be this plus one.
     */
    @Override
    public synchronized long lastSequence(Bytes identity) {
        checkIdentity(identity);
        return transaction(() -> lastSequenceIn(identity));
    }

    /**
     * Accepts {@code seq} from {@code identity} if it is exactly {@link #lastSequence} plus one,
     * and stores it (on disk when this returns).
     *
     * @throws SequenceException if {@code seq} was already used (replayed) or jumps ahead (skipped);
     *     nothing is stored
     */
    @Override
    public synchronized void acceptSequence(Bytes identity, long seq) throws SequenceException {
        checkIdentity(identity);
        long now = clock.millis();
        transaction(() -> {
            long last = lastSequenceIn(identity);
            if (last == Long.MAX_VALUE || seq != last + 1) {
                throw new SequenceException(seq <= last, last == Long.MAX_VALUE ? last : last + 1, seq);
            }
            try (PreparedStatement p = db.prepareStatement("""
                    INSERT INTO identities (identity, last_order, last_sequence, touched)
                    VALUES (?, (SELECT last_order FROM floors), ?, ?)
                    ON CONFLICT (identity) DO UPDATE SET last_sequence = excluded.last_sequence, touched = excluded.touched""")) {
                p.setBytes(1, identity.toByteArray());
                p.setLong(2, seq);
                p.setLong(3, now);
                p.executeUpdate();
            }
            return null;
        });
    }

    /** Closes the database; later calls throw {@link IllegalStateException}. Idempotent. */
    @Override
    public synchronized void close() {
        if (db == null) {
            return;
        }
        Connection c = db;
        db = null;
        try {
            c.close();
        } catch (SQLException e) {
            throw new EventStoreException("closing the event database " + file + ": " + e.getMessage(), e);
        }
    }

    /** The value of a read-only pragma on this store's connection (for tests and diagnostics). */
    synchronized String pragma(String name) {
        if (!name.matches("[a-z_]+")) {
            throw new IllegalArgumentException("not a pragma name: " + name);
        }
        return transaction(() -> {
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + name)) {
                return r.next() ? r.getString(1) : null;
            }
        });
    }

    @Override
    public String toString() {
        return "EventStore[" + file + "]";
    }

    // ---------------------------------------------------------------- internals

    private long cutoff(long nowMillis) {
        long lifetime = limits.lifetime().toMillis();
        return nowMillis - lifetime; // lifetime <= 3650 days: no overflow for any real clock
    }

    private long lastOrderIn(Bytes identity) throws SQLException {
        return identityColumn(identity, "last_order");
    }

    private long lastSequenceIn(Bytes identity) throws SQLException {
        return identityColumn(identity, "last_sequence");
    }

    /** A counter of {@code identity}; for one the store does not know (never seen, or forgotten), its floor. */
    private long identityColumn(Bytes identity, String column) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT COALESCE((SELECT " + column + " FROM identities WHERE identity = ?),"
                + " (SELECT " + column + " FROM floors))")) {
            p.setBytes(1, identity.toByteArray());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        }
    }

    /** The keyed hash of an origin's identity ({@link #SENDER_TAG}) or source group ({@link #SOURCE_TAG}). */
    private byte[] tag(byte kind, byte[] value) {
        tags.update(kind);
        tags.update(value);
        return Arrays.copyOf(tags.doFinal(), TAG_LENGTH);
    }

    private static void checkIdentity(Bytes identity) {
        Objects.requireNonNull(identity, "identity");
        if (identity.length() != IDENTITY_LENGTH) {
            throw new IllegalArgumentException(
                    "identity must be " + IDENTITY_LENGTH + " bytes, got " + identity.length());
        }
    }

    @FunctionalInterface
    private interface Work<T, X extends Exception> {
        T run() throws SQLException, X;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    private <T, X extends Exception> T transaction(Work<T, X> work) throws X {
        if (db == null) {
            throw new IllegalStateException("the event store " + file + " is closed");
        }
        try {
            T result = work.run();
            db.commit();
            return result;
        } catch (SQLException e) {
            rollbackQuietly(e);
            throw new EventStoreException("event database " + file + ": " + e.getMessage(), e);
        } catch (Throwable t) {
            rollbackQuietly(t);
            throw t;
        }
    }

    private void rollbackQuietly(Throwable cause) {
        try {
            db.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
