package dev.tokenrelay.classify;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The empty-completion check of docs/design.md, section 3: a completion that says it stopped but carries
 * nothing a client could use (no content, reasoning, tool calls, refusal or audio).
 */
final class EmptyCompletion {

    private static final String[] ANSWER_FIELDS = {"content", "reasoning_content", "tool_calls", "refusal", "audio"};

    private EmptyCompletion() {}

    static boolean isEmpty(JsonNode completion) {
        JsonNode choices = completion.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            return true;
        }
        JsonNode first = choices.get(0);
        JsonNode finish = first.get("finish_reason");
        if (finish == null || !"stop".equals(finish.asText())) {
            return false;
        }
        JsonNode message = first.get("message");
        if (message == null || !message.isObject()) {
            return true;
        }
        for (String field : ANSWER_FIELDS) {
            if (!blank(message.get(field))) {
                return false;
            }
        }
        return true;
    }

    private static boolean blank(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return true;
        }
        if (node.isTextual()) {
            return node.asText().isBlank();
        }
        if (node.isContainerNode()) {
            return node.isEmpty();
        }
        return false;
    }
}
