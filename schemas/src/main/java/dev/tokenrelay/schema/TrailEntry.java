package dev.tokenrelay.schema;

import java.time.Instant;

/**
 * One attempt in the trail a result carries: which account, what came of it and how long it took.
 *
 * @param number     the attempt's number within its request, from 1
 * @param account    the account called
 * @param pool       the pool the account was chosen from
 * @param outcome    the classified outcome
 * @param reason     a short machine-readable reason, e.g. {@code ok}, {@code status_429}, {@code empty_completion}
 * @param httpStatus the upstream HTTP status, {@code null} when there was no response
 * @param latencyMs  from the start of the call to its end
 * @param startedAt  when the call started
 * @param upstreamRequestId the id the upstream gave its response in a header ({@code x-request-id}
 *                   for OpenAI, {@code request-id} for Anthropic), {@code null} when it sent none or
 *                   there was no response; kept so a result can be matched with the provider's logs
 */
public record TrailEntry(
        int number,
        String account,
        String pool,
        OutcomeKind outcome,
        String reason,
        Integer httpStatus,
        long latencyMs,
        Instant startedAt,
        String upstreamRequestId) {

    /** An entry without an upstream request id, as written before that field existed. */
    public TrailEntry(int number, String account, String pool, OutcomeKind outcome, String reason, Integer httpStatus,
            long latencyMs, Instant startedAt) {
        this(number, account, pool, outcome, reason, httpStatus, latencyMs, startedAt, null);
    }
}
