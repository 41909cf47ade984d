package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.upstream.sse.SseEvent;
import dev.tokenrelay.upstream.sse.SseParser;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads an OpenAI Responses answer, streamed (Server-Sent Events) or not (a JSON
 * {@code response} object), into a chat completion.
 *
 * <p>The stream is folded into the final {@code response}: the terminal
 * {@code response.completed} (or {@code response.incomplete}) carries it. Its {@code output} is
 * authoritative when present; when it is empty, as some backends (the ChatGPT one Codex uses)
 * send it, the output items are rebuilt from {@code response.output_item.done} events and, for
 * items never marked done, from the text, reasoning-summary and argument deltas. A stream with no
 * terminal event is {@code truncated_stream}; an {@code error} or {@code response.failed} event is
 * {@code error_event}. An answer with no output at all converts to a completion with empty content,
 * left for the empty-completion check to judge.
 */
public final class ResponsesAnswerReader {

    private ResponsesAnswerReader() {}

    public static Conversion read(byte[] body, String contentType) {
        if (Json.isEventStream(contentType, body)) {
            return readStream(body);
        }
        JsonNode json = Json.parseOrNull(body);
        if (json == null || !json.isObject()) {
            return Conversion.noAnswer("invalid_body", "the 2xx body is neither an event stream nor a JSON object");
        }
        if ("error".equals(Json.text(json, "type")) || (Json.has(json, "error") && !json.has("output"))) {
            return Conversion.errorInSuccess("error body in a 2xx: " + errorMessage(json), json);
        }
        return fromResponse(json);
    }

    private static Conversion readStream(byte[] body) {
        ObjectNode started = null;
        JsonNode terminal = null;
        Map<Integer, Item> items = new TreeMap<>();
        for (SseEvent event : SseParser.parse(body)) {
            if (event.data() == null || event.data().isBlank() || "[DONE]".equals(event.data().trim())) {
                continue;
            }
            JsonNode data = Json.parseOrNull(event.data());
            if (data == null || !data.isObject()) {
                return Conversion.noAnswer("invalid_body", "a stream event's data is not a JSON object");
            }
            String type = Json.text(data, "type") != null ? Json.text(data, "type") : event.type();
            switch (type) {
                case "error" -> {
                    return Conversion.errorInSuccess("error event in the stream: " + errorMessage(data), data);
                }
                case "response.failed" -> {
                    return Conversion.errorInSuccess("response.failed: " + errorMessage(data.path("response")), data.path("response"));
                }
                case "response.created", "response.in_progress" -> {
                    if (data.path("response").isObject()) {
                        started = (ObjectNode) data.get("response");
                    }
                }
                case "response.completed", "response.incomplete" -> terminal = data.path("response");
                case "response.output_item.added" -> item(items, data).added(data.path("item"));
                case "response.output_item.done" -> item(items, data).done(data.path("item"));
                case "response.output_text.delta" -> item(items, data).text.append(data.path("delta").asText(""));
                case "response.refusal.delta" -> item(items, data).refusal.append(data.path("delta").asText(""));
                case "response.function_call_arguments.delta" ->
                        item(items, data).arguments.append(data.path("delta").asText(""));
                case "response.function_call_arguments.done" -> item(items, data).finalArguments =
                        Json.text(data, "arguments");
                case "response.reasoning_summary_text.delta" ->
                        item(items, data).summary(data.path("summary_index").asInt(0)).append(data.path("delta").asText(""));
                default -> {
                    // Lifecycle and part events add nothing the items and deltas do not already carry.
                }
            }
            if (terminal != null) {
                break;
            }
        }
        if (terminal == null) {
            return Conversion.noAnswer("truncated_stream", "the stream ended before response.completed");
        }
        ObjectNode response = terminal.isObject() ? ((ObjectNode) terminal).deepCopy() : Json.object();
        JsonNode output = response.get("output");
        if (output == null || !output.isArray() || output.isEmpty()) {
            ArrayNode rebuilt = response.putArray("output");
            items.values().forEach(item -> rebuilt.add(item.toNode()));
        }
        if (started != null) {
            for (String field : new String[] {"id", "model", "created_at"}) {
                if (!Json.has(response, field) && Json.has(started, field)) {
                    response.set(field, started.get(field));
                }
            }
        }
        return fromResponse(response);
    }

    private static Item item(Map<Integer, Item> items, JsonNode event) {
        return items.computeIfAbsent(event.path("output_index").asInt(0), index -> new Item());
    }

