package dev.tokenrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.classify.OutcomeClassifier;
import dev.tokenrelay.classify.UpstreamExchange;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.OutcomePolicy;
import dev.tokenrelay.config.ProviderType;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.junit.jupiter.api.Test;

/** OpenAI chat completions, unstreamed and streamed upstream (chunks folded into one completion). */
class OpenAiChatProviderTest {

    private static final String EVENT_STREAM = "text/event-stream";

    private final OpenAiChatProvider provider = new OpenAiChatProvider();
    private final OutcomeClassifier classifier = new OutcomeClassifier(OutcomePolicy.defaults(), Clock.systemUTC());

    /** Built through JSON, as the config loader does, so the test does not depend on the record's arity. */
    private static AccountConfig account() {
        return JsonCodec.mapper().convertValue(Map.of("provider", ProviderType.OPENAI_CHAT,
                "baseUrl", "https://api.example.test/v1/", "headers", Map.of("OpenAI-Organization", "org-7")),
                AccountConfig.class);
    }

    private static ChatRequest request(String body) throws IOException {
        return new ChatRequest("req-1", 0, (ObjectNode) JsonCodec.mapper().readTree(body), null, null, null, null);
    }

    private static JsonNode sentBody(SimpleHttpRequest http) throws IOException {
        return JsonCodec.mapper().readTree(http.getBody().getBodyBytes());
    }

    private Outcome classify(String body, String contentType) {
        return classifier.classify(new UpstreamExchange.Response(200, Map.of("content-type", contentType),
                body.getBytes(StandardCharsets.UTF_8), Instant.now(), Duration.ZERO), provider);
    }

    private static ObjectNode completionOf(Conversion conversion) {
        assertThat(conversion).isInstanceOf(Conversion.Completion.class);
        return ((Conversion.Completion) conversion).completion();
    }

    @Test
    void shouldAskForAStreamWithUsageWhenTheRequestStreams() throws Exception {
        // Given a chat request that asks for a stream
        ChatRequest request = request("""
                {"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}
                """);

        // When it is turned into an HTTP request for a mapped model
        SimpleHttpRequest http = provider.toHttpRequest(account(), request, "gpt-4o-2024-08-06", "sk-test");

        // Then it is streamed with usage in the last chunk, to the chat endpoint, with the account's headers
        JsonNode body = sentBody(http);
        assertThat(body.get("stream").asBoolean()).isTrue();
        assertThat(body.at("/stream_options/include_usage").asBoolean()).isTrue();
        assertThat(body.get("model").asText()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(http.getUri()).isEqualTo(URI.create("https://api.example.test/v1/chat/completions"));
        assertThat(http.getFirstHeader("Accept").getValue()).isEqualTo(EVENT_STREAM);
        assertThat(http.getFirstHeader("Authorization").getValue()).isEqualTo("Bearer sk-test");
        assertThat(http.getFirstHeader("OpenAI-Organization").getValue()).isEqualTo("org-7");
    }

    @Test
    void shouldKeepOtherStreamOptionsWhenAddingUsage() throws Exception {
        // Given a streamed request with its own stream options
        ChatRequest request = request("""
                {"model": "gpt-4o", "stream": true, "stream_options": {"include_obfuscation": false},
                 "messages": [{"role": "user", "content": "Hi"}]}
                """);

        // When it is converted
        JsonNode body = sentBody(provider.toHttpRequest(account(), request, "gpt-4o", null));

        // Then usage is added next to the given option
        assertThat(body.get("stream_options")).isEqualTo(JsonCodec.mapper().readTree(
                "{\"include_obfuscation\": false, \"include_usage\": true}"));
    }

    @Test
    void shouldSendAnUnstreamedRequestAsJson() throws Exception {
        // Given a request that does not stream
        ChatRequest request = request("""
                {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
                """);

        // When it is converted
        SimpleHttpRequest http = provider.toHttpRequest(account(), request, "gpt-4o", "sk-test");

        // Then the body is the request's and a JSON answer is asked for
        assertThat(sentBody(http).has("stream")).isFalse();
        assertThat(sentBody(http).has("stream_options")).isFalse();
        assertThat(http.getFirstHeader("Accept").getValue()).isEqualTo("application/json");
    }

    @Test
    void shouldFoldChunksIntoOneCompletionWithToolCallsAndUsage() {
        // Given a stream with text in pieces, two tool calls whose arguments are split, and a usage chunk
        String stream = """
                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Checking "},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"both."},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":""}}]},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"time","arguments":"{}"}}]},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"Oslo\\"}"}}]},"finish_reason":null}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

                data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":17,"total_tokens":38}}

                data: [DONE]

                """;

        // When it is read
        ObjectNode completion = completionOf(provider.readSuccess(stream.getBytes(StandardCharsets.UTF_8), EVENT_STREAM));

        // Then it is one chat.completion with the whole text, both calls in index order, the finish reason and usage
        assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.get("id").asText()).isEqualTo("chatcmpl-9");
        assertThat(completion.get("model").asText()).isEqualTo("gpt-4o");
        assertThat(completion.get("created").asLong()).isEqualTo(1700000000L);
        JsonNode message = completion.at("/choices/0/message");
        assertThat(message.get("role").asText()).isEqualTo("assistant");
        assertThat(message.get("content").asText()).isEqualTo("Checking both.");
        assertThat(message.at("/tool_calls/0/id").asText()).isEqualTo("call_a");
        assertThat(message.at("/tool_calls/0/type").asText()).isEqualTo("function");
        assertThat(message.at("/tool_calls/0/function/name").asText()).isEqualTo("weather");
        assertThat(message.at("/tool_calls/0/function/arguments").asText()).isEqualTo("{\"city\":\"Oslo\"}");
        assertThat(message.at("/tool_calls/1/id").asText()).isEqualTo("call_b");
        assertThat(message.at("/tool_calls/1/function/arguments").asText()).isEqualTo("{}");
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(completion.at("/usage/total_tokens").asInt()).isEqualTo(38);
    }

