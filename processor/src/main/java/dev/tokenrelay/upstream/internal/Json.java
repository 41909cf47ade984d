package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.JsonCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Small JSON and HTTP helpers shared by the provider conversions. */
public final class Json {

    private Json() {}

    public static ObjectNode object() {
        return JsonCodec.mapper().createObjectNode();
    }

    public static ArrayNode array() {
        return JsonCodec.mapper().createArrayNode();
    }

    /** {@code node.field} when it is a string, else {@code null}. */
    public static String text(JsonNode node, String field) {
        if (node == null) {
            return null;
        }
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    /** {@code node.field} when it is a number, else {@code null}. */
    public static Long number(JsonNode node, String field) {
        if (node == null) {
            return null;
        }
        JsonNode value = node.get(field);
        return value != null && value.isNumber() ? value.asLong() : null;
    }

    /** Whether {@code node.field} is present and not JSON null. */
    public static boolean has(JsonNode node, String field) {
        return node != null && node.hasNonNull(field);
    }

    /** The JSON tree of {@code text}, or {@code null} when it is not JSON. */
    public static JsonNode parseOrNull(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return JsonCodec.mapper().readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    /** The JSON tree of {@code body}, or {@code null} when it is empty or not JSON. */
    public static JsonNode parseOrNull(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return JsonCodec.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** Compact JSON text of a tree. */
    public static String write(JsonNode node) {
        try {
            return JsonCodec.mapper().writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write JSON", e);
        }
    }

    /**
     * Whether a response is a Server-Sent Events stream: by its Content-Type, or, when that is
     * absent, by a body whose first line is an SSE field or comment.
     */
    public static boolean isEventStream(String contentType, byte[] body) {
        if (contentType != null && !contentType.isBlank()) {
            return contentType.toLowerCase(Locale.ROOT).contains("text/event-stream");
        }
        if (body == null) {
            return false;
        }
        int start = 0;
        while (start < body.length && Character.isWhitespace(body[start])) {
            start++;
        }
        String head = new String(body, start, Math.min(body.length - start, 6), StandardCharsets.US_ASCII);
        return head.startsWith(":") || head.startsWith("data:") || head.startsWith("event:") || head.startsWith("id:");
    }

    /** A short, single-line excerpt of text for an outcome's detail. */
    public static String excerpt(String text) {
        if (text == null) {
            return "";
        }
        String line = text.replaceAll("\\s+", " ").trim();
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }
}
