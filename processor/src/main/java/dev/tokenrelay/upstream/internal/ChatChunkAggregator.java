package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.upstream.sse.SseEvent;
import dev.tokenrelay.upstream.sse.SseParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Folds a streamed OpenAI chat answer ({@code chat.completion.chunk} events ended by
 * {@code data: [DONE]}) back into the {@code chat.completion} the same request would have got
 * unstreamed: content, reasoning and refusal text concatenated per choice, tool calls assembled by
 * their index with their argument fragments concatenated, the last finish reason and usage kept.
 *
 * <p>A stream without {@code [DONE]} was cut ({@code truncated_stream}); a chunk carrying an
 * {@code error} object, or an SSE event named {@code error}, is an {@code error_event}.
 */
public final class ChatChunkAggregator {

    private static final String DONE = "[DONE]";

    private ChatChunkAggregator() {}

    public static Conversion aggregate(byte[] body) {
        List<SseEvent> events = SseParser.parse(body);
        ObjectNode head = Json.object();
        ObjectNode usage = null;
        Map<Integer, Choice> choices = new TreeMap<>();
        boolean done = false;
        for (SseEvent event : events) {
            if ("error".equals(event.event())) {
                return Conversion.errorInSuccess("error event in the stream: " + errorMessage(event.data()),
                        Json.parseOrNull(event.data()));
            }
            if (event.data() == null) {
                continue;
            }
            if (DONE.equals(event.data().trim())) {
                done = true;
                break;
            }
            JsonNode chunk = Json.parseOrNull(event.data());
            if (chunk == null || !chunk.isObject()) {
                return Conversion.noAnswer("invalid_body", "a stream event's data is not a JSON object");
            }
            if (Json.has(chunk, "error")) {
                return Conversion.errorInSuccess("error chunk in the stream: " + errorMessage(event.data()), chunk);
            }
            for (String field : List.of("id", "model", "system_fingerprint", "service_tier")) {
                if (!head.has(field) && Json.text(chunk, field) != null) {
                    head.put(field, Json.text(chunk, field));
                }
            }
            if (!head.has("created") && Json.number(chunk, "created") != null) {
                head.put("created", Json.number(chunk, "created"));
            }
            if (chunk.path("usage").isObject()) {
                usage = (ObjectNode) chunk.get("usage");
            }
            for (JsonNode choice : chunk.path("choices")) {
                choices.computeIfAbsent(choice.path("index").asInt(0), Choice::new).add(choice);
            }
        }
        if (!done) {
            return Conversion.noAnswer("truncated_stream", "the stream ended before its [DONE] event");
        }
        ObjectNode completion = Json.object();
        if (head.has("id")) {
            completion.set("id", head.get("id"));
        }
        completion.put("object", "chat.completion");
        if (head.has("created")) {
            completion.set("created", head.get("created"));
        } else {
            // Kept in its place; classification sets it from the processor's clock.
            completion.putNull("created");
        }
        for (String field : List.of("model", "system_fingerprint", "service_tier")) {
            if (head.has(field)) {
                completion.set(field, head.get(field));
            }
        }
        ArrayNode out = completion.putArray("choices");
        for (Choice choice : choices.values()) {
            out.add(choice.toNode());
        }
        if (usage != null) {
            completion.set("usage", usage);
        }
        return Conversion.completion(completion);
    }

    private static String errorMessage(String data) {
        JsonNode json = Json.parseOrNull(data);
        if (json != null) {
            JsonNode error = json.has("error") ? json.get("error") : json;
            String message = Json.text(error, "message");
            if (message != null) {
                return Json.excerpt(message);
            }
        }
        return Json.excerpt(data);
    }

    /** One choice being assembled from its deltas. */
    private static final class Choice {
        private final int index;
        private String role;
        private final StringBuilder content = new StringBuilder();
        private final StringBuilder reasoning = new StringBuilder();
        private final StringBuilder refusal = new StringBuilder();
        private final List<ToolCall> toolCalls = new ArrayList<>();
        private ArrayNode logprobs;
        private JsonNode finishReason;

