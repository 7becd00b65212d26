package dev.tryst.rendezvous;

/**
 * A point-in-time snapshot of the rendezvous server's counters and gauges. Counters only grow;
 * gauges ({@code activeSessions}, {@code activeRooms}, {@code liveThreads}) go up and down.
 *
 * @param sessionsAccepted      every TCP connection accepted, including ones refused right away
 * @param activeSessions        gauge: admitted sessions not yet ended
 * @param activeRooms           gauge: rooms open
 * @param refusedSessions       refused because {@code maxSessions} was reached
 * @param refusedPerAddress     refused because the source address reached {@code maxSessionsPerAddress}
 * @param invalidPackets        sessions ended with "Invalid Packet" (bad first frame, bad frame, bad state)
 * @param timeouts              sessions ended with "Time out"
 * @param slowConsumers         sessions ended because their outgoing queue overflowed
 * @param roomsCreated          rooms created
 * @param roomsJoined           rooms a second member joined
 * @param roomsRefused          creates refused because the source address held {@code maxRoomsPerAddress} rooms
 * @param contactsExchanged     rooms where both members were done and got each other's contact
 * @param messagesForwarded     ROOM_MESSAGEs delivered to the other member (queued ones when delivered)
 * @param roomsExpired          rooms closed at {@code roomLifetime}
 * @param failedLookups         ROOM_NOT_FOUND and ROOM_TAKEN answers
 * @param lookupLimitDisconnects sessions ended for too many failed lookups
 * @param joinLimitDisconnects  sessions ended for too many joins from their source address
 * @param seatsFreed            joiners that left before their creator was done, whose seat another may take
 * @param requestLimitDisconnects sessions ended for too many connection requests (per source or identity)
 * @param liveThreads           gauge: server threads (accept, sweeper, per-session reader and writer) running
 * @param logins                identity sessions that proved their key and logged in
 * @param queuedPackets         gauge: packets waiting in all sessions' outgoing queues now
 * @param deepestQueue          gauge: the longest of those queues now (a session is dropped past {@code queueLimit})
 * @param queueLimit            each session's outgoing queue bound ({@code --queue} packets)
 */
public record RendezvousStats(long sessionsAccepted, long activeSessions, long activeRooms,
                              long refusedSessions, long refusedPerAddress, long invalidPackets, long timeouts,
                              long slowConsumers, long roomsCreated, long roomsJoined, long roomsRefused,
                              long contactsExchanged, long messagesForwarded, long roomsExpired, long failedLookups,
                              long lookupLimitDisconnects, long joinLimitDisconnects, long seatsFreed,
                              long requestLimitDisconnects, long liveThreads, long logins,
                              long queuedPackets, long deepestQueue, long queueLimit) {}
