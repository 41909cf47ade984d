package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHeaders;

/** OpenAI-compatible chat completions: {@code POST {base}/chat/completions} with a bearer key. */
public final class OpenAiChatProvider implements Provider {

    @Override
    public SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String apiKey)
            throws UnsendableRequestException {
        JsonNode stream = request.body().get("stream");
        if (stream != null && stream.asBoolean(false)) {
            // Results are whole completions; streaming upstream answers is a later provider feature.
            throw new UnsendableRequestException("stream=true is not supported: results are whole completions");
        }
        SimpleRequestBuilder builder = SimpleRequestBuilder.post(Providers.join(account.baseUrl(), "chat/completions"))
                .setBody(JsonCodec.encode(request.body()), ContentType.APPLICATION_JSON)
                .addHeader(HttpHeaders.ACCEPT, "application/json");
        if (apiKey != null) {
            builder.addHeader(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey);
        }
        return builder.build();
    }

    @Override
    public JsonNode toChatCompletion(JsonNode responseBody) {
        return responseBody;
    }
}
