package dev.tryst.api;

import dev.tryst.channel.Handshake;
import dev.tryst.client.ConnectConfig;
import dev.tryst.client.ControlClient;
import dev.tryst.client.Connector;
import dev.tryst.client.PeerConnector;
import dev.tryst.code.Code;
import dev.tryst.connect.Mux;
import dev.tryst.connect.Opening;
import dev.tryst.identity.Contacts;
import dev.tryst.identity.IdentityKey;
import dev.tryst.identity.Pairing;
import dev.tryst.session.Session;
import dev.tryst.transfer.FileSender;
import dev.tryst.wire.PeerWire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Connections between identities: pair with a contact once, with a code; then reach it by name
 * through the server — streams to its pipe or its exposed ports ({@link #connect}), files
 * ({@link #send}) — or be reachable yourself ({@link #listen}). Every connection is mutually
 * authenticated end to end by the two identity keys (a Noise IK handshake on each path); the
 * server only forwards endpoints, and a server that lies can make a connection fail, never reach
 * anyone else.
 *
 * <pre>{@code
 * Peers peers = new Peers(TrystOptions.defaults().withServer("tryst.example.org"), LocalIdentity.loadOrCreate(file));
 * try (PeerSession s = peers.connect("laptop", e -> {}); PeerStream ssh = s.openPort(22)) { ... }
 * }</pre>
 */
public final class Peers {
    /** How long a dialler waits for the peer to accept, unless told otherwise. */
    static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

    private final TrystOptions options;
    private final LocalIdentity me;
    private final Path contactsFile;
    private final SecureRandom random = new SecureRandom();

    public Peers(TrystOptions options, LocalIdentity me) {
        this.options = Objects.requireNonNull(options, "options");
        this.me = Objects.requireNonNull(me, "me");
        this.contactsFile = Contacts.fileFor(me.file() != null ? me.file() : LocalIdentity.defaultFile());
        Handshake.warmUp();
    }

    // ---------------------------------------------------------------- contacts

    /** The contacts file, beside the identity's. */
    public Path contactsFile() {
        return contactsFile;
    }

    public List<Contact> contacts() throws TrystException {
        return load().list().stream().map(Contact::of).toList();
    }

    /** Adds a contact by hand: {@code publicKey} as 64 hex digits (what its `tryst id` shows). */
    public Contact addContact(String name, String publicKey) throws TrystException {
        IdentityKey key = LocalIdentity.key(publicKey);
        change(() -> Contacts.add(contactsFile, checkName(name), key));
        return Contact.of(new Contacts.Contact(name.strip().toLowerCase(java.util.Locale.ROOT), key));
    }

    public void renameContact(String from, String to) throws TrystException {
        checkName(to);
        change(() -> Contacts.rename(contactsFile, from, to));
    }

    public void removeContact(String name) throws TrystException {
        change(() -> Contacts.remove(contactsFile, name));
    }

    /** The contact or key {@code peer} names. */
    public Contact resolve(String peer) throws TrystException {
        return Contact.of(find(peer));
    }

    private Contacts.Contact find(String peer) throws TrystException {
        try {
            return load().resolve(peer);
        } catch (Contacts.ContactsException e) {
            throw new TrystException(TrystException.Reason.UNKNOWN_PEER, e.getMessage(),
                    "pair with it first, add its key as a contact, or give its public key", e);
        }
    }

    private Contacts load() throws TrystException {
        try {
            return Contacts.load(contactsFile);
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "cannot read the contacts: " + e.getMessage(), e);
        }
    }

    private interface Change {
        void run() throws IOException;
    }

    private static void change(Change c) throws TrystException {
        try {
            c.run();
        } catch (Contacts.ContactsException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
        } catch (IOException e) {
            throw new TrystException(TrystException.Reason.LOCAL_IO, "cannot write the contacts: " + e.getMessage(), e);
        }
    }

    private static String checkName(String name) throws TrystException {
        try {
            return Contacts.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- pairing

    /**
     * Pairs with another identity through a code: with {@code code} null this side makes the code
     * ({@link TransferEvent.CodeReady}); the other side gives it. Each side learns and proves the
     * other's key through the code's SPAKE2 session and stores it as a contact; a wrong code stores
     * nothing.
     *
     * @param theirName what to call the other side here, or null: the name it suggests (made unique)
     * @param ourName   the name we suggest to the other side (a host name, say)
     */
    public Paired pair(String code, String theirName, String ourName, Consumer<? super TransferEvent> events)
            throws TrystException {
        Objects.requireNonNull(events, "events");
        Code given = code == null ? null : Tryst.parse(code);
        Contacts before = load(); // before the code is spent: a broken file, a taken name
        String wanted = theirName == null ? null : checkName(theirName);
        if (wanted != null && before.byName(wanted).isPresent()) {
            throw new TrystException(TrystException.Reason.CONFLICT, "a contact named '" + wanted + "' already exists ("
                    + before.byName(wanted).get().key().fingerprint() + ")", "remove or rename it first, or choose another name", null);
        }
        String suggested = Contacts.suggestName(ourName);
        Handshake.Role role = given == null ? Handshake.Role.INITIATOR : Handshake.Role.RESPONDER;
        ConnectConfig config = Tryst.codeConfig(options, role);
        Session session;
        try (Rendezvous.Way way = Rendezvous.open(options, t -> events.accept(new TransferEvent.Notice(t)))) {
            Code c = given;
            if (c == null) {
                if (way.control() != null) {
                    Connector.Room room = Connector.createRoom(way.control(), null, options.words(), config.waitForPeer(), random);
                    c = room.code();
                    config = Connector.within(room, config, t -> events.accept(new TransferEvent.Notice(t)));
                } else {
                    c = Code.generate(random, options.words());
                }
                events.accept(new TransferEvent.CodeReady(c.phrase()));
            } else if (way.control() != null) {
                Connector.joinRoom(way.control(), c);
            }
            session = way.control() != null ? Connector.viaRoom(way.control(), c, role, config, way.relay(), random)
                    : Connector.viaRelay(way.relay(), c, role, config, random);
        } catch (IOException e) {
            throw Tryst.translate(e);
        }
        try (Session s = session) {
            Tryst.announce(s, events);
            Pairing.Peer peer = Pairing.exchange(s.channel(), role, me.identity, suggested, random);
            Contacts now = Contacts.load(contactsFile);
            var known = now.byKey(peer.key());
            String name = known.map(Contacts.Contact::name)
                    .orElseGet(() -> wanted != null ? wanted : now.freeName(peer.suggestedName()));
            String notStored = null; // a contact already (under whatever name): kept as it is
            if (known.isEmpty()) {
                try {
                    Contacts.add(contactsFile, name, peer.key());
                } catch (IOException e) {
                    notStored = e.getMessage();
                }
            }
            Pairing.tell(s.channel(), notStored == null ? null : "it could not store us: " + notStored);
            String there = Pairing.awaitTold(s.channel());
            s.channel().shutdownOutput();
            if (notStored != null) {
                throw new TrystException(TrystException.Reason.LOCAL_IO, "the pairing worked but the contact could not be"
                        + " stored: " + notStored, null);
            }
            return new Paired(Contact.of(new Contacts.Contact(name, peer.key())), known.isPresent(), there == null, there);
        } catch (IOException e) {
            throw Tryst.translate(e);
        }
    }

    // ---------------------------------------------------------------- connecting

    /**
     * A session with {@code peer} (a contact's name, its fingerprint, or a public key), which must
     * be listening: streams to its pipe or its ports ({@link PeerSession}).
     */
    public PeerSession connect(String peer, Consumer<? super TransferEvent> events) throws TrystException {
        Objects.requireNonNull(events, "events");
        PeerConnector.Connection c = dial(peer, PeerWire.PURPOSE_STREAMS, events);
        try {
            Mux mux = Mux.start(c.session(), Handshake.Role.INITIATOR, c.peerName(), c.reconnect(), null, new Mux.Events() {
                @Override
                public void moved(String path, String why) {
                    events.accept(new TransferEvent.FellBack(PathInfo.of(path), why));
                }
            });
            return new PeerSession(mux);
        } catch (IOException e) {
            close(c.session());
            throw Tryst.translate(e);
        }
    }

    /**
     * Sends files to {@code peer}, which must be listening with a folder for them: the offer,
     * resume, verification and progress of a code transfer; the listener's policy says yes or no.
     */
    public Sent send(String peer, Offer offer, Consumer<? super TransferEvent> events) throws TrystException {
        Objects.requireNonNull(offer, "offer");
        if (!offer.isFiles()) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "only files and folders go to a contact",
                    "send text and streams with a code, or through a connection's pipe", null);
        }
        PeerConnector.Connection c = dial(peer, PeerWire.PURPOSE_FILES, events);
        long t0 = System.nanoTime();
        try (Session s = c.session()) {
            FileSender.Sent sent = Tryst.sendFiles(c.reconnect() == null ? s : s.withFallback(c.reconnect()), offer, events);
            return new Sent(sent.bytesSent(), sent.skipped(), sent.resumed(), Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw Tryst.translate(e);
        }
    }

    private PeerConnector.Connection dial(String peer, byte purpose, Consumer<? super TransferEvent> events)
            throws TrystException {
        Contacts.Contact contact = find(peer);
        ControlClient.Server server = Rendezvous.server(options.server() != null ? options.server() : "localhost", options);
        InetSocketAddress relay = options.relay() == null ? null : Rendezvous.relay(options.relay());
        PeerConnector.Connection c;
        try {
            c = PeerConnector.dial(server, me.identity, contact.key(), contact.name(), peerConfig(Handshake.Role.INITIATOR),
                    relay, random);
        } catch (IOException e) {
            throw Rendezvous.dialFailure(server, e);
        }
        Tryst.announce(c.session(), events);
        try {
            Opening.ask(c.session(), purpose, contact.name());
        } catch (Opening.RefusedException e) {
            close(c.session());
            throw new TrystException(TrystException.Reason.DECLINED, e.getMessage(), e);
        } catch (IOException e) {
            close(c.session());
            throw Tryst.translate(e);
        }
        return c;
    }

    ConnectConfig peerConfig(Handshake.Role role) {
        ConnectConfig d = ConnectConfig.defaults(role);
        return d.withWaitForPeer(options.waitForPeer() != null ? options.waitForPeer() : DEFAULT_WAIT)
                .withDirect(options.direct()).withPaths(d.paths().withRelayDelay(options.relayDelay()));
    }

    // ---------------------------------------------------------------- listening

    /**
     * Becomes reachable by contacts until the returned {@link Listening} is closed: logged in to the
     * server (again and again if it goes away), offering what {@code offer} says and nothing more.
     */
    public Listening listen(ListenOptions offer, Consumer<? super ListenEvent> events) throws TrystException {
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(events, "events");
        load(); // a broken contacts file is said now, not at the first request
        if (offer.folder() != null && Tryst.folderToMake(offer.folder())) {
            try {
                java.nio.file.Files.createDirectories(offer.folder());
            } catch (IOException e) {
                throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "could not make " + offer.folder() + ": " + e,
                        "receive into a folder you may write in", e);
            }
        }
        ControlClient.Server server = Rendezvous.server(options.server() != null ? options.server() : "localhost", options);
        InetSocketAddress relay = options.relay() == null ? null : Rendezvous.relay(options.relay());
        return Listening.start(this, server, relay, offer, events, random);
    }

    LocalIdentity me() {
        return me;
    }

    /** The name of a contact with {@code key}, or null: not a contact (read afresh, so a new pairing counts at once). */
    String contactName(IdentityKey key) {
        try {
            return Contacts.load(contactsFile).byKey(key).map(Contacts.Contact::name).orElse(null);
        } catch (IOException e) {
            return null; // an unreadable file admits nobody
        }
    }

    private static void close(Session s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already broken
        }
    }
}
