package dev.tokenrelay.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

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
 * @param batch      the batch the request belongs to (see {@link #BATCH_ID}), so results and counts can be
 *                   grouped by it; {@code null}, and then left out of its JSON, when it belongs to none
 */
public record ChatRequest(
        String id, int generation, ObjectNode body, String pool, String account, Instant deadline, JsonNode metadata,
        // Left out at 0, so a request with no priority is written exactly as before priorities existed.
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) @JsonDeserialize(using = Priority.Deserializer.class) int priority,
        String batch) {

    /** What a batch id may be: the character rule of account ids. */
    public static final String BATCH_ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";

    private static final Pattern BATCH_PATTERN = Pattern.compile(BATCH_ID);

    public ChatRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(body, "body");
        if (generation < 0) {
            throw new IllegalArgumentException("generation must be >= 0");
        }
        if (!Priority.isValid(priority)) {
            throw new IllegalArgumentException(Priority.problem(Integer.toString(priority)));
        }
        if (batch != null && !isBatchId(batch)) {
            throw new IllegalArgumentException(batchProblem(batch));
        }
    }

    /** A request in no batch. */
    public ChatRequest(
            String id, int generation, ObjectNode body, String pool, String account, Instant deadline, JsonNode metadata,
            int priority) {
        this(id, generation, body, pool, account, deadline, metadata, priority, null);
    }

    /** Whether {@code text} may be a batch id. */
    public static boolean isBatchId(String text) {
        return text != null && BATCH_PATTERN.matcher(text).matches();
    }

    /** Why {@code text} is not a batch id. */
    public static String batchProblem(String text) {
        return "batch must match " + BATCH_ID + " (letters, digits, '.', '_' and '-', at most 128), got '"
                + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'";
    }

    /** A request with the default priority, 0. */
    public ChatRequest(
            String id, int generation, ObjectNode body, String pool, String account, Instant deadline, JsonNode metadata) {
        this(id, generation, body, pool, account, deadline, metadata, Priority.DEFAULT);
    }

    /** This request with another priority. */
    public ChatRequest withPriority(int priority) {
        return new ChatRequest(id, generation, body, pool, account, deadline, metadata, priority, batch);
    }

    /** This request in batch {@code batch} ({@code null}: in none). */
    public ChatRequest withBatch(String batch) {
        return new ChatRequest(id, generation, body, pool, account, deadline, metadata, priority, batch);
    }

    /** This request with another deadline. */
    public ChatRequest withDeadline(Instant deadline) {
        return new ChatRequest(id, generation, body, pool, account, deadline, metadata, priority, batch);
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
