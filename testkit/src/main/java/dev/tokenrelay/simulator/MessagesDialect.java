package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpStatus;

/**
 * The Anthropic Messages API: a {@code message} JSON body with content blocks, a
 * {@code stop_reason} and {@code usage}, or with {@code stream: true} the event sequence
 * {@code message_start}, {@code content_block_start}, {@code ping}, {@code content_block_delta}s,
 * {@code content_block_stop}, {@code message_delta} and the terminal {@code message_stop}. Errors
 * are {@code {"type":"error","error":{"type","message"},"request_id"}} with Anthropic's error types,
 * and every answer carries a {@code request-id} header.
 */
final class MessagesDialect extends Dialect {

    // A value in the range Anthropic's smaller tiers report; only its presence matters to clients.
    private static final int REQUESTS_PER_MINUTE_LIMIT = 50;
    private static final int CONTEXT_WINDOW = 200_000;
    private static final int SIMULATED_TOO_LONG_PROMPT = 210_000;

    MessagesDialect(ObjectMapper mapper) {
        super(mapper);
    }

    @Override
    Answer text(JsonNode request, String text) {
        MessageStream stream = new MessageStream(request);
        if (!streamed(request)) {
            // An empty answer has no blocks at all, which is how Anthropic reports one.
            List<JsonNode> blocks = text.isEmpty() ? List.of()
                    : List.of(mapper.createObjectNode().put("type", "text").put("text", text));
            return stream.json(stream.message("end_turn", text, blocks));
        }
        stream.start();
        if (!text.isEmpty()) {
            stream.openText();
            for (String piece : RequestText.deltas(text)) {
                stream.textDelta(piece);
            }
            stream.event("content_block_stop", mapper.createObjectNode().put("index", 0));
        }
        return stream.finish("end_turn", text);
    }

    @Override
    Answer toolCall(JsonNode request, Behaviour.ToolCall toolCall) {
        MessageStream stream = new MessageStream(request);
        String toolUseId = nextId("toolu_sim_");
        String arguments = toolCall.argumentsJson();
        if (!streamed(request)) {
            return stream.json(stream.message("tool_use", arguments,
                    List.of(toolUse(toolUseId, toolCall.name(), toolCall.arguments()))));
        }
        stream.start();
        // The block opens with empty input; the input then arrives as partial JSON text.
        stream.event("content_block_start", mapper.createObjectNode().put("index", 0)
                .set("content_block", toolUse(toolUseId, toolCall.name(), mapper.createObjectNode())));
        for (String piece : RequestText.deltas(arguments)) {
            ObjectNode delta = mapper.createObjectNode().put("index", 0);
            delta.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
            stream.event("content_block_delta", delta);
        }
        stream.event("content_block_stop", mapper.createObjectNode().put("index", 0));
        return stream.finish("tool_use", arguments);
    }

    @Override
    Answer errorInOk(JsonNode request, String message) {
        MessageStream stream = new MessageStream(request);
        ObjectNode error = error("api_error", message);
        if (!streamed(request)) {
            return stream.json(error);
        }
        // Anthropic reports failures after the 200 as an error event; nothing follows it.
        stream.start();
        stream.event("error", error);
        return stream.eventStream();
    }

    @Override
    Answer truncated(JsonNode request, String text) {
        if (!streamed(request)) {
            return text(request, text).cutInHalf();
        }
        MessageStream stream = new MessageStream(request);
        stream.start();
        stream.openText();
        for (String piece : RequestText.truncatedDeltas(text)) {
            stream.textDelta(piece);
        }
        return stream.eventStream();
    }

    @Override
    Answer status(int status, String errorCode) {
        if ("context_length_exceeded".equals(errorCode)) {
            return errorAnswer(status, "invalid_request_error",
                    "prompt is too long: " + SIMULATED_TOO_LONG_PROMPT + " tokens > " + CONTEXT_WINDOW + " maximum");
        }
        if ("content_policy_violation".equals(errorCode)) {
            return errorAnswer(status, "invalid_request_error", "Output blocked by content filtering policy");
        }
        return errorAnswer(status, errorType(status), OpenAiErrors.statusMessage(status));
    }

