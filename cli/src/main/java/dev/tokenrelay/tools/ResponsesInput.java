package dev.tokenrelay.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The body of an OpenAI Batch line for {@code /v1/responses}, as the chat-completions body that
 * tokenrelay relays: {@code instructions} becomes a system message, {@code input} the messages
 * (text and image parts, function calls and their outputs), {@code max_output_tokens}
 * {@code max_completion_tokens}, function {@code tools} and {@code tool_choice} the chat forms,
 * {@code text.format} {@code response_format}, {@code reasoning.effort} {@code reasoning_effort}.
 * An account that serves the Responses API gets it converted back when it is called.
 *
 * <p>Whatever has no chat form is refused with its path rather than dropped: built-in tools (web
 * or file search...), stored conversations ({@code previous_response_id}, {@code conversation}),
 * background mode and unknown fields.
 */
final class ResponsesInput {

    /** Fields that mean the same in both APIs, copied as they are. */
    private static final Set<String> SAME = Set.of("model", "temperature", "top_p", "user", "parallel_tool_calls",
            "metadata", "store", "service_tier", "top_logprobs");
    private static final Set<String> CONVERTED = Set.of("input", "instructions", "max_output_tokens", "tools",
            "tool_choice", "text", "reasoning");
    private static final Map<String, String> PART_TYPES = Map.of("input_text", "text", "output_text", "text");

    private ResponsesInput() {}