        Choice(int index) {
            this.index = index;
        }

        void add(JsonNode choice) {
            JsonNode delta = choice.path("delta");
            if (Json.text(delta, "role") != null) {
                role = Json.text(delta, "role");
            }
            append(content, delta, "content");
            append(reasoning, delta, "reasoning_content");
            // Some OpenAI-compatible servers name the reasoning delta "reasoning".
            append(reasoning, delta, "reasoning");
            append(refusal, delta, "refusal");
            for (JsonNode call : delta.path("tool_calls")) {
                toolCall(call).add(call);
            }
            JsonNode tokens = choice.path("logprobs").path("content");
            if (tokens.isArray()) {
                if (logprobs == null) {
                    logprobs = Json.array();
                }
                logprobs.addAll((ArrayNode) tokens);
            }
            if (Json.has(choice, "finish_reason")) {
                finishReason = choice.get("finish_reason");
            }
        }

        private ToolCall toolCall(JsonNode call) {
            if (call.has("index")) {
                int position = call.get("index").asInt();
                for (ToolCall known : toolCalls) {
                    if (known.index == position) {
                        return known;
                    }
                }
                ToolCall created = new ToolCall(position);
                toolCalls.add(created);
                return created;
            }
            // Without an index, a new id starts a call and anything else continues the last one.
            String id = Json.text(call, "id");
            if (id == null && !toolCalls.isEmpty()) {
                return toolCalls.get(toolCalls.size() - 1);
            }
            ToolCall created = new ToolCall(toolCalls.size());
            toolCalls.add(created);
            return created;
        }

        private static void append(StringBuilder into, JsonNode delta, String field) {
            String text = Json.text(delta, field);
            if (text != null) {
                into.append(text);
            }
        }

        ObjectNode toNode() {
            ObjectNode node = Json.object();
            node.put("index", index);
            ObjectNode message = node.putObject("message");
            message.put("role", role != null ? role : "assistant");
            if (content.isEmpty() && !toolCalls.isEmpty()) {
                message.putNull("content");
            } else {
                message.put("content", content.toString());
            }
            if (!reasoning.isEmpty()) {
                message.put("reasoning_content", reasoning.toString());
            }
            if (!refusal.isEmpty()) {
                message.put("refusal", refusal.toString());
            }
            if (!toolCalls.isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                toolCalls.stream().sorted((a, b) -> Integer.compare(a.index, b.index))
                        .forEach(call -> calls.add(call.toNode()));
            }
            if (logprobs != null) {
                node.putObject("logprobs").set("content", logprobs);
            }
            if (finishReason != null) {
                node.set("finish_reason", finishReason);
            } else {
                node.putNull("finish_reason");
            }
            return node;
        }
    }

    /** One tool call being assembled: its id, type and name come once, its arguments in pieces. */
    private static final class ToolCall {
        private final int index;
        private String id;
        private String type;
        private String name;
        private final StringBuilder arguments = new StringBuilder();

        ToolCall(int index) {
            this.index = index;
        }

        void add(JsonNode call) {
            if (Json.text(call, "id") != null) {
                id = Json.text(call, "id");
            }
            if (Json.text(call, "type") != null) {
                type = Json.text(call, "type");
            }
            JsonNode function = call.path("function");
            if (Json.text(function, "name") != null) {
                name = Json.text(function, "name");
            }
            if (Json.text(function, "arguments") != null) {
                arguments.append(Json.text(function, "arguments"));
            }
        }

        ObjectNode toNode() {
            ObjectNode node = Json.object();
            if (id != null) {
                node.put("id", id);
            }
            node.put("type", type != null ? type : "function");
            ObjectNode function = node.putObject("function");
            if (name != null) {
                function.put("name", name);
            }
            function.put("arguments", arguments.toString());
            return node;
        }
    }
}
