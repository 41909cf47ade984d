package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hc.core5.http.HttpStatus;

/**
 * The OpenAI Responses API as Codex / ChatGPT accounts use it: a stream of typed events
 * ({@code event: <type>} plus {@code data: <json>}, each with a {@code sequence_number}) from
 * {@code response.created} to the terminal {@code response.completed}, whose {@code response}
 * holds the whole {@code output} and {@code usage}. With {@code stream: false} the answer is that
 * response object as JSON. Errors use OpenAI's error body.
 */
final class ResponsesDialect extends OpenAiDialect {

    ResponsesDialect(ObjectMapper mapper) {
        super(mapper);
    }

    @Override
    Answer text(JsonNode request, String text) {
        ResponseStream stream = new ResponseStream(request);
        ObjectNode message = messageItem(text);
        if (!streamed(request)) {
            return Answer.json(HttpStatus.SC_OK, write(stream.response("completed", message, text)));
        }
        String itemId = message.path("id").asText();
        stream.start();
        stream.openMessage(message);
        for (String piece : RequestText.deltas(text)) {
            stream.textDelta(itemId, piece);
        }
        ObjectNode textDone = textFields(itemId).put("text", text);
        textDone.putArray("logprobs");
        stream.event("response.output_text.done", textDone);
        stream.event("response.content_part.done", textFields(itemId).set("part", outputText(text)));
        stream.event("response.output_item.done", itemFields().set("item", message));
        return stream.complete(message, text);
    }

    @Override
    Answer toolCall(JsonNode request, Behaviour.ToolCall toolCall) {
        ResponseStream stream = new ResponseStream(request);
        String arguments = toolCall.argumentsJson();
        ObjectNode call = mapper.createObjectNode();
        call.put("type", "function_call");
        call.put("id", nextId("fc_sim_"));
        call.put("call_id", nextId("call_sim_"));
        call.put("name", toolCall.name());
        call.put("arguments", arguments);
        call.put("status", "completed");
        if (!streamed(request)) {
            return Answer.json(HttpStatus.SC_OK, write(stream.response("completed", call, arguments)));
        }
        String itemId = call.path("id").asText();
        stream.start();
        ObjectNode opened = call.deepCopy().put("arguments", "").put("status", "in_progress");
        stream.event("response.output_item.added", itemFields().set("item", opened));
        for (String piece : RequestText.deltas(arguments)) {
            stream.event("response.function_call_arguments.delta",
                    itemFields().put("item_id", itemId).put("delta", piece));
        }
        stream.event("response.function_call_arguments.done",
                itemFields().put("item_id", itemId).put("arguments", arguments));
        stream.event("response.output_item.done", itemFields().set("item", call));
        return stream.complete(call, arguments);
    }

    @Override
    Answer errorInOk(JsonNode request, String message) {
        ResponseStream stream = new ResponseStream(request);
        ObjectNode failed = stream.response("failed", null, null);
        failed.putObject("error").put("code", "server_error").put("message", message);
        if (!streamed(request)) {
            return Answer.json(HttpStatus.SC_OK, write(failed));
        }
        // Both the standalone error event and response.failed, as the API sends when generation
        // fails: a client may stop at either, and neither is response.completed.
        stream.start();
        stream.event("error", mapper.createObjectNode()
                .put("code", "server_error").put("message", message).putNull("param"));
        stream.event("response.failed", mapper.createObjectNode().set("response", failed));
        return Answer.eventStream(stream.bytes());
    }

    @Override
    Answer truncated(JsonNode request, String text) {
        if (!streamed(request)) {
            return text(request, text).cutInHalf();
        }
        ResponseStream stream = new ResponseStream(request);
        ObjectNode message = messageItem(text);
        stream.start();
        stream.openMessage(message);
        for (String piece : RequestText.truncatedDeltas(text)) {
            stream.textDelta(message.path("id").asText(), piece);
        }
        return Answer.eventStream(stream.bytes());
    }

    @Override
    String lastUserText(JsonNode request) {
        return RequestText.lastUserInput(request.path("input"));
    }

