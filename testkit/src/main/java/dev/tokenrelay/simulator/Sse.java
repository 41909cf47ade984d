package dev.tokenrelay.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes a Server-Sent Events body: each event is an optional {@code event:} line, one
 * {@code data:} line and a blank line. Jackson writes compact JSON with newlines escaped, so one
 * {@code data:} line always holds a whole payload. Not thread-safe; one per answer.
 */
final class Sse {

    private final ObjectMapper mapper;
    private final StringBuilder text = new StringBuilder();

    Sse(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** An event with a name, as the Responses and Anthropic streams send them. */
    Sse event(String name, JsonNode data) {
        text.append("event: ").append(name).append('\n');
        return data(json(data));
    }

    /** An unnamed event, as chat-completion streams send them. */
    Sse data(JsonNode data) {
        return data(json(data));
    }

    /** An unnamed event with a raw payload, such as chat's {@code [DONE]}. */
    Sse data(String payload) {
        text.append("data: ").append(payload).append("\n\n");
        return this;
    }

    byte[] bytes() {
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private String json(JsonNode data) {
        try {
            return mapper.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
