package dev.tryst.rendezvous;

import dev.tryst.wire.ControlWire;
import dev.tryst.wire.ControlWire.EventAck;
import dev.tryst.wire.ControlWire.Request;
import dev.tryst.wire.ControlWire.Response;
import dev.tryst.wire.ControlWire.Resume;
import dev.tryst.events.Event;
import dev.tryst.events.EventLog;
import dev.tryst.events.EventStoreFullException;
import dev.tryst.events.Origin;
import dev.tryst.events.SequenceException;
import dev.tryst.identity.IdentityKey;
import dev.tryst.wire.Bytes;
import dev.tryst.state.Bus;
import dev.tryst.state.SessionRef;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Cryptology's ordered events and requests, for logged-in identities: RESUME from the last
 * processed ORDER, EVENTs in order at the socket's pace, EVENT_ACK, and REQUESTs whose SEQUENCE
 * continues from LOGIN_STATE's (replayed or skipped: ERROR, then DISCONNECT with the same text).
 * SEND_MESSAGE stores a sealed message for its recipient and wakes the recipient's session,
 * wherever it lives, through the {@link Bus}; a message the log has no room for is answered with
 * RESPONSE refused and the log's reason, for the sender to read. The events are an {@link EventLog}.
 */
final class EventHandler {
    /** Events fetched from the log per query while delivering. */
    private static final int EVENT_BATCH = 64;

    private final EventLog events;
    private final Bus bus;
    private final PresenceHandler presence;
    /** Messages per sending identity. */
    private final SendBudget identityBudget;
    /**
     * Messages per source site (IPv4 address, IPv6 /48), whatever identities it uses (a new identity
     * costs nothing, and neither does a new /64 of the same /48).
     */
    private final SendBudget sourceBudget;

    EventHandler(EventLog events, Bus bus, PresenceHandler presence, SendBudget identityBudget, SendBudget sourceBudget) {
        this.events = events;
        this.bus = bus;
        this.presence = presence;
        this.identityBudget = identityBudget;
        this.sourceBudget = sourceBudget;
    }

    void onResume(Client c, Resume r) {
        if (c.identity == null || c.dialer || c.resumed) { // a dialer has no events
            c.io.invalid();
            return;
        }
        long last = r.lastProcessedOrder();
        if (last > c.loginLastOrder) { // what the client processed it had before this login
            fail(c, 0, ControlWire.ERROR_BAD_REQUEST, "Resume past the last event (" + last + ")");
            return;
        }
        events.acknowledge(c.identity, last);
        c.ackedOrder = last;
        c.sentOrder = last;
        c.resumed = true;
        c.wake();
    }

    void onEventAck(Client c, EventAck a) {
        if (!c.resumed || a.order() > c.sentOrder) {
            c.io.invalid();
            return;
        }
        if (a.order() > c.ackedOrder) { // a repeated or older ack changes nothing: no log transaction for it
            c.ackedOrder = a.order();
            events.acknowledge(c.identity, a.order());
        }
    }

    void onRequest(Client c, Request r) {
        if (c.identity == null || c.dialer) { // the sequence is the identity session's
            c.io.invalid();
            return;
        }
        // Before the sequence is taken (a synced write): a sender over its budget costs no disk.
        // The address first: an attempt it makes costs it a token even if the identity's budget is spent.
        if (r.method() == ControlWire.METHOD_SEND_MESSAGE) {
            String spent = !sourceBudget.take(c.site) ? "this address" : !identityBudget.take(c.identity) ? "this identity" : null;
            if (spent != null) {
                fail(c, r.requestId(), ControlWire.ERROR_NOT_AVAILABLE, "Too many messages from " + spent + "; try again later");
                return;
            }
        }
        try {
            events.acceptSequence(c.identity, r.sequence());
        } catch (SequenceException e) {
            fail(c, r.requestId(), e.replayed() ? ControlWire.ERROR_REPLAYED_SEQUENCE : ControlWire.ERROR_SKIPPED_SEQUENCE,
                    (e.replayed() ? "Replayed sequence " : "Skipped sequence ") + r.sequence() + ", expected " + e.expected());
            return;
        }
        switch (r.method()) {
            case ControlWire.METHOD_SEND_MESSAGE -> sendMessage(c, r);
            default -> fail(c, r.requestId(), ControlWire.ERROR_UNKNOWN_METHOD, "Unknown method " + r.method());
        }
    }

    private void sendMessage(Client c, Request r) {
        Bytes body = r.body();
        if (body.length() <= ControlWire.ID_LENGTH) {
            fail(c, r.requestId(), ControlWire.ERROR_BAD_REQUEST, "A message needs a recipient and a body");
            return;
        }
        byte[] all = body.toByteArray();
        Bytes to = Bytes.of(all, 0, ControlWire.ID_LENGTH);
        Bytes sealed = Bytes.of(all, ControlWire.ID_LENGTH, all.length - ControlWire.ID_LENGTH);
        try {
            IdentityKey.of(to.toByteArray());
        } catch (IllegalArgumentException e) {
            fail(c, r.requestId(), ControlWire.ERROR_BAD_REQUEST, "The recipient is not an identity key");
            return;
        }
        try {
            // The sender is sealed inside: the store rations by the session's identity and source.
            events.append(to, (byte) ControlWire.EVENT_MESSAGE, sealed, new Origin(c.identity, c.site));
        } catch (EventStoreFullException e) {
            c.send(new Response(r.requestId(), ControlWire.STATUS_REFUSED, Bytes.of(e.getMessage().getBytes(StandardCharsets.UTF_8))));
            return;
        }
        c.send(new Response(r.requestId(), ControlWire.STATUS_OK, Bytes.of()));
        SessionRef target = presence.lookup(to);
        if (target != null) {
            bus.wake(target);
        }
    }

    /** An ERROR for the request, then DISCONNECT with the same text. */
    private static void fail(Client c, long requestId, int code, String text) {
        c.send(new ControlWire.RequestError(requestId, code, text));
        c.io.disconnect(text);
    }

    /** The writer of {@code c}: sends the stored events after the last one sent, in order, at the socket's pace. */
    void pump(Client c, OutputStream out) throws IOException {
        while (!c.io.isClosing()) {
            List<Event> batch = events.after(c.identity, c.sentOrder, EVENT_BATCH);
            for (Event e : batch) {
                ControlWire.write(out, new ControlWire.Event(e.order(), e.timestampMillis(), e.type() & 0xFF, e.payload()));
                c.sentOrder = e.order();
            }
            if (batch.size() < EVENT_BATCH) {
                return;
            }
        }
    }
}
