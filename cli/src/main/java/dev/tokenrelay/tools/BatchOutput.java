package dev.tokenrelay.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;

/**
 * A result as an OpenAI Batch output line, so tools written for the batch APIs can read it:
 * <pre>{@code
 * {"id": "req-1", "custom_id": "req-1",
 *  "response": {"status_code": 200, "request_id": "chatcmpl-...", "body": {chat.completion}},
 *  "error": null}
 * }</pre>
 * A result that did not succeed has its HTTP status, the upstream's own error body when one was
 * passed through (else an OpenAI-style {@code {"error": {message, type, param, code}}}) as the
 * body, and {@code error: {code, message}}, so a reader that looks only at {@code error} sees the
 * failure too.
 */
public final class BatchOutput {

    private BatchOutput() {}

    /** The Batch output line of {@code result}. */
    public static ObjectNode line(ChatResult result) {
        ObjectNode line = JsonCodec.mapper().createObjectNode();
        // One result per submission: a replayed request's line differs from the first one's by its id.
        String submission = result.generation() == 0 ? result.id() : result.id() + "#" + result.generation();
        line.put("id", submission);
        line.put("custom_id", result.id());
        ObjectNode response = line.putObject("response");
        response.put("status_code", result.httpStatus());
        boolean succeeded = result.status() == ResultStatus.SUCCEEDED;
        JsonNode completionId = succeeded && result.completion() != null ? result.completion().get("id") : null;
        response.put("request_id", completionId != null && completionId.isTextual() ? completionId.asText() : submission);
        if (succeeded) {
            response.set("body", result.completion() == null ? NullNode.getInstance() : result.completion());
            line.set("error", NullNode.getInstance());
            return line;
        }
        ErrorInfo error = result.error() != null ? result.error()
                : ErrorInfo.of(result.status().name().toLowerCase(java.util.Locale.ROOT), "the request " + statusWord(result));
        response.set("body", errorBody(error));
        ObjectNode summary = line.putObject("error");
        summary.put("code", error.type());
        summary.put("message", error.message());
        return line;
    }

    private static JsonNode errorBody(ErrorInfo error) {
        if (error.upstream() != null && error.upstream().isObject() && error.upstream().has("error")) {
            return error.upstream();
        }
        ObjectNode body = JsonCodec.mapper().createObjectNode();
        ObjectNode inner = body.putObject("error");
        inner.put("message", error.message());
        inner.put("type", error.type());
        inner.putNull("param");
        inner.put("code", error.type());
        return body;
    }

    private static String statusWord(ChatResult result) {
        return result.status().name().toLowerCase(java.util.Locale.ROOT);
    }
}
