package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;

/**
 * One upstream provider type: how a chat request becomes this provider's HTTP request and how its
 * successful answer becomes a chat completion. Adding a provider means adding an implementation
 * and registering it in {@link Providers}; no stage changes.
 */
public interface Provider {

    /**
     * Builds the HTTP request for {@code account}.
     *
     * @param apiKey the resolved credential, {@code null} when the account has none configured
     * @throws UnsendableRequestException when the request cannot be expressed for this provider
     */
    SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String apiKey)
            throws UnsendableRequestException;

    /** Converts a 2xx response body into an OpenAI chat completion. */
    JsonNode toChatCompletion(JsonNode responseBody);
}
