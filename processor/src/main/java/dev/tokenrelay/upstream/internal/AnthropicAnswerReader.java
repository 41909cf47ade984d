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
 * Reads an Anthropic Messages answer, a JSON {@code message} or a streamed one (Server-Sent
 * Events), into a chat completion: text blocks joined into content, {@code thinking} blocks into
 * {@code reasoning_content}, {@code tool_use} blocks into tool calls, the stop reason and usage
 * mapped.
 *
 * <p>An {@code error} body or event inside a 2xx is {@code error_event}; a stream that ends before
 * {@code message_stop} is {@code truncated_stream}.
 */
public final class AnthropicAnswerReader {

    private AnthropicAnswerReader() {}

    public static Conversion read(byte[] body, String contentType) {
        if (Json.isEventStream(contentType, body)) {
            return readStream(body);
        }
        JsonNode json = Json.parseOrNull(body);
        if (json == null || !json.isObject()) {
            return Conversion.noAnswer("invalid_body", "the 2xx body is neither a JSON object nor an event stream");
        }
        if ("error".equals(Json.text(json, "type")) || Json.has(json, "error")) {
            return Conversion.errorInSuccess("error body in a 2xx: " + errorMessage(json), json);
        }
        if (!json.path("content").isArray()) {
            return Conversion.noAnswer("invalid_body", "the 2xx body is not an Anthropic message");
        }
        return fromMessage(json);
    }

    private static Conversion readStream(byte[] body) {
        ObjectNode message = null;
        Map<Integer, Block> blocks = new TreeMap<>();
        boolean stopped = false;
        for (SseEvent event : SseParser.parse(body)) {
            if (event.data() == null || event.data().isBlank()) {
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
                case "message_start" -> message = data.path("message").isObject()
                        ? ((ObjectNode) data.get("message")).deepCopy() : Json.object();
                case "content_block_start" -> blocks.computeIfAbsent(data.path("index").asInt(0), i -> new Block())
                        .start(data.path("content_block"));
                case "content_block_delta" -> blocks.computeIfAbsent(data.path("index").asInt(0), i -> new Block())
                        .delta(data.path("delta"));
                case "message_delta" -> {
                    if (message == null) {
                        message = Json.object();
                    }
                    for (String field : new String[] {"stop_reason", "stop_sequence"}) {
                        if (data.path("delta").has(field)) {
                            message.set(field, data.path("delta").get(field));
                        }
                    }
                    // message_delta usage counts are cumulative: they replace those of message_start.
                    if (data.path("usage").isObject()) {
                        ObjectNode usage = message.path("usage").isObject()
                                ? (ObjectNode) message.get("usage") : message.putObject("usage");
                        data.get("usage").properties().forEach(entry -> {
                            if (!entry.getValue().isNull()) {
                                usage.set(entry.getKey(), entry.getValue());
                            }
                        });
                    }
                }
                case "message_stop" -> stopped = true;
                default -> {
                    // ping and content_block_stop carry nothing to keep.
                }
            }
            if (stopped) {
                break;
            }
        }
        if (!stopped) {
            return Conversion.noAnswer("truncated_stream", "the stream ended before message_stop");
        }
        if (message == null) {
            message = Json.object();
        }
        ArrayNode content = message.putArray("content");
        for (Block block : blocks.values()) {
            JsonNode node = block.toNode();
            if (node == null) {
                return Conversion.noAnswer("invalid_body", "a streamed tool_use block's input is not JSON");
            }
            content.add(node);
        }
        return fromMessage(message);
    }

    /** Converts a complete Anthropic {@code message}. */
    private static Conversion fromMessage(JsonNode message) {
        ChatCompletionBuilder completion = new ChatCompletionBuilder()
                .id(Json.text(message, "id"))
                .model(Json.text(message, "model"));
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asText("")) {
                case "text" -> completion.appendContent(Json.text(block, "text"));
                case "thinking" -> completion.appendReasoning(Json.text(block, "thinking"));
                case "tool_use" -> completion.addToolCall(Json.text(block, "id"), Json.text(block, "name"),
                        block.path("input").isMissingNode() ? "{}" : Json.write(block.get("input")));
                default -> {
                    // redacted_thinking and server-side tool blocks have no chat-completion counterpart.
                }
            }
        }
        completion.finishReason(finishReason(Json.text(message, "stop_reason")));
        JsonNode usage = message.get("usage");
        if (usage != null && usage.isObject()) {
            long cacheRead = usage.path("cache_read_input_tokens").asLong(0);
            // Anthropic counts cached and cache-writing input apart; OpenAI's prompt_tokens include them.
            long prompt = usage.path("input_tokens").asLong(0) + usage.path("cache_creation_input_tokens").asLong(0)
                    + cacheRead;
            completion.usage(prompt, usage.path("output_tokens").asLong(0), null)
                    .cachedTokens(usage.has("cache_read_input_tokens") ? cacheRead : null);
        }
        return Conversion.completion(completion.build());
    }

    private static String finishReason(String stopReason) {
        if (stopReason == null) {
            return "stop";
        }
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    private static String errorMessage(JsonNode node) {
        JsonNode error = node.path("error").isObject() ? node.get("error") : node;
        String type = Json.text(error, "type");
        String message = Json.text(error, "message");
        if (message == null) {
            return type != null ? type : "no message";
        }
        return Json.excerpt(type != null && !"error".equals(type) ? type + ": " + message : message);
    }

    /** One content block of a stream: its start, then its deltas. */
    private static final class Block {
        private ObjectNode start;
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder thinking = new StringBuilder();
        private final StringBuilder partialJson = new StringBuilder();

        void start(JsonNode block) {
            start = block.isObject() ? ((ObjectNode) block).deepCopy() : Json.object();
        }

        void delta(JsonNode delta) {
            switch (delta.path("type").asText("")) {
                case "text_delta" -> text.append(delta.path("text").asText(""));
                case "thinking_delta" -> thinking.append(delta.path("thinking").asText(""));
                case "input_json_delta" -> partialJson.append(delta.path("partial_json").asText(""));
                default -> {
                    // signature_delta and citations only matter to a client replaying the blocks.
                }
            }
        }

        /** The complete block; {@code null} when a tool_use input did not assemble into JSON. */
        JsonNode toNode() {
            ObjectNode node = start != null ? start : Json.object();
            String type = Json.text(node, "type");
            if (type == null) {
                type = !partialJson.isEmpty() ? "tool_use" : !thinking.isEmpty() ? "thinking" : "text";
                node.put("type", type);
            }
            switch (type) {
                case "text" -> node.put("text", node.path("text").asText("") + text);
                case "thinking" -> node.put("thinking", node.path("thinking").asText("") + thinking);
                case "tool_use" -> {
                    if (!partialJson.isEmpty()) {
                        JsonNode input = Json.parseOrNull(partialJson.toString());
                        if (input == null) {
                            return null;
                        }
                        node.set("input", input);
                    }
                }
                default -> {
                    // Other blocks are kept as started.
                }
            }
            return node;
        }
    }
}
