package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Reads text out of request bodies of every endpoint, and splits answer text into stream deltas. */
final class RequestText {

    static final String DEFAULT_MODEL = "simulated-model";
    // Enough deltas that a client must join them, few enough to keep the bodies readable.
    private static final int DELTAS = 3;

    private RequestText() {}

    static String model(JsonNode request) {
        JsonNode model = request.path("model");
        return model.isTextual() ? model.asText() : DEFAULT_MODEL;
    }

    /** Whether a boolean field is {@code true}, or {@code absent} when it is missing or not a boolean. */
    static boolean flag(JsonNode request, String field, boolean absent) {
        JsonNode value = request.path(field);
        return value.isBoolean() ? value.booleanValue() : absent;
    }

    /**
     * The text of a content value: a string, or an array of parts whose {@code text} fields are
     * joined (chat {@code text} parts, Responses {@code input_text}, Anthropic {@code text} blocks).
     */
    static String content(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (part.path("text").isTextual()) {
                text.append(part.path("text").asText());
            }
        }
        return text.toString();
    }

    /** The text of the last {@code role: "user"} entry of a chat or Anthropic {@code messages} array. */
    static String lastUserMessage(JsonNode messages) {
        String last = "";
        for (JsonNode message : messages) {
            if ("user".equals(message.path("role").asText())) {
                last = content(message.path("content"));
            }
        }
        return last;
    }

    /** The text of a Responses {@code input}: the string itself, or the last user message item. */
    static String lastUserInput(JsonNode input) {
        return input.isTextual() ? input.asText() : lastUserMessage(input);
    }

    /** Every message's text joined, for token estimates. */
    static String allMessages(JsonNode messages) {
        StringBuilder text = new StringBuilder();
        for (JsonNode message : messages) {
            text.append(content(message.path("content")));
        }
        return text.toString();
    }

    /** Roughly four characters a token, which is close enough for usage accounting tests. */
    static int estimateTokens(String text) {
        return (text.length() + 3) / 4;
    }

    /** {@code text} in up to three non-empty pieces, split on code points; none for empty text. */
    static List<String> deltas(String text) {
        List<String> pieces = new ArrayList<>(DELTAS);
        int codePoints = text.codePointCount(0, text.length());
        int start = 0;
        for (int i = 1; i <= DELTAS; i++) {
            int end = text.offsetByCodePoints(0, codePoints * i / DELTAS);
            if (end > start) {
                pieces.add(text.substring(start, end));
            }
            start = end;
        }
        return pieces;
    }

    /** All deltas but the last, so a truncated stream always lacks part of its text. */
    static List<String> truncatedDeltas(String text) {
        List<String> pieces = deltas(text);
        return pieces.isEmpty() ? pieces : pieces.subList(0, pieces.size() - 1);
    }
}
