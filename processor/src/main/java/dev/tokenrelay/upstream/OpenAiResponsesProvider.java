package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.upstream.internal.Json;
import dev.tokenrelay.upstream.internal.ResponsesAnswerReader;
import dev.tokenrelay.upstream.internal.ResponsesRequestConverter;
import java.net.URI;
import java.util.Locale;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHeaders;

/**
 * The OpenAI Responses API as Codex / ChatGPT accounts speak it: {@code POST {base}/responses}
 * with a bearer credential and the account's own headers (e.g. {@code chatgpt-account-id}),
 * always streamed.
 *
 * <p>The chat request is converted by {@link ResponsesRequestConverter} (system and developer
 * messages to {@code instructions}, messages, tool calls and tool results to input items, function
 * tools, {@code tool_choice}, {@code max_output_tokens}, {@code temperature}, {@code top_p},
 * {@code reasoning.effort}); it refuses {@code n > 1}, {@code stop}, audio, logprobs, legacy
 * functions, non-function tools and roles or content parts it cannot express. The streamed answer
 * is folded into a chat completion by {@link ResponsesAnswerReader}; a JSON answer is accepted
 * too.
 */
public final class OpenAiResponsesProvider implements Provider {

    @Override
    public SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String model, String credential)
            throws UnsendableRequestException {
        ObjectNode body = ResponsesRequestConverter.convert(request.body(), model);
        if (isChatGptBackend(account.baseUrl())) {
            // The ChatGPT (Codex) backend answers 400 "Unsupported parameter: max_output_tokens" to
            // any request carrying it; it bounds the output itself. The Responses API keeps it.
            body.remove("max_output_tokens");
        }
        SimpleRequestBuilder builder = SimpleRequestBuilder.post(Providers.join(account.baseUrl(), "responses"))
                .setBody(JsonCodec.encode(body), ContentType.APPLICATION_JSON)
                .addHeader(HttpHeaders.ACCEPT, "text/event-stream");
        account.headers().forEach(builder::addHeader);
        if (credential != null) {
            builder.addHeader(HttpHeaders.AUTHORIZATION, "Bearer " + credential);
        }
        return builder.build();
    }

    /** Whether {@code baseUrl} is ChatGPT's own backend (chatgpt.com) rather than the Responses API. */
    static boolean isChatGptBackend(URI baseUrl) {
        String host = baseUrl.getHost();
        return host != null && (host.equalsIgnoreCase("chatgpt.com") || host.toLowerCase(Locale.ROOT).endsWith(".chatgpt.com"));
    }

    @Override
    public Conversion readSuccess(byte[] body, String contentType) {
        try {
            return ResponsesAnswerReader.read(body, contentType);
        } catch (RuntimeException e) {
            // A body shaped unlike the API is a bad answer from this account, not a failure of the relay.
            return Conversion.noAnswer("invalid_body", "unreadable Responses answer: " + e.getClass().getSimpleName());
        }
    }

    /**
     * The error's {@code code}, else its {@code type}; a context-window overflow described only in
     * the message is reported as {@code context_length_exceeded}, so that it stays a final answer.
     */
    @Override
    public String errorCode(JsonNode errorBody) {
        String code = Provider.super.errorCode(errorBody);
        if (code != null && !"invalid_request_error".equals(code)) {
            return code;
        }
        String message = errorBody == null ? null : Json.text(errorBody.path("error"), "message");
        if (message != null) {
            String lower = message.toLowerCase(Locale.ROOT);
            if (lower.contains("context window") || lower.contains("context length") || lower.contains("maximum context")) {
                return "context_length_exceeded";
            }
        }
        return code;
    }
}