    /**
     * @throws InvalidMessageException naming the field of the line's body at fault
     */
    static ObjectNode toChatBody(JsonNode body) throws InvalidMessageException {
        if (!body.isObject()) {
            throw new InvalidMessageException("/body", "must be an object");
        }
        ObjectNode chat = JsonCodec.mapper().createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> fields = body.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (SAME.contains(field.getKey())) {
                chat.set(field.getKey(), field.getValue());
            } else if (!CONVERTED.contains(field.getKey()) && !field.getKey().equals("stream")) {
                throw new InvalidMessageException("/body/" + field.getKey(), "'" + field.getKey()
                        + "' of a /v1/responses request has no chat-completions form, so it cannot be relayed");
            }
        }
        ArrayNode messages = chat.putArray("messages");
        JsonNode instructions = body.get("instructions");
        if (instructions != null && !instructions.isNull()) {
            messages.addObject().put("role", "system").set("content", text(instructions, "/body/instructions"));
        }
        JsonNode input = body.get("input");
        if (input == null) {
            throw new InvalidMessageException("/body/input", "required property 'input' is missing");
        }
        if (input.isTextual()) {
            messages.addObject().put("role", "user").put("content", input.asText());
        } else if (input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                addItem(messages, input.get(i), "/body/input/" + i);
            }
        } else {
            throw new InvalidMessageException("/body/input", "must be a string or an array of items");
        }
        copyIfPresent(body, "max_output_tokens", chat, "max_completion_tokens");
        if (body.has("tools")) {
            chat.set("tools", tools(body.get("tools")));
        }
        if (body.has("tool_choice")) {
            chat.set("tool_choice", toolChoice(body.get("tool_choice")));
        }
        JsonNode format = body.path("text").path("format");
        if (!format.isMissingNode()) {
            chat.set("response_format", responseFormat(format));
        }
        JsonNode effort = body.path("reasoning").path("effort");
        if (effort.isTextual()) {
            chat.set("reasoning_effort", effort);
        }
        return chat;
    }

    private static void addItem(ArrayNode messages, JsonNode item, String path) throws InvalidMessageException {
        String type = item.path("type").asText(item.has("role") ? "message" : "");
        switch (type) {
            case "message" -> {
                String role = item.path("role").asText();
                if (!Set.of("user", "assistant", "system", "developer").contains(role)) {
                    throw new InvalidMessageException(path + "/role", "must be user, assistant, system or developer");
                }
                messages.addObject().put("role", role).set("content", content(item.get("content"), path + "/content"));
            }
            case "function_call" -> {
                ObjectNode call = messages.addObject().put("role", "assistant");
                call.putNull("content");
                ObjectNode toolCall = call.putArray("tool_calls").addObject();
                toolCall.put("id", required(item, "call_id", path).asText()).put("type", "function");
                toolCall.putObject("function").put("name", required(item, "name", path).asText())
                        .put("arguments", required(item, "arguments", path).asText());
            }
            case "function_call_output" -> messages.addObject().put("role", "tool")
                    .put("tool_call_id", required(item, "call_id", path).asText())
                    .put("content", required(item, "output", path).asText());
            default -> throw new InvalidMessageException(path + "/type", "an input item of type '" + type
                    + "' has no chat-completions form (message, function_call, function_call_output)");
        }
    }

    private static JsonNode content(JsonNode content, String path) throws InvalidMessageException {
        if (content == null) {
            throw new InvalidMessageException(path, "required");
        }
        if (content.isTextual()) {
            return content;
        }
        if (!content.isArray()) {
            throw new InvalidMessageException(path, "must be a string or an array of parts");
        }
        ArrayNode parts = JsonCodec.mapper().createArrayNode();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            String type = part.path("type").asText();
            if (PART_TYPES.containsKey(type)) {
                parts.addObject().put("type", "text").put("text", required(part, "text", path + "/" + i).asText());
            } else if (type.equals("input_image") && part.path("image_url").isTextual()) {
                ObjectNode image = parts.addObject().put("type", "image_url").putObject("image_url");
                image.put("url", part.get("image_url").asText());
                if (part.path("detail").isTextual()) {
                    image.put("detail", part.get("detail").asText());
                }
            } else {
                throw new InvalidMessageException(path + "/" + i + "/type", "a content part of type '" + type
                        + "' has no chat-completions form (input_text, output_text, input_image with image_url)");
            }
        }
        return parts;
    }

    private static ArrayNode tools(JsonNode tools) throws InvalidMessageException {
        if (!tools.isArray()) {
            throw new InvalidMessageException("/body/tools", "must be an array");
        }
        ArrayNode chatTools = JsonCodec.mapper().createArrayNode();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String path = "/body/tools/" + i;
            if (!tool.path("type").asText().equals("function")) {
                throw new InvalidMessageException(path + "/type", "only function tools can be relayed, not '"
                        + tool.path("type").asText() + "'");
            }
            ObjectNode function = chatTools.addObject().put("type", "function").putObject("function");
            function.put("name", required(tool, "name", path).asText());
            for (String field : new String[] {"description", "parameters", "strict"}) {
                if (tool.has(field)) {
                    function.set(field, tool.get(field));
                }
            }
        }
        return chatTools;
    }

    private static JsonNode toolChoice(JsonNode choice) throws InvalidMessageException {
        if (choice.isTextual()) {
            return choice;
        }
        if (choice.path("type").asText().equals("function")) {
            ObjectNode chat = JsonCodec.mapper().createObjectNode().put("type", "function");
            chat.putObject("function").put("name", required(choice, "name", "/body/tool_choice").asText());
            return chat;
        }
        throw new InvalidMessageException("/body/tool_choice", "must be auto, none, required or a function");
    }

    private static JsonNode responseFormat(JsonNode format) throws InvalidMessageException {
        String type = format.path("type").asText();
        ObjectNode chat = JsonCodec.mapper().createObjectNode().put("type", type);
        switch (type) {
            case "text", "json_object" -> {
                return chat;
            }
            case "json_schema" -> {
                ObjectNode schema = chat.putObject("json_schema");
                schema.put("name", required(format, "name", "/body/text/format").asText());
                for (String field : new String[] {"schema", "strict", "description"}) {
                    if (format.has(field)) {
                        schema.set(field, format.get(field));
                    }
                }
                return chat;
            }
            default -> throw new InvalidMessageException("/body/text/format/type",
                    "must be text, json_object or json_schema");
        }
    }

    private static JsonNode text(JsonNode value, String path) throws InvalidMessageException {
        if (!value.isTextual()) {
            throw new InvalidMessageException(path, "must be a string");
        }
        return value;
    }

    private static JsonNode required(JsonNode node, String field, String path) throws InvalidMessageException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new InvalidMessageException(path + "/" + field, "required");
        }
        return value;
    }

    private static void copyIfPresent(JsonNode from, String field, ObjectNode to, String as) {
        if (from.has(field)) {
            to.set(as, from.get(field));
        }
    }
}
