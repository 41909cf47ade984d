package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.upstream.UnsendableRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reading an OpenAI chat-completions request body for conversion to another format: its messages,
 * their content parts, and the checks every converting provider shares.
 */
public final class ChatMessages {

    private ChatMessages() {}

    /** A {@code data:} URL split into its media type and base64 payload. */
    public record DataUrl(String mediaType, String base64) {}

    /**
     * Refuses what no converting provider can express, and returns the messages.
     *
     * @param provider the provider's name, for the message
     */
    public static List<JsonNode> checkCommon(ObjectNode body, String provider) throws UnsendableRequestException {
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && n.asInt(1) != 1) {
            throw new UnsendableRequestException("n=" + n.asText() + " is not supported by " + provider
                    + ": it returns exactly one choice");
        }
        if (Json.has(body, "functions") || Json.has(body, "function_call")) {
            throw new UnsendableRequestException("the legacy functions/function_call parameters are not converted to "
                    + provider + "; use tools/tool_choice");
        }
        if (Json.has(body, "audio") || modalitiesAskAudio(body.get("modalities"))) {
            throw new UnsendableRequestException("audio output is not supported by " + provider);
        }
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && logprobs.asBoolean(false)) {
            throw new UnsendableRequestException("logprobs are not converted to " + provider);
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new UnsendableRequestException("messages must be a non-empty array");
        }
        List<JsonNode> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject() || Json.text(message, "role") == null) {
                throw new UnsendableRequestException("messages[" + i + "] has no role");
            }
            list.add(message);
        }
        return list;
    }

    /** The model to send: the mapped model, else the request's own. */
    public static String model(String mapped, ObjectNode body) throws UnsendableRequestException {
        String model = mapped != null ? mapped : Json.text(body, "model");
        if (model == null || model.isBlank()) {
            throw new UnsendableRequestException("the request names no model");
        }
        return model;
    }

    /** {@code max_completion_tokens}, else {@code max_tokens}, else {@code null}. */
    public static JsonNode maxTokens(ObjectNode body) {
        JsonNode value = body.get("max_completion_tokens");
        if (value == null || value.isNull()) {
            value = body.get("max_tokens");
        }
        return value == null || value.isNull() ? null : value;
    }

    /**
     * A message's content as parts: a string is one text part, an array is its parts, absent or
     * null is none.
     */
    public static List<JsonNode> parts(JsonNode message, String where) throws UnsendableRequestException {
        JsonNode content = message.get("content");
        List<JsonNode> parts = new ArrayList<>();
        if (content == null || content.isNull()) {
            return parts;
        }
        if (content.isTextual()) {
            ObjectNode part = Json.object();
            part.put("type", "text");
            part.put("text", content.asText());
            parts.add(part);
            return parts;
        }
        if (!content.isArray()) {
            throw new UnsendableRequestException(where + ".content must be a string or an array of parts");
        }
        for (JsonNode part : content) {
            if (!part.isObject() || Json.text(part, "type") == null) {
                throw new UnsendableRequestException(where + ".content has a part without a type");
            }
            parts.add(part);
        }
        return parts;
    }

    /** The text of a message whose content may only be text, its parts joined by a newline. */
    public static String text(JsonNode message, String where) throws UnsendableRequestException {
        List<String> texts = new ArrayList<>();
        for (JsonNode part : parts(message, where)) {
            String type = Json.text(part, "type");
            if (!"text".equals(type)) {
                throw new UnsendableRequestException(where + " may only hold text, not a '" + type + "' part");
            }
            texts.add(part.path("text").asText(""));
        }
        return String.join("\n", texts);
    }

    /** The URL of an {@code image_url} part: {@code image_url.url}, or {@code image_url} itself when a string. */
    public static String imageUrl(JsonNode part, String where) throws UnsendableRequestException {
        JsonNode image = part.get("image_url");
        String url = image == null ? null : image.isTextual() ? image.asText() : Json.text(image, "url");
        if (url == null || url.isBlank()) {
            throw new UnsendableRequestException(where + " is an image_url part without a url");
        }
        return url;
    }

    /** The {@code detail} of an {@code image_url} part, or {@code null}. */
    public static String imageDetail(JsonNode part) {
        return Json.text(part.get("image_url"), "detail");
    }

    /** A base64 {@code data:} URL's parts; empty for any other URL. */
    public static Optional<DataUrl> dataUrl(String url) {
        if (!url.regionMatches(true, 0, "data:", 0, 5)) {
            return Optional.empty();
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            return Optional.empty();
        }
        String header = url.substring(5, comma);
        if (!header.endsWith(";base64")) {
            return Optional.empty();
        }
        String mediaType = header.substring(0, header.length() - ";base64".length());
        int parameter = mediaType.indexOf(';');
        if (parameter >= 0) {
            mediaType = mediaType.substring(0, parameter);
        }
        return Optional.of(new DataUrl(mediaType.isEmpty() ? "application/octet-stream" : mediaType,
                url.substring(comma + 1)));
    }

    /** The {@code tool_calls} of an assistant message, each with an id and a function name. */
    public static List<JsonNode> toolCalls(JsonNode message, String where) throws UnsendableRequestException {
        JsonNode calls = message.get("tool_calls");
        List<JsonNode> list = new ArrayList<>();
        if (calls == null || calls.isNull()) {
            return list;
        }
        if (!calls.isArray()) {
            throw new UnsendableRequestException(where + ".tool_calls must be an array");
        }
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            String type = Json.text(call, "type");
            if (type != null && !"function".equals(type)) {
                throw new UnsendableRequestException(where + ".tool_calls[" + i + "] has type '" + type
                        + "': only function calls are converted");
            }
            if (Json.text(call, "id") == null || Json.text(call.get("function"), "name") == null) {
                throw new UnsendableRequestException(where + ".tool_calls[" + i + "] needs an id and a function name");
            }
            list.add(call);
        }
        return list;
    }

    /** The function tools of the request: {@code [{name, description, parameters, strict}]} as found. */
    public static List<JsonNode> functionTools(ObjectNode body) throws UnsendableRequestException {
        JsonNode tools = body.get("tools");
        List<JsonNode> list = new ArrayList<>();
        if (tools == null || tools.isNull()) {
            return list;
        }
        if (!tools.isArray()) {
            throw new UnsendableRequestException("tools must be an array");
        }
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String type = Json.text(tool, "type");
            if (!"function".equals(type)) {
                throw new UnsendableRequestException("tools[" + i + "] has type '" + type + "': only function tools are converted");
            }
            JsonNode function = tool.get("function");
            if (function == null || Json.text(function, "name") == null) {
                throw new UnsendableRequestException("tools[" + i + "] has no function name");
            }
            list.add(function);
        }
        return list;
    }

    private static boolean modalitiesAskAudio(JsonNode modalities) {
        if (modalities == null || !modalities.isArray()) {
            return false;
        }
        for (JsonNode modality : modalities) {
            if ("audio".equals(modality.asText())) {
                return true;
            }
        }
        return false;
    }
}
