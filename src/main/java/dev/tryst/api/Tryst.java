package dev.tryst.api;

import dev.tryst.channel.Handshake;
import dev.tryst.client.ConnectConfig;
import dev.tryst.client.Connector;
import dev.tryst.code.Code;
import dev.tryst.code.CodeFormatException;
import dev.tryst.session.Session;
import dev.tryst.session.SessionException;
import dev.tryst.transfer.FileReceiver;
import dev.tryst.transfer.FileSender;
import dev.tryst.transfer.LiveTransfers;
import dev.tryst.transfer.LocalIoException;
import dev.tryst.transfer.StreamTransfer;
import dev.tryst.transfer.TransferException;
import dev.tryst.wire.TransferWire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The door for Java programs: send and receive files, text and streams with a code phrase,
 * end-to-end encrypted, directly when the network allows and through the server's relay when it
 * does not. Calls block until done (run them on a virtual thread to do other things meanwhile) and
 * report what happens as {@link TransferEvent}s; a failure is a {@link TrystException} with a
 * reason and a remedy.
 *
 * <pre>{@code
 * Tryst tryst = new Tryst(TrystOptions.defaults().withServer("tryst.example.org"));
 * Sent sent = tryst.send(Offer.files(Path.of("report.pdf")), event -> {
 *     if (event instanceof TransferEvent.CodeReady c) System.out.println("tryst receive " + c.code());
 * });
 * }</pre>
 *
 * <p>A file transfer whose direct path dies goes on through the relay by itself, from what the
 * receiver already verified ({@link TransferEvent.PathBroke}, {@link TransferEvent.FellBack}).
 * Identity messages are {@link Mailbox}'s, a server is {@link TrystServer}.
 */
public final class Tryst {
    private final TrystOptions options;
    private final SecureRandom random = new SecureRandom();

    public Tryst(TrystOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        Handshake.warmUp(); // overlaps the cold start of the handshake's crypto with connecting
    }

    public TrystOptions options() {
        return options;
    }

    /** Sends {@code offer} with a new code, told to {@code events} as {@link TransferEvent.CodeReady}. */
    public Sent send(Offer offer, Consumer<? super TransferEvent> events) throws TrystException {
        return send(offer, null, events);
    }

    /**
     * Sends {@code offer} with {@code code} (null: a new one, as long as {@link TrystOptions#words()};
     * a code of one's own should be made up carefully: its words are the only secret); returns once
     * the receiver has verified everything.
     */
    public Sent send(Offer offer, String code, Consumer<? super TransferEvent> events) throws TrystException {
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(events, "events");
        Code wanted = code == null ? null : parse(code);
        ConnectConfig config = config(Handshake.Role.INITIATOR);
        Session session;
        try (Rendezvous.Way way = Rendezvous.open(options, t -> events.accept(new TransferEvent.Notice(t)))) {
            Code c;
            if (way.control() != null) {
                Connector.Room room = Connector.createRoom(way.control(), wanted, options.words(), config.waitForPeer(), random);
                c = room.code();
                config = Connector.within(room, config, t -> events.accept(new TransferEvent.Notice(t)));
                events.accept(new TransferEvent.CodeReady(c.phrase()));
                session = Connector.viaRoom(way.control(), c, Handshake.Role.INITIATOR, config, way.relay(), random);
            } else {
                c = wanted != null ? wanted : Code.generate(random, options.words());
                // At a bare relay the code is shown only once the relay holds our place: a code for a
                // relay that is not there would only send the other side to wait in vain.
                var socket = Connector.dialRelay(way.relay(), c, config);
                events.accept(new TransferEvent.CodeReady(c.phrase()));
                session = Connector.viaRelay(socket, way.relay(), c, Handshake.Role.INITIATOR, config, random);
            }
        } catch (IOException e) {
            throw translate(e);
        }
        Moving moving = new Moving(events);
        LiveTransfers.track(session);
        try (Session s = session) {
            announce(s, events);
            if (offer.isFiles()) {
                FileSender.Sent sent = sendFiles(s, offer, moving);
                return new Sent(sent.bytesSent(), sent.skipped(), sent.resumed(), moving.elapsed());
            }
            long total = offer.totalBytes();
            try {
                long n = StreamTransfer.send(s, offer.kind, offer.input, offer.size,
                        b -> moving.accept(new TransferEvent.Progress(b, total)));
                return new Sent(n, 0, 0, moving.elapsed());
            } catch (IOException e) {
                throw s.explain(e, "the receiver");
            }
        } catch (IOException e) {
            throw translate(e);
        } finally {
            LiveTransfers.untrack(session);
        }
    }

