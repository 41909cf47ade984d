package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.upstream.UnsendableRequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts an OpenAI chat-completions request body into an OpenAI Responses request body
 * ({@code POST /responses}), always streamed and never stored.
 *
 * <p>System and developer messages become {@code instructions}; user and assistant messages become
 * {@code message} input items; assistant tool calls become {@code function_call} items and tool
 * messages {@code function_call_output} items. Bookkeeping parameters with no Responses
 * counterpart ({@code seed}, {@code user}, penalties, ...) are dropped; anything whose loss would
 * change the answer ({@code stop}, {@code n > 1}, audio, logprobs, non-function tools) is refused.
 */
public final class ResponsesRequestConverter {

    private static final String PROVIDER = "the Responses API";

    private ResponsesRequestConverter() {}

    public static ObjectNode convert(ObjectNode chat, String mappedModel) throws UnsendableRequestException {
        List<JsonNode> messages = ChatMessages.checkCommon(chat, PROVIDER);
        if (hasStop(chat.get("stop"))) {
            throw new UnsendableRequestException("stop sequences are not supported by " + PROVIDER);
        }
        ObjectNode out = Json.object();
        out.put("model", ChatMessages.model(mappedModel, chat));
        List<String> instructions = new ArrayList<>();
        ArrayNode input = Json.array();
        for (int i = 0; i < messages.size(); i++) {
            convertMessage(messages.get(i), "messages[" + i + "]", instructions, input);
        }
        if (!instructions.isEmpty()) {
            out.put("instructions", String.join("\n\n", instructions));
        }
        out.set("input", input);
        List<JsonNode> functions = ChatMessages.functionTools(chat);
        if (!functions.isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (JsonNode function : functions) {
                ObjectNode tool = tools.addObject();
                tool.put("type", "function");
                tool.put("name", Json.text(function, "name"));
                copy(function, "description", tool, "description");
                copy(function, "parameters", tool, "parameters");
                copy(function, "strict", tool, "strict");
            }
        }
        if (Json.has(chat, "tool_choice")) {
            out.set("tool_choice", toolChoice(chat.get("tool_choice")));
        }
        copy(chat, "parallel_tool_calls", out, "parallel_tool_calls");
        JsonNode maxTokens = ChatMessages.maxTokens(chat);
        if (maxTokens != null) {
            out.set("max_output_tokens", maxTokens);
        }
        copy(chat, "temperature", out, "temperature");
        copy(chat, "top_p", out, "top_p");
        if (Json.text(chat, "reasoning_effort") != null) {
            out.putObject("reasoning").put("effort", Json.text(chat, "reasoning_effort"));
        }
        JsonNode format = responseFormat(chat.get("response_format"));
        if (format != null) {
            out.putObject("text").set("format", format);
        }
        out.put("stream", true);
        out.put("store", false);
        return out;
    }

    private static void convertMessage(JsonNode message, String where, List<String> instructions, ArrayNode input)
            throws UnsendableRequestException {
        String role = Json.text(message, "role");
        switch (role) {
            case "system", "developer" -> {
                String text = ChatMessages.text(message, where);
                if (!text.isBlank()) {
                    instructions.add(text);
                }
            }
            case "user" -> {
                ArrayNode content = Json.array();
                for (JsonNode part : ChatMessages.parts(message, where)) {
                    content.add(userPart(part, where));
                }
                if (!content.isEmpty()) {
                    ObjectNode item = input.addObject();
                    item.put("type", "message");
                    item.put("role", "user");
                    item.set("content", content);
                }
            }
            case "assistant" -> {
                ArrayNode content = Json.array();
                for (JsonNode part : ChatMessages.parts(message, where)) {
                    String type = Json.text(part, "type");
                    if ("text".equals(type)) {
                        String text = part.path("text").asText("");
                        if (!text.isEmpty()) {
                            ObjectNode outputText = content.addObject();
                            outputText.put("type", "output_text");
                            outputText.put("text", text);
                        }
                    } else if (!"refusal".equals(type)) {
                        throw new UnsendableRequestException(where + " is an assistant message with a '" + type
                                + "' part, which " + PROVIDER + " cannot take as input");
                    }
                }
                if (!content.isEmpty()) {
                    ObjectNode item = input.addObject();
                    item.put("type", "message");
                    item.put("role", "assistant");
                    item.set("content", content);
                }
                for (JsonNode call : ChatMessages.toolCalls(message, where)) {
                    ObjectNode item = input.addObject();
                    item.put("type", "function_call");
                    item.put("call_id", Json.text(call, "id"));
                    item.put("name", Json.text(call.get("function"), "name"));
                    String arguments = Json.text(call.get("function"), "arguments");
                    item.put("arguments", arguments == null || arguments.isEmpty() ? "{}" : arguments);
                }
            }
            case "tool" -> {
                String callId = Json.text(message, "tool_call_id");
                if (callId == null) {
                    throw new UnsendableRequestException(where + " is a tool message without tool_call_id");
                }
                ObjectNode item = input.addObject();
                item.put("type", "function_call_output");
                item.put("call_id", callId);
                item.put("output", ChatMessages.text(message, where));
            }
            default -> throw new UnsendableRequestException(where + " has role '" + role + "', which "
                    + PROVIDER + " conversion does not express");
        }
    }

