package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.upstream.UnsendableRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Converts an OpenAI chat-completions request body into an Anthropic Messages request body
 * ({@code POST /v1/messages}), never streamed.
 *
 * <p>System and developer messages become the top-level {@code system} text; user and assistant
 * messages become content blocks (text, images, {@code tool_use}); tool messages become
 * {@code tool_result} blocks of a user message; consecutive messages of one role are merged because
 * Anthropic requires the roles to alternate. {@code max_tokens} is required by Anthropic: the
 * request's {@code max_completion_tokens} or {@code max_tokens}, else {@link #DEFAULT_MAX_TOKENS}.
 * {@code temperature} is capped at 1, the top of Anthropic's range.
 * Parameters without a counterpart that only tune sampling or bookkeeping ({@code seed},
 * penalties, {@code reasoning_effort}, ...) are dropped; what would change the answer's shape
 * ({@code n > 1}, {@code response_format} other than text, audio, logprobs, non-function tools,
 * files) is refused.
 */
public final class AnthropicRequestConverter {

    /**
     * The {@code max_tokens} sent when the request sets none: Anthropic requires one, and 4096 is
     * an output length every current Claude model accepts.
     */
    public static final int DEFAULT_MAX_TOKENS = 4096;

    private static final String PROVIDER = "the Anthropic Messages API";

    private AnthropicRequestConverter() {}