    /** Tells {@code events} the path {@code s} is on ({@link TransferEvent.Connected}) and each later move ({@link TransferEvent.Upgraded}). */
    static void announce(Session s, Consumer<? super TransferEvent> events) {
        s.watchPath(p -> events.accept(new TransferEvent.Connected(PathInfo.of(p))),
                p -> events.accept(new TransferEvent.Upgraded(PathInfo.of(p))));
    }

    /**
     * Sends the files; if a direct path dies on the way, goes on through the relay by itself (the
     * receiver keeps what it verified, so only the rest moves). The relay session has no further fallback.
     */
    static FileSender.Sent sendFiles(Session first, Offer offer, Consumer<? super TransferEvent> events)
            throws IOException {
        long total = offer.totalBytes();
        Session s = first;
        try {
            while (true) {
                try {
                    return FileSender.send(s, offer.sources, b -> events.accept(new TransferEvent.Progress(b, total)));
                } catch (IOException e) {
                    if (!pathBroke(e)) {
                        throw e;
                    }
                    IOException why = s.explain(e, "the receiver");
                    Session.Fallback back = s.fallback();
                    if (back == null) {
                        throw why;
                    }
                    events.accept(new TransferEvent.PathBroke(why.getMessage()));
                    closeUnlessFirst(s, first);
                    s = back.connect();
                    LiveTransfers.track(s);
                    events.accept(new TransferEvent.FellBack(PathInfo.of(s.path()), why.getMessage()));
                }
            }
        } finally {
            closeUnlessFirst(s, first);
        }
    }

    /**
     * Receives what the sender of {@code code} sends: files and folders into
     * {@link ReceiveOptions#folder()} once {@link ReceiveOptions#accept()} says yes, a text or a
     * stream to {@link ReceiveOptions#output()}.
     */
    public Received receive(String code, ReceiveOptions receive, Consumer<? super TransferEvent> events) throws TrystException {
        Objects.requireNonNull(receive, "receive");
        Objects.requireNonNull(events, "events");
        Code c = parse(code);
        boolean makeFolder = folderToMake(receive.folder()); // before the code is spent
        ConnectConfig config = config(Handshake.Role.RESPONDER);
        Session session;
        try (Rendezvous.Way way = Rendezvous.open(options, t -> events.accept(new TransferEvent.Notice(t)))) {
            if (way.control() != null) {
                Connector.joinRoom(way.control(), c);
                session = Connector.viaRoom(way.control(), c, Handshake.Role.RESPONDER, config, way.relay(), random);
            } else {
                session = Connector.viaRelay(way.relay(), c, Handshake.Role.RESPONDER, config, random);
            }
        } catch (IOException e) {
            throw translate(e);
        }
        Moving moving = new Moving(events);
        LiveTransfers.track(session);
        try (Session s = session) {
            announce(s, events);
            TransferWire.Message offer;
            StreamTransfer.Received got;
            try {
                offer = StreamTransfer.awaitOffer(s);
                if (offer instanceof TransferWire.OfferFiles files) {
                    FileReceiver.Result r;
                    if (makeFolder) {
                        Path made;
                        try {
                            made = Files.createDirectories(receive.folder());
                        } catch (IOException e) {
                            throw new LocalIoException("could not make the folder " + receive.folder() + ": " + e.getMessage(),
                                    "could not make its folder", e);
                        }
                        try {
                            r = receiveFiles(s, files, receive, moving);
                        } catch (IOException | RuntimeException e) {
                            removeIfEmpty(made); // declined or failed before anything landed: no stray folder
                            throw e;
                        }
                    } else {
                        r = receiveFiles(s, files, receive, moving);
                    }
                    return new Received(Received.Kind.FILES, r.bytesReceived(), r.files(), r.directories(), r.skipped(),
                            r.resumed(), receive.folder().toAbsolutePath().normalize(), moving.elapsed());
                }
                TransferWire.Offer o = (TransferWire.Offer) offer;
                got = StreamTransfer.receive(s, o, receive.output(), b -> moving.accept(new TransferEvent.Progress(b, o.size())));
            } catch (IOException e) {
                throw s.explain(e, "the sender");
            }
            return new Received(got.kind() == TransferWire.KIND_TEXT ? Received.Kind.TEXT : Received.Kind.STREAM,
                    got.bytes(), 0, 0, 0, 0, null, moving.elapsed());
        } catch (IOException e) {
            throw translate(e);
        } finally {
            LiveTransfers.untrack(session);
        }
    }

