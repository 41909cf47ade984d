package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.hc.core5.http.HttpStatus;

/**
 * OpenAI chat completions: a {@code chat.completion} JSON body, or with {@code stream: true} a
 * stream of {@code chat.completion.chunk} events (a role delta, content or tool-call deltas, a
 * chunk with the finish reason, a usage chunk when {@code stream_options.include_usage}) ending in
 * {@code data: [DONE]}.
 */
final class ChatDialect extends OpenAiDialect {

    ChatDialect(ObjectMapper mapper) {
        super(mapper);
    }

    @Override
    Answer text(JsonNode request, String text) {
        if (!streamed(request)) {
            ObjectNode message = mapper.createObjectNode().put("role", "assistant").put("content", text);
            return Answer.json(HttpStatus.SC_OK, write(completion(request, message, "stop", text)));
        }
        ChunkStream stream = new ChunkStream(request);
        stream.delta(mapper.createObjectNode().put("role", "assistant").put("content", ""));
        for (String piece : RequestText.deltas(text)) {
            stream.delta(mapper.createObjectNode().put("content", piece));
        }
        return stream.finish("stop", text);
    }

    @Override
    Answer toolCall(JsonNode request, Behaviour.ToolCall toolCall) {
        String callId = nextId("call_sim_");
        if (!streamed(request)) {
            ObjectNode message = mapper.createObjectNode().put("role", "assistant").putNull("content");
            ObjectNode call = message.putArray("tool_calls").addObject().put("id", callId).put("type", "function");
            call.putObject("function").put("name", toolCall.name()).put("arguments", toolCall.argumentsJson());
            return Answer.json(HttpStatus.SC_OK,
                    write(completion(request, message, "tool_calls", toolCall.argumentsJson())));
        }
        ChunkStream stream = new ChunkStream(request);
        stream.delta(mapper.createObjectNode().put("role", "assistant").putNull("content"));
        // The first tool-call delta names the call; later ones carry only argument fragments, by index.
        ObjectNode opening = mapper.createObjectNode();
        ObjectNode first = opening.putArray("tool_calls").addObject()
                .put("index", 0).put("id", callId).put("type", "function");
        first.putObject("function").put("name", toolCall.name()).put("arguments", "");
        stream.delta(opening);
        for (String piece : RequestText.deltas(toolCall.argumentsJson())) {
            ObjectNode delta = mapper.createObjectNode();
            delta.putArray("tool_calls").addObject().put("index", 0).putObject("function").put("arguments", piece);
            stream.delta(delta);
        }
        return stream.finish("tool_calls", toolCall.argumentsJson());
    }

    @Override
    Answer errorInOk(JsonNode request, String message) {
        ObjectNode error = OpenAiErrors.body(message, "server_error", null);
        if (!streamed(request)) {
            return Answer.json(HttpStatus.SC_OK, write(error));
        }
        // As OpenAI does when generation fails mid-stream: an error object as an event, then the end.
        ChunkStream stream = new ChunkStream(request);
        stream.delta(mapper.createObjectNode().put("role", "assistant").put("content", ""));
        stream.sse.data(error);
        return Answer.eventStream(stream.sse.bytes());
    }

    @Override
    Answer truncated(JsonNode request, String text) {
        if (!streamed(request)) {
            return text(request, text).cutInHalf();
        }
        ChunkStream stream = new ChunkStream(request);
        stream.delta(mapper.createObjectNode().put("role", "assistant").put("content", ""));
        for (String piece : RequestText.truncatedDeltas(text)) {
            stream.delta(mapper.createObjectNode().put("content", piece));
        }
        return Answer.eventStream(stream.sse.bytes());
    }

    @Override
    String lastUserText(JsonNode request) {
        return RequestText.lastUserMessage(request.path("messages"));
    }

    private static boolean streamed(JsonNode request) {
        return RequestText.flag(request, "stream", false);
    }

    private ObjectNode completion(JsonNode request, ObjectNode message, String finishReason, String output) {
        ObjectNode body = mapper.createObjectNode();
        body.put("id", nextId("chatcmpl-sim-"));
        body.put("object", "chat.completion");
        body.put("created", nowSeconds());
        body.put("model", RequestText.model(request));
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        body.set("usage", usage(request, output));
        return body;
    }

    private ObjectNode usage(JsonNode request, String output) {
        int promptTokens = RequestText.estimateTokens(RequestText.allMessages(request.path("messages")));
        int completionTokens = RequestText.estimateTokens(output);
        return mapper.createObjectNode()
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    /** The chunks of one streamed completion, which share an id, a timestamp and a model. */
    private final class ChunkStream {
        private final Sse sse = sse();
        private final JsonNode request;
        private final String id = nextId("chatcmpl-sim-");
        private final long created = nowSeconds();
        // With include_usage every chunk has a usage field, null except on the last chunk.
        private final boolean includeUsage;

        ChunkStream(JsonNode request) {
            this.request = request;
            this.includeUsage = RequestText.flag(request.path("stream_options"), "include_usage", false);
        }

        void delta(ObjectNode delta) {
            ObjectNode choice = mapper.createObjectNode().put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            sse.data(chunk(List.of(choice)));
        }

        /** The finish-reason chunk, the usage chunk if asked for, then {@code [DONE]}. */
        Answer finish(String finishReason, String output) {
            ObjectNode choice = mapper.createObjectNode().put("index", 0);
            choice.putObject("delta");
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
            sse.data(chunk(List.of(choice)));
            if (includeUsage) {
                ObjectNode last = chunk(List.of());
                last.set("usage", usage(request, output));
                sse.data(last);
            }
            sse.data("[DONE]");
            return Answer.eventStream(sse.bytes());
        }

        private ObjectNode chunk(List<ObjectNode> choices) {
            ObjectNode chunk = mapper.createObjectNode();
            chunk.put("id", id);
            chunk.put("object", "chat.completion.chunk");
            chunk.put("created", created);
            chunk.put("model", RequestText.model(request));
            ArrayNode array = chunk.putArray("choices");
            choices.forEach(array::add);
            if (includeUsage) {
                chunk.putNull("usage");
            }
            return chunk;
        }
    }
}
