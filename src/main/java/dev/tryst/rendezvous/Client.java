package dev.tryst.rendezvous;

import dev.tryst.wire.ControlWire.Frame;
import dev.tryst.wire.ControlWire.Packet;
import dev.tryst.wire.Bytes;
import dev.tryst.identity.IdentityKey;
import dev.tryst.state.Bus;
import dev.tryst.state.SessionRef;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;

/**
 * One client of the rendezvous server as its handlers see it: the transport ({@link ControlSession}),
 * its name on the {@link Bus}, its source group, and what each handler keeps per session. It is the
 * session's bus endpoint and the transport's listener, which it hands on to the server.
 */
final class Client implements Bus.Endpoint, ControlSession.Listener {
    final ControlSession io;
    final InetAddress group;
    /** The source's site (an IPv6 /48; an IPv4 address itself): what budgets and quotas of the event log count by. */
    final InetAddress site;
    final boolean admitted;
    private final RendezvousServer server;
    /** Set once attached to the bus, before any frame is read. */
    SessionRef ref;

    // rooms (the room handler's, under its lock)
    /** The room this session believes it is in, or null; checked against the directory on use. */
    String nameplate;
    /** A room was closed under this session, so room packets already on the way are dropped, not invalid. */
    boolean hadRoom;

    // login (the presence handler's; claimed and challenge only on the reader thread)
    IdentityKey claimed;
    byte[] challenge;
    /** Set once logged in. */
    volatile Bytes identity;
    /** Logged in to dial only ({@link dev.tryst.wire.ControlWire#MODE_DIALER}): asks for connections, holds no place, has no events. */
    volatile boolean dialer;
    /** The last event order given to this identity when it logged in. */
    volatile long loginLastOrder;

    // events (the event handler's)
    volatile boolean resumed;
    /** The last event order written to this session; advanced by the writer only. */
    volatile long sentOrder;
    /** The order last acknowledged (RESUME or EVENT_ACK); reader thread only. */
    long ackedOrder;

    Client(ControlSession io, InetAddress group, boolean admitted, RendezvousServer server) {
        this.io = io;
        this.group = group;
        this.site = dev.tryst.net.AddressGroup.wide(io.remote.getAddress());
        this.admitted = admitted;
        this.server = server;
    }

    @Override
    public boolean send(Packet p) {
        return io.send(p);
    }

    @Override
    public boolean sendPaced(Packet p) {
        return io.sendPaced(p);
    }

    @Override
    public void wake() {
        if (resumed) {
            io.queuePump();
        }
    }

    @Override
    public void frame(Frame f) {
        server.dispatch(this, f);
    }

    @Override
    public void closing() {
        server.closing(this);
    }

    @Override
    public void pump(OutputStream out) throws IOException {
        server.pump(this, out);
    }

    @Override
    public void ended() {
        server.ended(this);
    }
}
