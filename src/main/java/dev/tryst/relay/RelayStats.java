package dev.tryst.relay;

/**
 * A point-in-time snapshot of the relay's counters and gauges. Counters only grow; gauges
 * ({@code active*}, {@code waitingKeys}, {@code liveThreads}) go up and down.
 *
 * @param connectionsAccepted     every TCP connection accepted, including ones refused right away
 * @param activeConnections       gauge: connections currently open on the relay side
 * @param waitingKeys             gauge: keys waiting alone for a peer
 * @param activePairs             gauge: stapled pairs currently piping
 * @param pairsStapled            pairs stapled since start
 * @param bytesRelayed            payload bytes copied, both directions together
 * @param earlyBytes              payload bytes read from clients still waiting for their peer (held for it)
 * @param refusedConnections      refused because {@code maxConnections} was reached
 * @param refusedPerAddress       refused because the source address reached {@code maxPerAddress}
 * @param refusedWaiting          refused because {@code maxWaiting} keys were already waiting
 * @param refusedPairs            refused because {@code maxPairs} pairs were already stapled
 * @param refusedKeyStapled       refused because their key was already stapled to a pair
 * @param handshakeTimeouts       cut because the 33-byte key did not arrive within {@code handshakeTimeout}
 * @param handshakeFailures       closed because the client hung up or errored before sending a whole key
 * @param waitTimeouts            waiting keys dropped after {@code waitTimeout}
 * @param waitAbandoned           waiting keys dropped because their client hung up while waiting
 * @param idleTimeouts            stapled pairs closed after {@code idleTimeout} without traffic
 * @param liveThreads             gauge: relay threads (accept, sweeper, connection/pipe) still running
 * @param bytesFirstToSecond      of {@code bytesRelayed}, those from the client that waited to the one that came second
 * @param bytesSecondToFirst      of {@code bytesRelayed}, those the other way
 */
public record RelayStats(long connectionsAccepted, long activeConnections, long waitingKeys, long activePairs,
                         long pairsStapled, long bytesRelayed, long earlyBytes,
                         long refusedConnections, long refusedPerAddress, long refusedWaiting, long refusedPairs,
                         long refusedKeyStapled,
                         long handshakeTimeouts, long handshakeFailures, long waitTimeouts, long waitAbandoned,
                         long idleTimeouts, long liveThreads, long bytesFirstToSecond, long bytesSecondToFirst) {

    /** All refusals together. */
    public long refusedTotal() {
        return refusedConnections + refusedPerAddress + refusedWaiting + refusedPairs + refusedKeyStapled;
    }

    /** All timeouts together. */
    public long timeoutsTotal() {
        return handshakeTimeouts + waitTimeouts + idleTimeouts;
    }
}
