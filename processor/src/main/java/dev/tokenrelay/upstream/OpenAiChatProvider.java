package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.upstream.internal.ChatChunkAggregator;
import dev.tokenrelay.upstream.internal.Json;
import java.io.IOException;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHeaders;

/**
 * OpenAI-compatible chat completions: {@code POST {base}/chat/completions} with a bearer key.
 *
 * <p>A request with {@code stream: true} is sent streamed, with
 * {@code stream_options.include_usage} so that the last chunk reports usage, and its
 * {@code chat.completion.chunk} events are folded back into one {@code chat.completion}: results
 * are whole completions, but some upstreams answer only (or more reliably) when streamed. A
 * streamed answer without its {@code [DONE]} event is a {@code truncated_stream}, a chunk with an
 * {@code error} object an {@code error_event}.
 */
public final class OpenAiChatProvider implements Provider {

    @Override
    public SimpleHttpRequest toHttpRequest(AccountConfig account, ChatRequest request, String model, String credential)
            throws UnsendableRequestException {
        ObjectNode body = request.body().deepCopy();
        if (model != null) {
            body.put("model", model);
        }
        JsonNode stream = body.get("stream");
        boolean streamed = stream != null && stream.asBoolean(false);
        if (streamed) {
            body.put("stream", true);
            ObjectNode options = body.get("stream_options") instanceof ObjectNode given ? given : body.putObject("stream_options");
            options.put("include_usage", true);
        }
        SimpleRequestBuilder builder = SimpleRequestBuilder.post(Providers.join(account.baseUrl(), "chat/completions"))
                .setBody(JsonCodec.encode(body), ContentType.APPLICATION_JSON)
                .addHeader(HttpHeaders.ACCEPT, streamed ? "text/event-stream" : "application/json");
        account.headers().forEach(builder::addHeader);
        if (credential != null) {
            builder.addHeader(HttpHeaders.AUTHORIZATION, "Bearer " + credential);
        }
        return builder.build();
    }

    @Override
    public Conversion readSuccess(byte[] body, String contentType) {
        if (Json.isEventStream(contentType, body)) {
            return ChatChunkAggregator.aggregate(body);
        }
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
