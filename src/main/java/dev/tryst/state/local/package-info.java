/**
 * The single-node state: in-memory maps, which is what {@code tryst server} runs with (events go
 * to the SQLite {@link dev.tryst.events.EventStore}).
 */
package dev.tryst.state.local;
