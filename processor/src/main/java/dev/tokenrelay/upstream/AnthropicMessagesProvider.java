package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.upstream.internal.AnthropicAnswerReader;
import dev.tokenrelay.upstream.internal.AnthropicRequestConverter;
import dev.tokenrelay.upstream.internal.Json;
import java.util.Locale;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHeaders;

/**
 * The Anthropic Messages API: {@code POST {base}/v1/messages} with {@code x-api-key}, an
 * {@code anthropic-version} ({@value #DEFAULT_VERSION} unless the account's headers set one) and
 * the account's headers.
 *
 * <p>Calls are sent unstreamed, even for a request that asks {@code stream: true}: results are
 * whole completions, so streaming would only add events to fold back together, and the whole
 * answer arrives either way. A streamed body (Content-Type {@code text/event-stream}) is still read,
 * for gateways that stream regardless.
 *
 * <p>The chat request is converted by {@link AnthropicRequestConverter}, which refuses
 * {@code n > 1}, non-text {@code response_format}, audio, logprobs, legacy functions,
 * non-function tools, file parts and roles it cannot express; the answer is read by
 * {@link AnthropicAnswerReader}.
 */
public final class AnthropicMessagesProvider implements Provider {

    /** The API version sent when the account's headers name none. */
    public static final String DEFAULT_VERSION = "2023-06-01";

    private static final String VERSION_HEADER = "anthropic-version";

    @Override
    public SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String model, String credential)
            throws UnsendableRequestException {
        ObjectNode body = AnthropicRequestConverter.convert(request.body(), model);
        SimpleRequestBuilder builder = SimpleRequestBuilder.post(Providers.join(account.baseUrl(), "v1/messages"))
                .setBody(JsonCodec.encode(body), ContentType.APPLICATION_JSON)
                .addHeader(HttpHeaders.ACCEPT, "application/json");
        boolean versioned = account.headers().keySet().stream().anyMatch(VERSION_HEADER::equalsIgnoreCase);
        if (!versioned) {
            builder.addHeader(VERSION_HEADER, DEFAULT_VERSION);
        }
        account.headers().forEach(builder::addHeader);
        if (credential != null) {
            builder.addHeader("x-api-key", credential);
        }
        return builder.build();
    }

    @Override
    public Conversion readSuccess(byte[] body, String contentType) {
        try {
            return AnthropicAnswerReader.read(body, contentType);
        } catch (RuntimeException e) {
            // A body shaped unlike the API is a bad answer from this account, not a failure of the relay.
            return Conversion.noAnswer("invalid_body", "unreadable Anthropic answer: " + e.getClass().getSimpleName());
        }
    }

    /**
     * The {@code error.type} of an Anthropic error body ({@code {type: error, error: {type,
     * message}}}), except that an {@code invalid_request_error} saying the prompt does not fit the
     * context window is {@code context_length_exceeded} and one saying the output was blocked by
     * the content filter is {@code content_policy_violation}: Anthropic has no codes for these, and
     * the policy's final-answer codes are OpenAI's.
     */
    @Override
    public String errorCode(JsonNode errorBody) {
        if (errorBody == null) {
            return null;
        }
        JsonNode error = errorBody.get("error");
        if (error == null || !error.isObject()) {
            return null;
        }
        String type = Json.text(error, "type");
        String message = Json.text(error, "message");
        if ("invalid_request_error".equals(type) && message != null) {
            String lower = message.toLowerCase(Locale.ROOT);
            if (lower.contains("prompt is too long") || lower.contains("context window")
                    || lower.contains("context limit") || lower.contains("too many tokens")) {
                return "context_length_exceeded";
            }
            if (lower.contains("content filtering policy")) {
                return "content_policy_violation";
            }
        }
        return type != null ? type : Json.text(error, "code");
    }
}
