package dev.tokenrelay.classify;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What classification needs of a provider: how its successful answer becomes an OpenAI chat
 * completion, and how its error bodies name their error. The HTTP side of a provider (building its
 * request) lives with the upstream client; this is the part a decision needs. Implementations are
 * stateless and thread-safe.
 */
public interface AnswerReader {

    /**
     * Reads a 2xx response body (JSON, or a Server-Sent Events stream when the provider streams)
     * into an OpenAI {@code chat.completion}, or says why it holds no answer. A reader does not read
     * the time: when the answer does not say when it was created, {@code created} is left null and
     * classification sets it from its clock.
     *
     * @param contentType the response's Content-Type header, {@code null} when absent
     */
    Conversion readSuccess(byte[] body, String contentType);

    /**
     * The error code of a non-2xx response body, compared with the policy's final-answer codes
     * (context window, content policy); {@code null} when it names none.
     */
    default String errorCode(JsonNode errorBody) {
        if (errorBody == null) {
            return null;
        }
        JsonNode error = errorBody.get("error");
        if (error == null || !error.isObject()) {
            return null;
        }
        JsonNode code = error.get("code");
        if (code != null && code.isTextual()) {
            return code.asText();
        }
        JsonNode type = error.get("type");
        return type != null && type.isTextual() ? type.asText() : null;
    }
}