    /** Codex always streams; only an explicit {@code stream: false} asks for one JSON body. */
    private static boolean streamed(JsonNode request) {
        return RequestText.flag(request, "stream", true);
    }

    /** A completed assistant message item with one {@code output_text} part (empty for an empty answer). */
    private ObjectNode messageItem(String text) {
        ObjectNode message = mapper.createObjectNode();
        message.put("type", "message");
        message.put("id", nextId("msg_sim_"));
        message.put("status", "completed");
        message.put("role", "assistant");
        message.putArray("content").add(outputText(text));
        return message;
    }

    private ObjectNode outputText(String text) {
        ObjectNode part = mapper.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    private ObjectNode itemFields() {
        return mapper.createObjectNode().put("output_index", 0);
    }

    private ObjectNode textFields(String itemId) {
        return mapper.createObjectNode().put("item_id", itemId).put("output_index", 0).put("content_index", 0);
    }

    private static String promptText(JsonNode request) {
        JsonNode instructions = request.path("instructions");
        JsonNode input = request.path("input");
        String inputText = input.isTextual() ? input.asText() : RequestText.allMessages(input);
        return (instructions.isTextual() ? instructions.asText() : "") + inputText;
    }

    /** The events of one response, which share its id and creation time and number their events. */
    private final class ResponseStream {
        private final Sse sse = sse();
        private final JsonNode request;
        private final String id = nextId("resp_sim_");
        private final long createdAt = nowSeconds();
        private int sequence;

        ResponseStream(JsonNode request) {
            this.request = request;
        }

        /** Appends an event: {@code type}, then {@code fields}, then the next sequence number. */
        void event(String type, ObjectNode fields) {
            ObjectNode event = mapper.createObjectNode().put("type", type);
            event.setAll(fields);
            event.put("sequence_number", sequence++);
            sse.event(type, event);
        }

        void start() {
            event("response.created", mapper.createObjectNode().set("response", response("in_progress", null, null)));
            event("response.in_progress",
                    mapper.createObjectNode().set("response", response("in_progress", null, null)));
        }

        /** The message item and its (still empty) text part being added. */
        void openMessage(ObjectNode message) {
            String itemId = message.path("id").asText();
            ObjectNode opened = message.deepCopy().put("status", "in_progress");
            opened.putArray("content");
            event("response.output_item.added", itemFields().set("item", opened));
            event("response.content_part.added", textFields(itemId).set("part", outputText("")));
        }

        void textDelta(String itemId, String piece) {
            ObjectNode delta = textFields(itemId).put("delta", piece);
            delta.putArray("logprobs");
            event("response.output_text.delta", delta);
        }

        /** The terminal {@code response.completed} event and the finished stream. */
        Answer complete(ObjectNode item, String outputText) {
            event("response.completed",
                    mapper.createObjectNode().set("response", response("completed", item, outputText)));
            return Answer.eventStream(bytes());
        }

        /**
         * The response object with {@code item} as its only output (none if null); {@code usage} is
         * counted from {@code outputText} and null while no output is final.
         */
        ObjectNode response(String status, ObjectNode item, String outputText) {
            ObjectNode response = mapper.createObjectNode();
            response.put("id", id);
            response.put("object", "response");
            response.put("created_at", createdAt);
            response.put("status", status);
            response.putNull("error");
            response.putNull("incomplete_details");
            response.put("model", RequestText.model(request));
            ArrayNode output = response.putArray("output");
            if (item != null) {
                output.add(item);
            }
            if (outputText == null) {
                response.putNull("usage");
            } else {
                int inputTokens = RequestText.estimateTokens(promptText(request));
                int outputTokens = RequestText.estimateTokens(outputText);
                ObjectNode usage = response.putObject("usage");
                usage.put("input_tokens", inputTokens);
                usage.putObject("input_tokens_details").put("cached_tokens", 0);
                usage.put("output_tokens", outputTokens);
                usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
                usage.put("total_tokens", inputTokens + outputTokens);
            }
            return response;
        }

        byte[] bytes() {
            return sse.bytes();
        }
    }
}
