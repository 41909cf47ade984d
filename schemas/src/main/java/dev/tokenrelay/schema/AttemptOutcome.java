package dev.tokenrelay.schema;

import java.time.Instant;

/**
 * The value of the outcomes topic (key: request id): one record per attempt, for audit, metrics
 * and billing.
 *
 * @param requestId     the request
 * @param generation    the request's generation
 * @param attempt       what was tried and how it ended
 * @param cooldownUntil when the account may be used again, {@code null} when the outcome set no cooldown
 * @param usage         the upstream's token usage, when it reported one
 */
public record AttemptOutcome(
        String requestId,
        int generation,
        TrailEntry attempt,
        Instant cooldownUntil,
        com.fasterxml.jackson.databind.JsonNode usage) {}
