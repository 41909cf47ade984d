package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;

/**
 * One upstream provider type: how a chat request becomes this provider's HTTP request, how its
 * successful answer becomes an OpenAI chat completion, and how its error bodies name their error.
 * Adding a provider means adding an implementation and registering it in {@link Providers}; no
 * stage changes. Implementations are stateless and thread-safe: answers are read on the HTTP
 * client's I/O threads.
 */
public interface Provider {

    /**
     * Builds the HTTP request for {@code account}.
     *
     * @param model      the model to ask the upstream for: the request's model after the account's
     *                   model mapping
     * @param credential the resolved credential (an API key or an access token), {@code null} when
     *                   the account has none configured
     * @throws UnsendableRequestException when the request cannot be expressed for this provider
     */
    SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String model, String credential)
            throws UnsendableRequestException;

    /**
     * Reads a 2xx response body (JSON, or a Server-Sent Events stream when the provider streams)
     * into an OpenAI {@code chat.completion}, or says why it holds no answer.
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