    private static ObjectNode userPart(JsonNode part, String where) throws UnsendableRequestException {
        String type = Json.text(part, "type");
        ObjectNode out = Json.object();
        switch (type) {
            case "text" -> {
                out.put("type", "input_text");
                out.put("text", part.path("text").asText(""));
            }
            case "image_url" -> {
                out.put("type", "input_image");
                out.put("image_url", ChatMessages.imageUrl(part, where));
                String detail = ChatMessages.imageDetail(part);
                out.put("detail", detail != null ? detail : "auto");
            }
            case "file" -> {
                JsonNode file = part.path("file");
                out.put("type", "input_file");
                if (Json.text(file, "file_id") != null) {
                    out.put("file_id", Json.text(file, "file_id"));
                } else if (Json.text(file, "file_data") != null) {
                    out.put("file_data", Json.text(file, "file_data"));
                    copy(file, "filename", out, "filename");
                } else {
                    throw new UnsendableRequestException(where + " has a file part with neither file_id nor file_data");
                }
            }
            default -> throw new UnsendableRequestException(where + " has a '" + type + "' part, which "
                    + PROVIDER + " conversion does not express");
        }
        return out;
    }

    private static JsonNode toolChoice(JsonNode choice) throws UnsendableRequestException {
        if (choice.isTextual()) {
            String value = choice.asText();
            if (value.equals("auto") || value.equals("none") || value.equals("required")) {
                return choice;
            }
            throw new UnsendableRequestException("tool_choice '" + value + "' is not one of auto, none, required");
        }
        String name = Json.text(choice.get("function"), "name");
        if ("function".equals(Json.text(choice, "type")) && name != null) {
            ObjectNode out = Json.object();
            out.put("type", "function");
            out.put("name", name);
            return out;
        }
        throw new UnsendableRequestException("tool_choice must be auto, none, required or a named function");
    }

    private static JsonNode responseFormat(JsonNode format) throws UnsendableRequestException {
        if (format == null || format.isNull()) {
            return null;
        }
        String type = Json.text(format, "type");
        if (type == null || type.equals("text")) {
            return null;
        }
        ObjectNode out = Json.object();
        switch (type) {
            case "json_object" -> out.put("type", "json_object");
            case "json_schema" -> {
                JsonNode schema = format.path("json_schema");
                out.put("type", "json_schema");
                out.put("name", schema.path("name").asText("response"));
                copy(schema, "description", out, "description");
                copy(schema, "schema", out, "schema");
                copy(schema, "strict", out, "strict");
            }
            default -> throw new UnsendableRequestException("response_format type '" + type + "' is not converted to "
                    + PROVIDER);
        }
        return out;
    }

    private static boolean hasStop(JsonNode stop) {
        return stop != null && !stop.isNull() && !(stop.isArray() && stop.isEmpty())
                && !(stop.isTextual() && stop.asText().isEmpty());
    }

    private static void copy(JsonNode from, String field, ObjectNode to, String as) {
        if (from != null && from.hasNonNull(field)) {
            to.set(as, from.get(field));
        }
    }
}
