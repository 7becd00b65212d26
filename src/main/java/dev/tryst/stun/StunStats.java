package dev.tryst.stun;

/**
 * A point-in-time snapshot of the STUN responder's counters (they only grow).
 *
 * @param datagrams             every datagram received, on any socket
 * @param requests              well-formed Binding requests admitted by the rate limit
 * @param responses             responses sent (success and error)
 * @param errorResponses        of those, error responses (400, 420)
 * @param droppedMalformed      datagrams that were not a well-formed Binding request (garbage,
 *                              responses, indications, other methods, wrong FINGERPRINT, oversize)
 * @param droppedRateLimited    Binding requests dropped because their source's bucket was empty
 * @param droppedAmplification  answers not sent because even without SOFTWARE they were larger
 *                              than the request (plus {@link StunConfig#responseSlack()})
 * @param sendFailures          answers the socket would not take (buffer full, unreachable)
 * @param sources               gauge: sources currently tracked by the rate limiter
 */
public record StunStats(long datagrams, long requests, long responses, long errorResponses,
                        long droppedMalformed, long droppedRateLimited, long droppedAmplification,
                        long sendFailures, long sources) {

    /** All drops together. */
    public long droppedTotal() {
        return droppedMalformed + droppedRateLimited + droppedAmplification + sendFailures;
    }
}
