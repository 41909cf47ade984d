package dev.tokenrelay.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import java.util.Iterator;
import java.util.Set;

/**
 * An OpenAI Batch input line, {@code {"custom_id", "method": "POST", "url": "/v1/chat/completions",
 * "body"}}, as a tokenrelay request: {@code custom_id} becomes the id, {@code body} the body. A
 * {@code /v1/responses} line's body is turned into the chat-completions body it stands for (see
 * {@link ResponsesInput}); any other URL is refused.
 */
public final class BatchInput {

    /** The endpoint whose bodies tokenrelay relays as they are. */
    public static final String CHAT_COMPLETIONS = "/v1/chat/completions";
    /** The endpoint whose bodies are turned into chat-completions bodies. */
    public static final String RESPONSES = "/v1/responses";

    private static final Set<String> FIELDS = Set.of("custom_id", "method", "url", "body");

    private BatchInput() {}

    /** Whether a JSON object is written as a Batch line rather than a tokenrelay request. */
    public static boolean isBatchLine(JsonNode line) {
        return line.isObject() && line.has("custom_id");
    }

    /**
     * The tokenrelay request a Batch line stands for; it still has to pass the request schema.
     *
     * @throws InvalidMessageException naming the Batch field at fault
     */
    public static ObjectNode toRequest(ObjectNode line) throws InvalidMessageException {
        for (Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidMessageException("/" + name,
                        "unknown property '" + name + "' in an OpenAI Batch line (custom_id, method, url, body)");
            }
        }
        JsonNode customId = line.get("custom_id");
        if (!customId.isTextual() || customId.asText().isEmpty()) {
            throw new InvalidMessageException("/custom_id", "must be a non-empty string");
        }
        JsonNode method = line.get("method");
        if (method == null) {
            throw new InvalidMessageException("/method", "required property 'method' is missing (POST)");
        }
        if (!method.isTextual() || !method.asText().equals("POST")) {
            throw new InvalidMessageException("/method", "must be POST");
        }
        JsonNode url = line.get("url");
        if (url == null) {
            throw new InvalidMessageException("/url", "required property 'url' is missing (" + CHAT_COMPLETIONS
                    + " or " + RESPONSES + ")");
        }
        boolean responses = url.isTextual() && url.asText().equals(RESPONSES);
        if (!url.isTextual() || !(url.asText().equals(CHAT_COMPLETIONS) || responses)) {
            throw new InvalidMessageException("/url", "tokenrelay relays " + CHAT_COMPLETIONS + " and " + RESPONSES
                    + (url.isTextual() ? ", not " + url.asText() : ""));
        }
        JsonNode body = line.get("body");
        if (body == null) {
            throw new InvalidMessageException("/body", "required property 'body' is missing");
        }
        ObjectNode request = JsonCodec.mapper().createObjectNode();
        request.set("id", customId);
        request.set("body", responses ? ResponsesInput.toChatBody(body) : body);
        return request;
    }

    /** A request's JSON pointer as the Batch line's: the id is the line's {@code custom_id}. */
    static String fieldInLine(String requestField) {
        if (requestField.equals("/id") || requestField.startsWith("/id/")) {
            return "/custom_id" + requestField.substring(3);
        }
        return requestField;
    }
}
