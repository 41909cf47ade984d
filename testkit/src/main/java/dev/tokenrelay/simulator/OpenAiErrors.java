package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI's error object, shared by the chat and Responses endpoints. */
final class OpenAiErrors {

    private OpenAiErrors() {}

    /** {@code {"error":{"message","type","param","code"}}}; a null code is written as JSON null. */
    static ObjectNode body(String message, String type, String code) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.putNull("param");
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return body;
    }

    /** The OpenAI error {@code type} that goes with an HTTP status. */
    static String type(int status) {
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

    static String statusMessage(int status) {
        return "Simulated upstream error (HTTP " + status + ")";
    }

    static String rateLimitMessage(long retryAfterSeconds) {
        return "Rate limit reached; retry after " + retryAfterSeconds + " s";
    }
}