    @Override
    Answer rateLimited(long retryAfterSeconds) {
        Instant reset = Instant.now().plusSeconds(retryAfterSeconds).truncatedTo(ChronoUnit.SECONDS);
        return errorAnswer(HttpStatus.SC_TOO_MANY_REQUESTS, "rate_limit_error",
                        "This request would exceed the rate limit for your organization; retry after "
                                + retryAfterSeconds + " s")
                .withHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds))
                .withHeader("anthropic-ratelimit-requests-limit", Integer.toString(REQUESTS_PER_MINUTE_LIMIT))
                .withHeader("anthropic-ratelimit-requests-remaining", "0")
                .withHeader("anthropic-ratelimit-requests-reset", reset.toString());
    }

    @Override
    Answer routingError(int status, String message, String code) {
        return errorAnswer(status, errorType(status), message);
    }

    @Override
    String lastUserText(JsonNode request) {
        return RequestText.lastUserMessage(request.path("messages"));
    }

    /** Anthropic's error {@code type} for an HTTP status. */
    static String errorType(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            // Anthropic uses invalid_request_error for 4xx statuses it has no type of its own for.
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    private static boolean streamed(JsonNode request) {
        return RequestText.flag(request, "stream", false);
    }

    private Answer errorAnswer(int status, String type, String message) {
        String requestId = nextId("req_sim_");
        ObjectNode body = error(type, message).put("request_id", requestId);
        return Answer.json(status, write(body)).withHeader("request-id", requestId);
    }

    private ObjectNode error(String type, String message) {
        ObjectNode body = mapper.createObjectNode().put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        return body;
    }

    private ObjectNode toolUse(String id, String name, JsonNode input) {
        ObjectNode block = mapper.createObjectNode().put("type", "tool_use").put("id", id).put("name", name);
        block.set("input", input);
        return block;
    }

    private static String promptText(JsonNode request) {
        JsonNode system = request.path("system");
        String systemText = system.isMissingNode() ? "" : RequestText.content(system);
        return systemText + RequestText.allMessages(request.path("messages"));
    }

    /** One answer's message id, request id and events. */
    private final class MessageStream {
        private final Sse sse = sse();
        private final JsonNode request;
        private final String id = nextId("msg_sim_");
        private final String requestId = nextId("req_sim_");

        MessageStream(JsonNode request) {
            this.request = request;
        }

        /**
         * A message with {@code blocks} as its content; its output tokens are counted from
         * {@code output}, or null for the placeholder that {@code message_start} carries.
         */
        ObjectNode message(String stopReason, String output, List<JsonNode> blocks) {
            ObjectNode message = mapper.createObjectNode();
            message.put("id", id);
            message.put("type", "message");
            message.put("role", "assistant");
            message.put("model", RequestText.model(request));
            message.putArray("content").addAll(blocks);
            message.put("stop_reason", stopReason);
            message.putNull("stop_sequence");
            ObjectNode usage = message.putObject("usage");
            usage.put("input_tokens", RequestText.estimateTokens(promptText(request)));
            usage.put("output_tokens", output == null ? 1 : RequestText.estimateTokens(output));
            return message;
        }

        Answer json(ObjectNode body) {
            return Answer.json(HttpStatus.SC_OK, write(body)).withHeader("request-id", requestId);
        }

        void event(String type, ObjectNode fields) {
            ObjectNode event = mapper.createObjectNode().put("type", type);
            event.setAll(fields);
            sse.event(type, event);
        }

        void start() {
            event("message_start", mapper.createObjectNode().set("message", message(null, null, List.of())));
        }

        void openText() {
            ObjectNode start = mapper.createObjectNode().put("index", 0);
            start.putObject("content_block").put("type", "text").put("text", "");
            event("content_block_start", start);
            event("ping", mapper.createObjectNode());
        }

        void textDelta(String piece) {
            ObjectNode delta = mapper.createObjectNode().put("index", 0);
            delta.putObject("delta").put("type", "text_delta").put("text", piece);
            event("content_block_delta", delta);
        }

        /** {@code message_delta} with the stop reason and final usage, then {@code message_stop}. */
        Answer finish(String stopReason, String output) {
            ObjectNode delta = mapper.createObjectNode();
            delta.putObject("delta").put("stop_reason", stopReason).putNull("stop_sequence");
            delta.putObject("usage").put("output_tokens", RequestText.estimateTokens(output));
            event("message_delta", delta);
            event("message_stop", mapper.createObjectNode());
            return eventStream();
        }

        Answer eventStream() {
            return Answer.eventStream(sse.bytes()).withHeader("request-id", requestId);
        }
    }
}