    /**
     * Tells the peer of every transfer this process is making that it stops, with {@code reason}
     * (an ABORT it reports at once, as "the other side stopped: REASON"), and ends them; for a
     * shutdown hook, so that Ctrl-C or SIGTERM on one side does not leave the other waiting for a
     * path that will not come back. Returns how many transfers were stopped.
     */
    public static int stopAll(String reason) {
        return LiveTransfers.stopAll(reason);
    }

    /**
     * Whether {@code folder} must be made when files are offered: it is a folder already (false), or
     * missing with a folder we may write in as its nearest existing parent (true, as croc and
     * magic-wormhole make it). Anything else is said before the code is spent.
     */
    static boolean folderToMake(Path folder) throws TrystException {
        if (Files.isDirectory(folder)) {
            return false;
        }
        if (Files.exists(folder, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, folder + " is not a folder",
                    "receive into a folder, or name one that does not exist yet to have it made", null);
        }
        Path parent = folder.toAbsolutePath().normalize().getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, folder + " cannot be made: "
                    + (parent == null ? "no part of its path exists" : parent + " is not a folder"), "receive into a folder", null);
        }
        if (!Files.isWritable(parent)) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, folder + " cannot be made: " + parent
                    + " is not writable", "receive into a folder you may write in", null);
        }
        return true;
    }

    private static void removeIfEmpty(Path made) {
        try {
            Files.deleteIfExists(made); // only an empty folder can be deleted
        } catch (IOException ignored) {
            // it holds something now (a part file to resume): it stays
        }
    }

    /**
     * Receives the files; if a direct path dies on the way, goes on through the relay by itself. The
     * sender offers again there: the very same entries (paths, sizes, times, modes) go on without
     * asking twice, anything else is asked about again, as a new offer.
     */
    static FileReceiver.Result receiveFiles(Session first, TransferWire.OfferFiles offer, ReceiveOptions receive,
                                            Consumer<? super TransferEvent> events) throws IOException {
        List<List<TransferWire.Entry>> accepted = new ArrayList<>(1); // the offer said yes to, once there is one
        Session current = first;
        TransferWire.OfferFiles currentOffer = offer;
        try {
            while (true) {
                var options = new FileReceiver.Options(receive.folder(), receive.overwrite(), summary -> {
                    if (!accepted.isEmpty() && accepted.getFirst().equals(summary.entries())) {
                        return true;
                    }
                    accepted.clear();
                    boolean yes = receive.accept().test(OfferSummary.of(summary));
                    if (yes) {
                        accepted.add(summary.entries());
                    }
                    return yes;
                });
                long total = currentOffer.totalBytes();
                try {
                    return FileReceiver.receive(current, currentOffer, options,
                            b -> events.accept(new TransferEvent.Progress(b, total)));
                } catch (IOException e) {
                    if (!pathBroke(e)) {
                        throw e;
                    }
                    IOException why = current.explain(e, "the sender");
                    Session.Fallback back = current.fallback();
                    if (back == null) {
                        var kind = why instanceof SessionException se ? se.kind() : SessionException.Kind.PEER_GONE;
                        throw new SessionException(kind, why.getMessage() + " — what arrived is kept: run send and receive again"
                                + " and only the missing bytes will move", e);
                    }
                    events.accept(new TransferEvent.PathBroke(why.getMessage()));
                    closeUnlessFirst(current, first);
                    current = back.connect();
                    LiveTransfers.track(current);
                    events.accept(new TransferEvent.FellBack(PathInfo.of(current.path()), why.getMessage()));
                    TransferWire.Message m = StreamTransfer.awaitOffer(current);
                    if (!(m instanceof TransferWire.OfferFiles again)) {
                        throw new SessionException(SessionException.Kind.PROTOCOL,
                                "after the fallback the sender offered something else than files", null);
                    }
                    currentOffer = again;
                }
            }
        } finally {
            closeUnlessFirst(current, first);
        }
    }

    /** Sockets opened by the birthday spray when plain probing has not worked (BASELINES: 512 ports joined cone and symmetric every time). */

    /**
     * Checks how this machine and another reach each other: run with {@code code} null on one (the
     * code comes as {@link TransferEvent.CodeReady}), with that code on the other. Reports the UDP
     * address STUN sees, the path a transfer would take (direct TCP or the relay) and whether a
     * direct UDP path can be punched, with timings. Sends only probes.
     *
     * @param stun the STUN server {@code HOST[:PORT]}, or null: the rendezvous server's host, port 3478
     */
    public void netcheck(String code, String stun, Consumer<? super TransferEvent> events,
                         Consumer<? super NetcheckResult> results) throws TrystException {
        Code c = code == null ? null : parse(code);
        Handshake.Role role = c == null ? Handshake.Role.INITIATOR : Handshake.Role.RESPONDER;
        ConnectConfig config = config(role);
        try (Rendezvous.Way way = Rendezvous.open(options, t -> events.accept(new TransferEvent.Notice(t)))) {
            if (way.control() == null) {
                throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "netcheck needs a tryst server with a rendezvous",
                        "name the server", null);
            }
            if (c == null) {
                Connector.Room room = Connector.createRoom(way.control(), null, options.words(), config.waitForPeer(), random);
                c = room.code();
                config = Connector.within(room, config, t -> events.accept(new TransferEvent.Notice(t)));
                events.accept(new TransferEvent.CodeReady(c.phrase()));
            } else {
                Connector.joinRoom(way.control(), c);
            }
            // The server says where its STUN responder is (CONNECTED); one that runs none leaves
            // the STUN check, and so the UDP one, unable to run unless --stun names another.
            int stunPort = way.control().stunPort();
            java.net.InetSocketAddress stunServer = stun != null ? resolve(stun)
                    : stunPort == 0 ? null : new java.net.InetSocketAddress(way.control().server().getAddress(), stunPort);
            try (java.net.DatagramSocket udp = new java.net.DatagramSocket(0)) {
                java.net.InetSocketAddress[] mapped = {null};
                String[] stunWhy = {stunServer == null ? "the server runs no STUN responder (name one with --stun)" : null};
                // asked for when the peer is there, so that the mapping is fresh (NATs forget idle UDP mappings)
                Connector.Met met = Connector.meet(way.control(), c, role, config, () -> {
                    java.util.List<java.net.InetSocketAddress> mine = new java.util.ArrayList<>();
                    if (stunServer == null) {
                        return dev.tryst.wire.EndpointsWire.encode(mine);
                    }
                    try {
                        mapped[0] = dev.tryst.stun.StunClient.mappedAddress(udp, stunServer, Duration.ofSeconds(3), random);
                        mine.add(mapped[0]);
                        for (var a : dev.tryst.path.Candidates.local(udp.getLocalPort(), dev.tryst.wire.EndpointsWire.MAX_ENDPOINTS - 1)) {
                            mine.add(a.toSocketAddress());
                        }
                        } catch (IOException e) {
                        stunWhy[0] = "no STUN answer from " + dev.tryst.net.HostPort.format(stunServer) + " (" + e.getMessage() + ")";
                    }
                    return dev.tryst.wire.EndpointsWire.encode(mine);
                }, random);
                try {
                    results.accept(new NetcheckResult.Stun(mapped[0] == null ? null : dev.tryst.net.HostPort.format(mapped[0]),
                            mapped[0] == null ? stunWhy[0] : null));
                    long t0 = System.nanoTime();
                    try {
                        dev.tryst.path.PathRace.Won won = Connector.race(way.control(), met, config, way.relay(), random, false);
                        won.session().close();
                        results.accept(new NetcheckResult.Tcp(PathInfo.of(won.session().path()), millis(t0), null));
                    } catch (SessionException e) {
                        results.accept(new NetcheckResult.Tcp(null, millis(t0), e.getMessage()));
                    }
                    var theirs = dev.tryst.wire.EndpointsWire.decode(met.peerExtra());
                    if (mapped[0] == null || theirs.isEmpty()) {
                        results.accept(new NetcheckResult.Udp(null, -1, false,
                                "no STUN mapping on " + (mapped[0] == null ? "this" : "the other") + " side"));
                    } else {
                        long t1 = System.nanoTime();
                        var p = dev.tryst.punch.UdpPunch.punch(udp, new dev.tryst.punch.UdpPunch.Plan(role, theirs.getFirst(),
                                theirs.subList(1, theirs.size()), Duration.ofMillis(1000), dev.tryst.path.PathConfig.SPRAY_PORTS, Duration.ofSeconds(6)),
                                met.agreed(), random);
                        if (p == null) {
                            results.accept(new NetcheckResult.Udp(null, millis(t1), false, null));
                        } else {
                            p.socket().close();
                            results.accept(new NetcheckResult.Udp(dev.tryst.net.HostPort.format(p.peer()), p.took().toMillis(),
                                    p.sprayed(), null));
                        }
                    }
                } finally {
                    met.agreed().close();
                }
            }
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private static java.net.InetSocketAddress resolve(String hostPort) throws TrystException {
        try {
            return dev.tryst.net.HostPort.resolve(dev.tryst.net.HostPort.parse(hostPort, dev.tryst.wire.StunWire.DEFAULT_PORT));
        } catch (java.net.UnknownHostException | IllegalArgumentException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, "the STUN server: " + e.getMessage(), e);
        }
    }

    private static long millis(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    /**
     * Whether {@code e} says the path broke (a cut, a socket error, silence, a record that failed
     * authentication on the way), which the relay may mend; not the peer's own word (a refusal, an
     * abort), its broken messages, nor our own disk: those end the transfer where they happened.
     */
    static boolean pathBroke(IOException e) {
        return !(e instanceof TransferException || e instanceof LocalIoException || e instanceof dev.tryst.wire.WireException);
    }

    /** Closes a fallback session; the first one is closed by its owner. */
    private static void closeUnlessFirst(Session s, Session first) {
        if (s != first) {
            LiveTransfers.untrack(s);
            try {
                s.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }

    private ConnectConfig config(Handshake.Role role) {
        return codeConfig(options, role);
    }

    /** The time bounds of a code's meeting, from the options. */
    static ConnectConfig codeConfig(TrystOptions options, Handshake.Role role) {
        ConnectConfig d = ConnectConfig.defaults(role);
        return d.withWaitForPeer(options.waitForPeer() != null ? options.waitForPeer() : d.waitForPeer())
                .withDirect(options.direct()).withPaths(d.paths().withRelayDelay(options.relayDelay()));
    }

    /** A typed code, read forgivingly; a word not in the list gets a suggestion, before any network traffic. */
    static Code parse(String code) throws TrystException {
        try {
            return Code.parse(code);
        } catch (CodeFormatException e) {
            throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
        }
    }

    /**
     * Passes events on and notes when the first byte moved: a transfer's time and rate count from
     * there, not from connecting (which would count the wait for the other side's yes: a 5 MB
     * transfer read 7.2 MB/s beside the progress line's 873.8 MB/s).
     */
    private static final class Moving implements Consumer<TransferEvent> {
        private final Consumer<? super TransferEvent> events;
        private final long connected = System.nanoTime();
        private volatile long firstByte;

        Moving(Consumer<? super TransferEvent> events) {
            this.events = events;
        }

        @Override
        public void accept(TransferEvent e) {
            if (firstByte == 0 && e instanceof TransferEvent.Progress) {
                firstByte = System.nanoTime();
            }
            events.accept(e);
        }

        Duration elapsed() {
            return since(firstByte != 0 ? firstByte : connected);
        }
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Any failure as a {@link TrystException}: its reason from what failed, and what to do next. */
    static TrystException translate(IOException e) {
        return switch (e) {
            case TrystException t -> t;
            case SessionException s -> switch (s.kind()) {
                case RELAY_UNREACHABLE -> new TrystException(TrystException.Reason.UNREACHABLE, s.getMessage(), s);
                case WRONG_CODE -> new TrystException(TrystException.Reason.WRONG_CODE, s.getMessage(), s);
                case TIMED_OUT -> new TrystException(TrystException.Reason.TIMED_OUT, s.getMessage(), s);
                case PEER_GONE, PROTOCOL -> new TrystException(TrystException.Reason.PEER_GONE, s.getMessage(), s);
                case PEER_UNAVAILABLE -> new TrystException(TrystException.Reason.PEER_UNAVAILABLE, s.getMessage(), s);
                case NOT_AUTHENTICATED -> new TrystException(TrystException.Reason.NOT_AUTHENTICATED, s.getMessage(), s);
            };
            case LocalIoException l -> new TrystException(TrystException.Reason.LOCAL_IO, l.getMessage(), l);
            case TransferException t -> switch (t.reason()) {
                case DECLINED, ABORTED_BY_PEER -> new TrystException(TrystException.Reason.DECLINED, t.getMessage(), t);
                case VERIFICATION_FAILED -> new TrystException(TrystException.Reason.VERIFICATION_FAILED, t.getMessage(), t);
                case UNEXPECTED_MESSAGE -> new TrystException(TrystException.Reason.PEER_GONE, t.getMessage(), t);
                case CONFLICT -> new TrystException(TrystException.Reason.CONFLICT, t.getMessage(),
                        "allow replacing the existing files, or receive into another folder", t);
                case NO_SPACE -> new TrystException(TrystException.Reason.NO_SPACE, t.getMessage(), t);
                case UNSAFE_OFFER -> new TrystException(TrystException.Reason.UNSAFE_OFFER, t.getMessage(), t);
            };
            default -> new TrystException(TrystException.Reason.PEER_GONE, e.getMessage(), e);
        };
    }
}
