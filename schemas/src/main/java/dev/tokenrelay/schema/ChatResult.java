package dev.tokenrelay.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The value of the results topic (key: request id): exactly one per request submission.
 *
 * @param id          the request id
 * @param generation  the request's generation
 * @param status      the final status
 * @param httpStatus  the HTTP status a gateway would have answered with
 * @param completion  the chat completion, when the request succeeded
 * @param error       why it did not, otherwise
 * @param usage       token usage of the successful attempt, when reported
 * @param metadata    the request's metadata, unchanged
 * @param attempts    the trail of attempts, oldest first
 * @param completedAt when the result was decided
 * @param batch       the request's batch, so a consumer can group results by it; {@code null}, and then
 *                    left out of its JSON, when the request is in none
 */
public record ChatResult(
        String id,
        int generation,
        ResultStatus status,
        int httpStatus,
        JsonNode completion,
        ErrorInfo error,
        JsonNode usage,
        JsonNode metadata,
        List<TrailEntry> attempts,
        Instant completedAt,
        String batch) {

    public ChatResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** A result of a request in no batch. */
    public ChatResult(String id, int generation, ResultStatus status, int httpStatus, JsonNode completion,
            ErrorInfo error, JsonNode usage, JsonNode metadata, List<TrailEntry> attempts, Instant completedAt) {
        this(id, generation, status, httpStatus, completion, error, usage, metadata, attempts, completedAt, null);
    }
}
