package dev.tryst.rendezvous;

import java.util.concurrent.atomic.LongAdder;

/** The rendezvous server's counters, shared by its transport and handlers; {@link RendezvousStats} explains each. */
final class RendezvousCounters {
    final LongAdder accepted = new LongAdder();
    final LongAdder refusedSessions = new LongAdder();
    final LongAdder refusedPerAddress = new LongAdder();
    final LongAdder invalidPackets = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder slowConsumers = new LongAdder();
    final LongAdder roomsCreated = new LongAdder();
    final LongAdder roomsJoined = new LongAdder();
    final LongAdder roomsRefused = new LongAdder();
    final LongAdder contactsExchanged = new LongAdder();
    final LongAdder messagesForwarded = new LongAdder();
    final LongAdder roomsExpired = new LongAdder();
    final LongAdder failedLookups = new LongAdder();
    final LongAdder lookupLimitDisconnects = new LongAdder();
    final LongAdder joinLimitDisconnects = new LongAdder();
    final LongAdder seatsFreed = new LongAdder();
    final LongAdder requestLimitDisconnects = new LongAdder();
    final LongAdder logins = new LongAdder();

    RendezvousStats snapshot(long activeSessions, long activeRooms, long liveThreads, long queued, long deepest, long limit) {
        return new RendezvousStats(accepted.sum(), activeSessions, activeRooms, refusedSessions.sum(),
                refusedPerAddress.sum(), invalidPackets.sum(), timeouts.sum(), slowConsumers.sum(), roomsCreated.sum(),
                roomsJoined.sum(), roomsRefused.sum(), contactsExchanged.sum(), messagesForwarded.sum(),
                roomsExpired.sum(), failedLookups.sum(), lookupLimitDisconnects.sum(), joinLimitDisconnects.sum(),
                seatsFreed.sum(), requestLimitDisconnects.sum(), liveThreads, logins.sum(), queued, deepest, limit);
    }
}
