package dev.tokenrelay.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Objects;

/** Parses tool-call arguments; kept apart from Behaviour because an interface cannot hold a private mapper. */
final class ToolArguments {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ToolArguments() {}

    static JsonNode parse(String json) {
        Objects.requireNonNull(json, "argumentsJson");
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("argumentsJson is not JSON: " + json, e);
        }
    }
}
