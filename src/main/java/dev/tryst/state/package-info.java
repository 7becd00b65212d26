/**
 * The rendezvous server's shared state, behind small interfaces, so that the handlers of
 * {@code dev.tryst.rendezvous} do not care where it lives: {@link dev.tryst.state.RoomDirectory}
 * (rooms by nameplate), {@link dev.tryst.state.Presence} (who is online, and the connection
 * requests waiting for them), {@link dev.tryst.state.Bus} (delivering a packet to a session
 * wherever it lives). The event log is {@link dev.tryst.events.EventLog}. The single-node
 * implementations are in {@code dev.tryst.state.local}; a distributed store adds others beside
 * them without touching the handlers.
 */
package dev.tryst.state;
