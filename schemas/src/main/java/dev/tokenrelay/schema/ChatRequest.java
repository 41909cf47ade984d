package dev.tokenrelay.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A chat request as clients produce it to the requests topic (key: {@link #id()}).
 *
 * @param id         the request id, also the Kafka key; unique per logical request
 * @param generation 0 for a first submission; a replay re-submits the same id as a higher generation
 * @param body       an OpenAI chat-completions request body ({@code model}, {@code messages}, ...)
 * @param pool       the account pool to use; {@code null} means the configured default pool
 * @param account    a pinned account: exactly this account is called, with no failover
 * @param deadline   when the request stops being worth answering; {@code null} means no deadline
 * @param metadata   free-form JSON returned unchanged in the result
 * @param priority   from {@value Priority#MIN} to {@value Priority#MAX}, higher first; 0 when the request names
 *                   none, and then left out of its JSON
 */
public record ChatRequest(
        String id, int generation, ObjectNode body, String pool, String account, Instant deadline, JsonNode metadata,
        // Left out at 0, so a request with no priority is written exactly as before priorities existed.
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) @JsonDeserialize(using = Priority.Deserializer.class) int priority) {

    public ChatRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(body, "body");
        if (generation < 0) {
            throw new IllegalArgumentException("generation must be >= 0");
        }
        if (!Priority.isValid(priority)) {
            throw new IllegalArgumentException(Priority.problem(Integer.toString(priority)));
        }
    }

    /** A request with the default priority, 0. */
    public ChatRequest(
            String id, int generation, ObjectNode body, String pool, String account, Instant deadline, JsonNode metadata) {
        this(id, generation, body, pool, account, deadline, metadata, Priority.DEFAULT);
    }

    /** This request with another priority. */
    public ChatRequest withPriority(int priority) {
        return new ChatRequest(id, generation, body, pool, account, deadline, metadata, priority);
    }

    /** The key that tells one submission of a request from another: the id and its generation. */
    public String submissionKey() {
        return generation == 0 ? id : id + "#" + generation;
    }

    /** The model the body asks for, or {@code null}. */
    public String model() {
        JsonNode model = body.get("model");
        return model == null || !model.isTextual() ? null : model.asText();
    }

    /** Whether the request names one account, which then gets no failover. */
    public boolean pinned() {
        return account != null;
    }
}
