package dev.tryst.api;

import dev.tryst.channel.Handshake;
import dev.tryst.client.ControlClient;
import dev.tryst.client.PeerConnector;
import dev.tryst.client.PeerListener;
import dev.tryst.connect.Mux;
import dev.tryst.connect.Opening;
import dev.tryst.connect.Services;
import dev.tryst.identity.IdentityKey;
import dev.tryst.session.Session;
import dev.tryst.transfer.FileReceiver;
import dev.tryst.transfer.StreamTransfer;
import dev.tryst.wire.PeerWire;
import dev.tryst.wire.TransferWire;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A running listener ({@link Peers#listen}): reachable by contacts until closed. Each contact's
 * session is served on a thread of its own: streams to what is offered, or files into the folder.
 */
public final class Listening implements AutoCloseable {
    private final PeerListener listener;
    private final Set<Mux> sessions = ConcurrentHashMap.newKeySet();
    private final CountDownLatch pipeDone = new CountDownLatch(1);
    private final ListenOptions offer;
    private final Services services;
    private final Consumer<? super ListenEvent> events;

    private Listening(Peers peers, ControlClient.Server server, InetSocketAddress relay, ListenOptions offer,
                      Consumer<? super ListenEvent> events, SecureRandom random) throws TrystException {
        this.offer = offer;
        this.events = events;
        this.services = offer.offersStreams() ? services(offer) : null;
        String offers = describe();
        this.listener = PeerListener.start(server, peers.me().identity, peers::contactName, this::serve,
                new PeerListener.Events() {
                    @Override
                    public void online(String s) {
                        events.accept(new ListenEvent.Online(s, offers));
                    }

                    @Override
                    public void offline(String why, Duration retryIn) {
                        events.accept(new ListenEvent.Offline(why, retryIn.toMillis()));
                    }

                    @Override
                    public void denied(IdentityKey requester) {
                        events.accept(new ListenEvent.Denied(requester.fingerprint(), requester.toHex()));
                    }

                    @Override
                    public void accepted(String name) {
                        events.accept(new ListenEvent.Accepted(name));
                    }

                    @Override
                    public void failed(String name, IOException why) {
                        events.accept(new ListenEvent.Failed(name, why.getMessage()));
                    }
                }, peers.peerConfig(Handshake.Role.RESPONDER), relay, random);
    }

    static Listening start(Peers peers, ControlClient.Server server, InetSocketAddress relay, ListenOptions offer,
                           Consumer<? super ListenEvent> events, SecureRandom random) throws TrystException {
        return new Listening(peers, server, relay, offer, events, random);
    }

    private Services services(ListenOptions o) throws TrystException {
        Map<Integer, InetSocketAddress> ports = new TreeMap<>();
        for (var e : o.expose().entrySet()) {
            try {
                ports.put(e.getKey(), Services.parseExpose(e.getKey() + "=" + e.getValue()).getValue());
            } catch (IllegalArgumentException x) {
                throw new TrystException(TrystException.Reason.INVALID_ARGUMENT, x.getMessage(), x);
            }
        }
        Services.Pipe pipe = o.pipeIn() == null ? null : new Services.Pipe(o.pipeIn(), o.pipeOut(), o.pipeOut()::close);
        return new Services(ports, pipe, new Services.Events() {
            @Override
            public void opened(String peer, String what) {
                events.accept(new ListenEvent.StreamOpened(peer, what));
            }

            @Override
            public void refused(String peer, String what, String why) {
                events.accept(new ListenEvent.StreamRefused(peer, what, why));
            }

            @Override
            public void closed(String peer, String what, IOException failure) {
                events.accept(new ListenEvent.StreamClosed(peer, what, failure == null ? null : failure.getMessage()));
            }

            @Override
            public void pipeDone() {
                pipeDone.countDown();
            }
        });
    }

    /** What it offers, in words: "the pipe, port 22, files into /srv/in". */
    public String describe() {
        return describe(true);
    }

    /** What it offers; for a peer, without the folder's path. */
    private String describe(boolean local) {
        String streams = services == null ? "" : services.describe();
        String files = offer.folder() == null ? "" : local ? "files into " + offer.folder().toAbsolutePath().normalize() : "files";
        return streams.isEmpty() ? (files.isEmpty() ? "nothing" : files) : files.isEmpty() ? streams : streams + ", " + files;
    }

    /** Sessions at once from one contact, and in all: a contact cannot tie up the listener with sessions. */
    static final int MAX_SESSIONS_PER_PEER = 16;
    static final int MAX_SESSIONS = 256;
    private final Map<String, Integer> perPeer = new java.util.HashMap<>();
    private int total;

    private synchronized boolean take(String peer) {
        int n = perPeer.getOrDefault(peer, 0);
        if (n >= MAX_SESSIONS_PER_PEER || total >= MAX_SESSIONS) {
            return false;
        }
        perPeer.put(peer, n + 1);
        total++;
        return true;
    }

    private synchronized void give(String peer) {
        perPeer.merge(peer, -1, Integer::sum);
        perPeer.remove(peer, 0);
        total--;
    }

    /** One admitted contact's session, on its own thread. */
    private void serve(PeerConnector.Connection c) {
        Session s = c.session();
        String name = c.peerName();
        boolean counted = take(name);
        try {
            byte purpose = Opening.read(s, name);
            if (!counted) {
                Opening.refuse(s, "too many sessions at once (" + MAX_SESSIONS_PER_PEER + " from one contact, "
                        + MAX_SESSIONS + " in all)");
                events.accept(new ListenEvent.Failed(name, "refused: too many sessions at once"));
            } else if (purpose == PeerWire.PURPOSE_STREAMS && services != null) {
                Opening.accept(s);
                events.accept(new ListenEvent.Connected(name, PathInfo.of(s.path()), "streams"));
                Mux mux = Mux.start(s, Handshake.Role.RESPONDER, name, c.reconnect(), services, new Mux.Events() {
                    @Override
                    public void moved(String path, String why) {
                        events.accept(new ListenEvent.Moved(name, PathInfo.of(path), why));
                    }
                });
                sessions.add(mux);
                try {
                    IOException why = mux.awaitEnd();
                    events.accept(new ListenEvent.Ended(name, why == null ? null : why.getMessage()));
                } finally {
                    sessions.remove(mux);
                }
            } else if (purpose == PeerWire.PURPOSE_FILES && offer.folder() != null) {
                Opening.accept(s);
                events.accept(new ListenEvent.Connected(name, PathInfo.of(s.path()), "files"));
                receiveFiles(c, name);
            } else {
                String why = purpose == PeerWire.PURPOSE_STREAMS ? "it offers no streams (it offers " + describe(false) + ")"
                        : purpose == PeerWire.PURPOSE_FILES ? "it does not receive files (it offers " + describe(false) + ")"
                        : "it does not know what the session is for (purpose " + purpose + ")";
                Opening.refuse(s, why);
                events.accept(new ListenEvent.Failed(name, "refused: " + why));
            }
        } catch (IOException e) {
            events.accept(new ListenEvent.Failed(name, e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (counted) {
                give(name);
            }
            try {
                s.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }

    private void receiveFiles(PeerConnector.Connection c, String name) throws IOException {
        Session s = c.reconnect() == null ? c.session() : c.session().withFallback(c.reconnect());
        long t0 = System.nanoTime();
        TransferWire.Message m = StreamTransfer.awaitOffer(s);
        if (!(m instanceof TransferWire.OfferFiles files)) {
            throw new IOException(name + " offered something else than files");
        }
        ReceiveOptions into = new ReceiveOptions(offer.folder(), offer.overwrite(), offer.accept(), OutputStream.nullOutputStream());
        FileReceiver.Result r = Tryst.receiveFiles(s, files, into, e -> { });
        events.accept(new ListenEvent.FilesReceived(name, new Received(Received.Kind.FILES, r.bytesReceived(), r.files(),
                r.directories(), r.skipped(), r.resumed(), offer.folder().toAbsolutePath().normalize(),
                Duration.ofNanos(System.nanoTime() - t0))));
    }

    /** Whether it is logged in to the server now. */
    public boolean online() {
        return listener.online();
    }

    /** Waits until its pipe was used and is done (true), or {@code timeout} passed. */
    public boolean awaitPipeDone(Duration timeout) throws InterruptedException {
        return pipeDone.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Contacts' sessions open now. */
    public int sessions() {
        return sessions.size();
    }

    /** Stops listening and ends every session. */
    @Override
    public void close() {
        listener.close();
        for (Mux m : sessions) {
            m.close();
        }
    }
}
