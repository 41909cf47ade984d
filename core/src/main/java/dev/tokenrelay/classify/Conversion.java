package dev.tokenrelay.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** What a provider made of a 2xx answer: a chat completion, or the reason there is none. */
public sealed interface Conversion {

    /** An OpenAI {@code chat.completion}; the content checks still run on it. */
    record Completion(ObjectNode completion) implements Conversion {}

    /**
     * No answer in a 2xx: a "fake success", retried on another account without cooldown, unless
     * its error names a final-answer code.
     *
     * @param reason a machine-readable reason: {@code invalid_body}, {@code error_event},
     *               {@code truncated_stream}, ...
     * @param detail a short description for people; never holds a credential
     * @param error  for an error the upstream sent inside the 2xx, its body shaped as a non-2xx
     *               error body ({@code {"error": {...}}}), so that {@link AnswerReader#errorCode} reads
     *               it; {@code null} otherwise
     */
    record NoAnswer(String reason, String detail, JsonNode error) implements Conversion {}

    static Conversion completion(ObjectNode completion) {
        return new Completion(completion);
    }

    static Conversion noAnswer(String reason, String detail) {
        return new NoAnswer(reason, detail, null);
    }

    /** An error the upstream sent inside a 2xx; {@code error} is the event or body that carried it. */
    static Conversion errorInSuccess(String detail, JsonNode error) {
        return new NoAnswer("error_event", detail, shaped(error));
    }

    /** {@code node} as an error body: itself when it holds an {@code error} object, else wrapped in one. */
    private static JsonNode shaped(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        if (node.path("error").isObject()) {
            return node;
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("error", node);
        return body;
    }
}