    public static ObjectNode convert(ObjectNode chat, String mappedModel) throws UnsendableRequestException {
        List<JsonNode> messages = ChatMessages.checkCommon(chat, PROVIDER);
        JsonNode format = chat.get("response_format");
        if (format != null && !format.isNull() && !"text".equals(Json.text(format, "type"))) {
            throw new UnsendableRequestException("response_format '" + Json.text(format, "type")
                    + "' is not supported by " + PROVIDER);
        }
        ObjectNode out = Json.object();
        out.put("model", ChatMessages.model(mappedModel, chat));
        List<String> system = new ArrayList<>();
        ArrayNode turns = Json.array();
        for (int i = 0; i < messages.size(); i++) {
            convertMessage(messages.get(i), "messages[" + i + "]", system, turns);
        }
        if (turns.isEmpty()) {
            throw new UnsendableRequestException("the request has no user or assistant message to send to " + PROVIDER);
        }
        if (!system.isEmpty()) {
            out.put("system", String.join("\n\n", system));
        }
        out.set("messages", turns);
        JsonNode maxTokens = ChatMessages.maxTokens(chat);
        if (maxTokens != null) {
            out.set("max_tokens", maxTokens);
        } else {
            out.put("max_tokens", DEFAULT_MAX_TOKENS);
        }
        List<JsonNode> functions = ChatMessages.functionTools(chat);
        if (!functions.isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (JsonNode function : functions) {
                ObjectNode tool = tools.addObject();
                tool.put("name", Json.text(function, "name"));
                if (Json.text(function, "description") != null) {
                    tool.put("description", Json.text(function, "description"));
                }
                // Anthropic requires a schema; a function declared without parameters takes none.
                if (function.path("parameters").isObject()) {
                    tool.set("input_schema", function.get("parameters"));
                } else {
                    tool.putObject("input_schema").put("type", "object").putObject("properties");
                }
            }
        }
        ObjectNode toolChoice = toolChoice(chat.get("tool_choice"));
        JsonNode parallel = chat.get("parallel_tool_calls");
        if (parallel != null && parallel.isBoolean() && !parallel.asBoolean() && !functions.isEmpty()) {
            if (toolChoice == null) {
                toolChoice = Json.object().put("type", "auto");
            }
            if (!"none".equals(Json.text(toolChoice, "type"))) {
                toolChoice.put("disable_parallel_tool_use", true);
            }
        }
        if (toolChoice != null) {
            out.set("tool_choice", toolChoice);
        }
        JsonNode temperature = chat.get("temperature");
        if (temperature != null && temperature.isNumber()) {
            // OpenAI accepts 0..2, Anthropic 0..1: capped, so that a valid request does not fail on every account.
            out.put("temperature", Math.min(temperature.asDouble(), 1.0));
        }
        copy(chat, "top_p", out, "top_p");
        JsonNode stop = chat.get("stop");
        if (stop != null && stop.isTextual() && !stop.asText().isEmpty()) {
            out.putArray("stop_sequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            out.set("stop_sequences", stop);
        }
        if (Json.text(chat, "user") != null) {
            out.putObject("metadata").put("user_id", Json.text(chat, "user"));
        }
        out.put("stream", false);
        return out;
    }

    private static void convertMessage(JsonNode message, String where, List<String> system, ArrayNode turns)
            throws UnsendableRequestException {
        String role = Json.text(message, "role");
        switch (role) {
            case "system", "developer" -> {
                String text = ChatMessages.text(message, where);
                if (!text.isBlank()) {
                    system.add(text);
                }
            }
            case "user" -> {
                ArrayNode blocks = Json.array();
                for (JsonNode part : ChatMessages.parts(message, where)) {
                    userBlock(part, where).ifPresent(blocks::add);
                }
                append(turns, "user", blocks);
            }
            case "assistant" -> {
                ArrayNode blocks = Json.array();
                for (JsonNode part : ChatMessages.parts(message, where)) {
                    String type = Json.text(part, "type");
                    if ("text".equals(type)) {
                        text(part.path("text").asText("")).ifPresent(blocks::add);
                    } else if (!"refusal".equals(type)) {
                        throw new UnsendableRequestException(where + " is an assistant message with a '" + type
                                + "' part, which " + PROVIDER + " cannot take as input");
                    }
                }
                for (JsonNode call : ChatMessages.toolCalls(message, where)) {
                    ObjectNode block = blocks.addObject();
                    block.put("type", "tool_use");
                    block.put("id", Json.text(call, "id"));
                    block.put("name", Json.text(call.get("function"), "name"));
                    block.set("input", arguments(Json.text(call.get("function"), "arguments"), where));
                }
                append(turns, "assistant", blocks);
            }
            case "tool" -> {
                String callId = Json.text(message, "tool_call_id");
                if (callId == null) {
                    throw new UnsendableRequestException(where + " is a tool message without tool_call_id");
                }
                ArrayNode blocks = Json.array();
                ObjectNode block = blocks.addObject();
                block.put("type", "tool_result");
                block.put("tool_use_id", callId);
                block.put("content", ChatMessages.text(message, where));
                append(turns, "user", blocks);
            }
            default -> throw new UnsendableRequestException(where + " has role '" + role + "', which "
                    + PROVIDER + " conversion does not express");
        }
    }

    /** Adds blocks as a turn, merged into the previous turn when it has the same role. */
    private static void append(ArrayNode turns, String role, ArrayNode blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        JsonNode last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
        if (last != null && role.equals(Json.text(last, "role"))) {
            ((ArrayNode) last.get("content")).addAll(blocks);
            return;
        }
        ObjectNode turn = turns.addObject();
        turn.put("role", role);
        turn.set("content", blocks);
    }

    private static Optional<ObjectNode> userBlock(JsonNode part, String where) throws UnsendableRequestException {
        String type = Json.text(part, "type");
        switch (type) {
            case "text" -> {
                return text(part.path("text").asText(""));
            }
            case "image_url" -> {
                String url = ChatMessages.imageUrl(part, where);
                ObjectNode block = Json.object();
                block.put("type", "image");
                ObjectNode source = block.putObject("source");
                Optional<ChatMessages.DataUrl> data = ChatMessages.dataUrl(url);
                if (data.isPresent()) {
                    source.put("type", "base64");
                    source.put("media_type", data.get().mediaType());
                    source.put("data", data.get().base64());
                } else if (url.regionMatches(true, 0, "https://", 0, 8) || url.regionMatches(true, 0, "http://", 0, 7)) {
                    source.put("type", "url");
                    source.put("url", url);
                } else {
                    throw new UnsendableRequestException(where + " has an image that is neither a base64 data URL nor an http(s) URL");
                }
                return Optional.of(block);
            }
            default -> throw new UnsendableRequestException(where + " has a '" + type + "' part, which "
                    + PROVIDER + " conversion does not express");
        }
    }

    /** A text block; none for empty text, which Anthropic rejects. */
    private static Optional<ObjectNode> text(String text) {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode block = Json.object();
        block.put("type", "text");
        block.put("text", text);
        return Optional.of(block);
    }

    private static JsonNode arguments(String arguments, String where) throws UnsendableRequestException {
        if (arguments == null || arguments.isBlank()) {
            return Json.object();
        }
        JsonNode parsed = Json.parseOrNull(arguments);
        if (parsed == null || !parsed.isObject()) {
            throw new UnsendableRequestException(where + " has a tool call whose arguments are not a JSON object");
        }
        return parsed;
    }

    private static ObjectNode toolChoice(JsonNode choice) throws UnsendableRequestException {
        if (choice == null || choice.isNull()) {
            return null;
        }
        ObjectNode out = Json.object();
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "auto" -> out.put("type", "auto");
                case "none" -> out.put("type", "none");
                case "required" -> out.put("type", "any");
                default -> throw new UnsendableRequestException("tool_choice '" + choice.asText()
                        + "' is not one of auto, none, required");
            }
            return out;
        }
        String name = Json.text(choice.get("function"), "name");
        if ("function".equals(Json.text(choice, "type")) && name != null) {
            out.put("type", "tool");
            out.put("name", name);
            return out;
        }
        throw new UnsendableRequestException("tool_choice must be auto, none, required or a named function");
    }

    private static void copy(JsonNode from, String field, ObjectNode to, String as) {
        if (from != null && from.hasNonNull(field)) {
            to.set(as, from.get(field));
        }
    }
}