    @Test
    void shouldBeASuccessWhenTheStreamCarriesText() {
        // Given a complete stream with text
        String stream = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]}\n\n"
                + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n";

        // When it is classified
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it is a success carrying the folded completion
        assertThat(outcome).isInstanceOf(Outcome.Success.class);
        assertThat(((Outcome.Success) outcome).completion().at("/choices/0/message/content").asText()).isEqualTo("Hello");
    }

    @Test
    void shouldBeRetryableTruncatedStreamWhenDoneNeverComes() {
        // Given a stream that stops after some text, without [DONE]
        String stream = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n";

        // When it is classified
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it is a fake success: RETRYABLE truncated_stream without cooldown
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("truncated_stream");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldBeRetryableErrorEventWhenAChunkCarriesAnError() {
        // Given a stream that reports an error in the middle
        String stream = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                + "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n"
                + "data: [DONE]\n\n";

        // When it is read and classified
        Conversion conversion = provider.readSuccess(stream.getBytes(StandardCharsets.UTF_8), EVENT_STREAM);
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then there is no answer, an error_event naming the upstream's message, retried without cooldown
        assertThat(conversion).isInstanceOf(Conversion.NoAnswer.class);
        assertThat(((Conversion.NoAnswer) conversion).detail()).contains("The server had an error");
        assertThat(outcome.reason()).isEqualTo("error_event");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldBeRetryableEmptyCompletionWhenTheStreamStopsWithNothing() {
        // Given a complete stream that says stop without any content
        String stream = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"
                + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n";

        // When it is classified
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then the empty-completion check catches it
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("empty_completion");
    }

    @Test
    void shouldStillReadAJsonCompletion() {
        // Given an unstreamed JSON answer
        String json = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}";

        // When it is read
        ObjectNode completion = completionOf(provider.readSuccess(json.getBytes(StandardCharsets.UTF_8), "application/json"));

        // Then it is the body itself
        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("Hi");
    }
}
