package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import java.io.IOException;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHeaders;

/** OpenAI-compatible chat completions: {@code POST {base}/chat/completions} with a bearer key. */
public final class OpenAiChatProvider implements Provider {

    @Override
    public SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String model, String credential)
            throws UnsendableRequestException {
        JsonNode stream = request.body().get("stream");
        if (stream != null && stream.asBoolean(false)) {
            // Results are whole completions; streaming upstream answers is a later provider feature.
            throw new UnsendableRequestException("stream=true is not supported: results are whole completions");
        }
        ObjectNode body = request.body().deepCopy();
        if (model != null) {
            body.put("model", model);
        }
        SimpleRequestBuilder builder = SimpleRequestBuilder.post(Providers.join(account.baseUrl(), "chat/completions"))
                .setBody(JsonCodec.encode(body), ContentType.APPLICATION_JSON)
                .addHeader(HttpHeaders.ACCEPT, "application/json");
        if (credential != null) {
            builder.addHeader(HttpHeaders.AUTHORIZATION, "Bearer " + credential);
        }
        return builder.build();
    }

    @Override
    public Conversion readSuccess(byte[] body, String contentType) {
        try {
            JsonNode json = body == null || body.length == 0 ? null : JsonCodec.mapper().readTree(body);
            if (json instanceof ObjectNode completion) {
                return Conversion.completion(completion);
            }
            return Conversion.noAnswer("invalid_body", "the 2xx body is not a JSON object");
        } catch (IOException e) {
            return Conversion.noAnswer("invalid_body", "the 2xx body is not JSON");
        }
    }
}
