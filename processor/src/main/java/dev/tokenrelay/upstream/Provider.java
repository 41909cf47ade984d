package dev.tokenrelay.upstream;

import dev.tokenrelay.classify.AnswerReader;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;

/**
 * One upstream provider type: how a chat request becomes this provider's HTTP request, and (as an
 * {@link AnswerReader}) how its successful answer becomes an OpenAI chat completion and how its
 * error bodies name their error. Adding a provider means adding an implementation and registering it in {@link Providers}; no
 * stage changes. Implementations are stateless and thread-safe: answers are read on the HTTP
 * client's I/O threads.
 */
public interface Provider extends AnswerReader {

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
}
