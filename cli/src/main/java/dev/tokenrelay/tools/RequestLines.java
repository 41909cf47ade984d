package dev.tokenrelay.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.MessageValidator;
import dev.tokenrelay.schema.Priority;
import java.nio.charset.StandardCharsets;

/**
 * Reads one JSONL line as a request: a tokenrelay request, or an OpenAI Batch input line converted
 * by {@link BatchInput}. Every line is checked with the same {@link MessageValidator} the processor
 * uses, so a line that passes here is not rejected there for its shape.
 */
public final class RequestLines {

    /**
     * The largest request sent, encoded: Kafka's default limit for one record is 1 MiB
     * ({@code max.request.size}, {@code message.max.bytes}), less room for the key and headers.
     */
    public static final int MAX_REQUEST_BYTES = 1_000_000;

    private RequestLines() {}

    /** Reads line {@code number} (from 1); a line that names no priority keeps the default, 0. */
    public static ParsedLine parse(int number, String text) {
        return parse(number, text, Priority.DEFAULT);
    }

    /**
     * Reads line {@code number} (from 1), giving {@code priority} to a request that names none: a
     * line's own {@code priority} wins, even {@code "default"}. An OpenAI Batch line has no field
     * for it, so it always gets {@code priority}.
     */
    public static ParsedLine parse(int number, String text, int priority) {
        JsonNode tree;
        try {
            tree = JsonCodec.parseTree(text.getBytes(StandardCharsets.UTF_8));
        } catch (InvalidMessageException e) {
            return new ParsedLine.Rejected(number, e.getMessage());
        }
        if (!tree.isObject()) {
            return new ParsedLine.Rejected(number,
                    "expected a JSON object: a tokenrelay request {id, body, ...} or an OpenAI Batch line {custom_id, method, url, body}");
        }
        boolean batch = BatchInput.isBatchLine(tree);
        ChatRequest request;
        try {
            JsonNode requestTree = batch ? BatchInput.toRequest((ObjectNode) tree) : tree;
            request = MessageValidator.instance().readRequest(requestTree);
            if (!requestTree.has("priority")) {
                request = request.withPriority(priority);
            }
        } catch (InvalidMessageException e) {
            String field = batch ? BatchInput.fieldInLine(e.field()) : e.field();
            return new ParsedLine.Rejected(number, field.isEmpty() ? e.reason() : field + ": " + e.reason());
        }
        int size = JsonCodec.encode(request).length;
        if (size > MAX_REQUEST_BYTES) {
            return new ParsedLine.Rejected(number, "the request is " + size + " bytes; one Kafka record holds at most "
                    + MAX_REQUEST_BYTES + " by default");
        }
        return new ParsedLine.Accepted(number, request, batch);
    }
}