    /** Converts a final {@code response} object. */
    private static Conversion fromResponse(JsonNode response) {
        String status = Json.text(response, "status");
        if ("failed".equals(status) || "cancelled".equals(status)) {
            return Conversion.errorInSuccess("response " + status + ": " + errorMessage(response), response);
        }
        if ("queued".equals(status) || "in_progress".equals(status)) {
            return Conversion.noAnswer("invalid_body", "the response is still " + status);
        }
        ChatCompletionBuilder completion = new ChatCompletionBuilder()
                .id(Json.text(response, "id"))
                .model(Json.text(response, "model"))
                .created(Json.number(response, "created_at"));
        for (JsonNode item : response.path("output")) {
            switch (item.path("type").asText("")) {
                case "message" -> {
                    for (JsonNode part : item.path("content")) {
                        String partType = Json.text(part, "type");
                        if ("output_text".equals(partType)) {
                            completion.appendContent(Json.text(part, "text"));
                        } else if ("refusal".equals(partType)) {
                            completion.appendRefusal(Json.text(part, "refusal"));
                        }
                    }
                }
                case "function_call" -> completion.addToolCall(
                        Json.text(item, "call_id") != null ? Json.text(item, "call_id") : Json.text(item, "id"),
                        Json.text(item, "name"), Json.text(item, "arguments"));
                case "reasoning" -> {
                    boolean summarised = false;
                    for (JsonNode summary : item.path("summary")) {
                        String text = Json.text(summary, "text");
                        summarised |= text != null && !text.isEmpty();
                        completion.appendReasoning(text);
                    }
                    // Models that expose their raw reasoning put it in content rather than in a summary.
                    if (!summarised) {
                        for (JsonNode part : item.path("content")) {
                            completion.appendReasoning(Json.text(part, "text"));
                        }
                    }
                }
                default -> {
                    // Built-in tool calls (web search, ...) have no chat-completion counterpart.
                }
            }
        }
        completion.finishReason(finishReason(response, completion.hasToolCalls()));
        JsonNode usage = response.get("usage");
        if (usage != null && usage.isObject()) {
            long input = usage.path("input_tokens").asLong(0);
            long output = usage.path("output_tokens").asLong(0);
            completion.usage(input, output, Json.number(usage, "total_tokens"))
                    .cachedTokens(Json.number(usage.path("input_tokens_details"), "cached_tokens"))
                    .reasoningTokens(Json.number(usage.path("output_tokens_details"), "reasoning_tokens"));
        }
        return Conversion.completion(completion.build());
    }

    private static String finishReason(JsonNode response, boolean toolCalls) {
        if ("incomplete".equals(Json.text(response, "status"))) {
            String reason = Json.text(response.path("incomplete_details"), "reason");
            return "content_filter".equals(reason) ? "content_filter" : "length";
        }
        return toolCalls ? "tool_calls" : "stop";
    }

    private static String errorMessage(JsonNode node) {
        JsonNode error = node.path("error").isObject() ? node.get("error") : node;
        String message = Json.text(error, "message");
        String code = Json.text(error, "code") != null ? Json.text(error, "code") : Json.text(error, "type");
        if (message == null) {
            return code != null ? code : "no message";
        }
        return Json.excerpt(code != null && !"error".equals(code) ? code + ": " + message : message);
    }

    /** One output item as the stream announced it, and the deltas that belong to it. */
    private static final class Item {
        private ObjectNode item;
        private boolean done;
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder refusal = new StringBuilder();
        private final StringBuilder arguments = new StringBuilder();
        private final Map<Integer, StringBuilder> summaries = new TreeMap<>();
        private String finalArguments;

        void added(JsonNode node) {
            if (!done && node.isObject()) {
                item = (ObjectNode) node;
            }
        }

        void done(JsonNode node) {
            if (node.isObject()) {
                item = (ObjectNode) node;
                done = true;
            }
        }

        StringBuilder summary(int index) {
            return summaries.computeIfAbsent(index, i -> new StringBuilder());
        }

        /** The item: as marked done, else as added and completed from its deltas. */
        ObjectNode toNode() {
            ObjectNode node = item != null ? item.deepCopy() : Json.object();
            if (done) {
                return node;
            }
            String type = Json.text(node, "type");
            if (type == null) {
                type = !arguments.isEmpty() || finalArguments != null ? "function_call"
                        : !summaries.isEmpty() ? "reasoning" : "message";
                node.put("type", type);
            }
            switch (type) {
                case "message" -> {
                    ArrayNode content = node.putArray("content");
                    if (!text.isEmpty()) {
                        content.addObject().put("type", "output_text").put("text", text.toString());
                    }
                    if (!refusal.isEmpty()) {
                        content.addObject().put("type", "refusal").put("refusal", refusal.toString());
                    }
                }
                case "function_call" -> node.put("arguments", finalArguments != null ? finalArguments : arguments.toString());
                case "reasoning" -> {
                    ArrayNode summary = node.putArray("summary");
                    summaries.values().forEach(part ->
                            summary.addObject().put("type", "summary_text").put("text", part.toString()));
                }
                default -> {
                    // Other items are kept as announced.
                }
            }
            return node;
        }
    }
}
