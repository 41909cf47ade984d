package dev.tokenrelay.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;

/** Builds the OpenAI-compatible JSON bodies the simulator sends. Thread-safe. */
final class OpenAiBodies {

    private static final String DEFAULT_MODEL = "simulated-model";

    private final ObjectMapper mapper;
    private final AtomicLong completionIds = new AtomicLong();

    OpenAiBodies(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A {@code chat.completion} answering {@code request} with {@code content}. */
    byte[] completion(JsonNode request, String content) {
        ObjectNode body = mapper.createObjectNode();
        body.put("id", "chatcmpl-sim-" + completionIds.incrementAndGet());
        body.put("object", "chat.completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", model(request));
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", content);
        choice.put("finish_reason", "stop");
        int promptTokens = estimateTokens(promptText(request));
        int completionTokens = estimateTokens(content);
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return write(body);
    }

    /** {@code "echo: "} plus the content of the last user message, or of nothing if there is none. */
    String echoContent(JsonNode request) {
        String last = "";
        for (JsonNode message : request.path("messages")) {
            if ("user".equals(message.path("role").asText())) {
                last = contentText(message.path("content"));
            }
        }
        return "echo: " + last;
    }

    /** An OpenAI-style error body: {@code {"error":{"message","type","code"}}}. */
    byte[] error(String message, String type, String code) {
        ObjectNode body = mapper.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return write(body);
    }

    /** The OpenAI error {@code type} that goes with an HTTP status. */
    static String errorType(int status) {
        if (status >= 500) {
            return "server_error";
        }
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> "invalid_request_error";
        };
    }

    private static String model(JsonNode request) {
        JsonNode model = request.path("model");
        return model.isTextual() ? model.asText() : DEFAULT_MODEL;
    }

    private static String promptText(JsonNode request) {
        StringBuilder text = new StringBuilder();
        for (JsonNode message : request.path("messages")) {
            text.append(contentText(message.path("content")));
        }
        return text.toString();
    }

    /** Content is either a string or, in the multi-part form, an array of {@code {type, text}} parts. */
    private static String contentText(JsonNode content) {
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

    /** Roughly four characters a token, which is close enough for usage accounting tests. */
    private static int estimateTokens(String text) {
        return (text.length() + 3) / 4;
    }

    private byte[] write(JsonNode body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
