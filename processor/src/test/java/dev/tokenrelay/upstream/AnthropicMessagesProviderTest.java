package dev.tokenrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.tokenrelay.testing.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.core5.http.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The Anthropic Messages provider: request conversion, JSON and streamed answers, error codes. */
class AnthropicMessagesProviderTest {

    private static final String EVENT_STREAM = "text/event-stream";
    private static final String APPLICATION_JSON = "application/json";

    private final AnthropicMessagesProvider provider = new AnthropicMessagesProvider();
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final OutcomeClassifier classifier = new OutcomeClassifier(OutcomePolicy.defaults(), ManualClock.at(NOW));

    /** Built through JSON, as the config loader does, so the test does not depend on the record's arity. */
    private static AccountConfig account(Map<String, String> headers) {
        return JsonCodec.mapper().convertValue(Map.of("provider", ProviderType.ANTHROPIC_MESSAGES,
                "baseUrl", "https://api.anthropic.example.test", "headers", headers), AccountConfig.class);
    }

    private static ChatRequest request(String body) throws IOException {
        return new ChatRequest("req-1", 0, (ObjectNode) JsonCodec.mapper().readTree(body), null, null, null, null);
    }

    private static JsonNode json(String text) throws IOException {
        return JsonCodec.mapper().readTree(text);
    }

    /** The node as its JSON text reads back, so that number widths do not matter when comparing. */
    private static JsonNode reparsed(JsonNode node) throws IOException {
        return json(node.toString());
    }

    private JsonNode convert(String chatBody) throws Exception {
        SimpleHttpRequest http = provider.toHttpRequest(account(Map.of()), request(chatBody), "claude-sonnet-4-5", "sk-ant");
        return JsonCodec.mapper().readTree(http.getBody().getBodyBytes());
    }

    private Outcome classify(int status, String body, String contentType) {
        return classifier.classify(new UpstreamExchange.Response(status, Map.of("content-type", contentType),
                body.getBytes(StandardCharsets.UTF_8), Instant.now(), Duration.ZERO), provider);
    }

    private ObjectNode completionOf(String body, String contentType) {
        Conversion conversion = provider.readSuccess(body.getBytes(StandardCharsets.UTF_8), contentType);
        assertThat(conversion).isInstanceOf(Conversion.Completion.class);
        return ((Conversion.Completion) conversion).completion();
    }

    /** One SSE event as the Messages API writes it: the type as event name and inside the data. */
    private static String event(String type, String dataFields) {
        String data = dataFields.isEmpty() ? "{\"type\":\"" + type + "\"}" : "{\"type\":\"" + type + "\"," + dataFields + "}";
        return "event: " + type + "\ndata: " + data + "\n\n";
    }

    private static String message(String content, String stopReason) {
        return """
                {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                 "content": %s, "stop_reason": "%s", "stop_sequence": null,
                 "usage": {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60, "output_tokens": 25}}
                """.formatted(content, stopReason);
    }

    @Test
    void shouldConvertSystemMessagesToolsAndToolResultsIntoAMessagesRequest() throws Exception {
        // Given a streamed chat request with prompts, images, a tool round trip with two results, and tools
        String chat = """
                {"model": "claude", "stream": true, "messages": [
                  {"role": "system", "content": "You are terse."},
                  {"role": "developer", "content": "Use metric units."},
                  {"role": "user", "content": [{"type": "text", "text": "Compare these"},
                                               {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                                               {"type": "image_url", "image_url": {"url": "https://img.example/b.jpg"}}]},
                  {"role": "assistant", "content": "Looking.", "tool_calls": [
                    {"id": "toolu_1", "type": "function", "function": {"name": "weather", "arguments": "{\\"city\\":\\"Oslo\\"}"}},
                    {"id": "toolu_2", "type": "function", "function": {"name": "weather", "arguments": ""}}]},
                  {"role": "tool", "tool_call_id": "toolu_1", "content": "7C"},
                  {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "12C"}]},
                  {"role": "user", "content": "And tomorrow?"}
                 ],
                 "tools": [{"type": "function", "function": {"name": "weather", "description": "Current weather",
                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
                           {"type": "function", "function": {"name": "now"}}],
                 "tool_choice": "required", "parallel_tool_calls": false,
                 "temperature": 0.5, "top_p": 0.8, "stop": "END", "seed": 1}
                """;

        // When it is converted
        SimpleHttpRequest http = provider.toHttpRequest(account(Map.of("anthropic-beta", "tools-2024")), request(chat),
                "claude-sonnet-4-5", "sk-ant");
        JsonNode body = JsonCodec.mapper().readTree(http.getBody().getBodyBytes());

        // Then it goes to /v1/messages with the key, the default version and the account's headers
        assertThat(http.getUri()).isEqualTo(URI.create("https://api.anthropic.example.test/v1/messages"));
        assertThat(http.getFirstHeader("x-api-key").getValue()).isEqualTo("sk-ant");
        assertThat(http.getFirstHeader("anthropic-version").getValue()).isEqualTo("2023-06-01");
        assertThat(http.getFirstHeader("anthropic-beta").getValue()).isEqualTo("tools-2024");
        assertThat(http.getFirstHeader("Authorization")).isNull();
        // And the body is the Messages form: system on top, alternating turns, tool results merged into one user turn
        assertThat(reparsed(body)).isEqualTo(json("""
                {"model": "claude-sonnet-4-5",
                 "system": "You are terse.\\n\\nUse metric units.",
                 "messages": [
                   {"role": "user", "content": [
                     {"type": "text", "text": "Compare these"},
                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                     {"type": "image", "source": {"type": "url", "url": "https://img.example/b.jpg"}}]},
                   {"role": "assistant", "content": [
                     {"type": "text", "text": "Looking."},
                     {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
                     {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {}}]},
                   {"role": "user", "content": [
                     {"type": "tool_result", "tool_use_id": "toolu_1", "content": "7C"},
                     {"type": "tool_result", "tool_use_id": "toolu_2", "content": "12C"},
                     {"type": "text", "text": "And tomorrow?"}]}],
                 "max_tokens": 4096,
                 "tools": [{"name": "weather", "description": "Current weather",
                            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
                           {"name": "now", "input_schema": {"type": "object", "properties": {}}}],
                 "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
                 "temperature": 0.5, "top_p": 0.8,
                 "stop_sequences": ["END"],
                 "stream": false}
                """));
    }

    @Test
    void shouldKeepTheAccountsAnthropicVersionAndTakeTheRequestsTokenLimit() throws Exception {
        // Given an account that sets its own API version, and a request with a token limit, a named tool and a high temperature
        String chat = """
                {"model": "claude", "max_completion_tokens": 512, "temperature": 1.7,
                 "tools": [{"type": "function", "function": {"name": "now"}}],
                 "tool_choice": {"type": "function", "function": {"name": "now"}},
                 "messages": [{"role": "user", "content": "Time?"}]}
                """;

        // When it is converted
        SimpleHttpRequest http = provider.toHttpRequest(account(Map.of("anthropic-version", "2024-01-01")), request(chat),
                "claude-sonnet-4-5", "sk-ant");
        JsonNode body = JsonCodec.mapper().readTree(http.getBody().getBodyBytes());

        // Then only the account's version is sent, the limit is the request's, the tool is named and temperature capped
        Header[] versions = http.getHeaders("anthropic-version");
        assertThat(Arrays.stream(versions).map(Header::getValue)).containsExactly("2024-01-01");
        assertThat(body.get("max_tokens").asInt()).isEqualTo(512);
        assertThat(body.get("tool_choice")).isEqualTo(json("{\"type\": \"tool\", \"name\": \"now\"}"));
        assertThat(body.get("temperature").asDouble()).isEqualTo(1.0);
    }

    static Stream<Arguments> unsendableRequests() {
        return Stream.of(
                Arguments.of("{\"model\": \"m\", \"n\": 3, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "n=3"),
                Arguments.of("{\"model\": \"m\", \"response_format\": {\"type\": \"json_object\"},"
                        + " \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "response_format 'json_object'"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"function\", \"name\": \"f\", \"content\": \"x\"}]}",
                        "role 'function'"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"file\","
                        + " \"file\": {\"file_id\": \"file-1\"}}]}]}", "'file' part"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                        + " \"image_url\": {\"url\": \"ftp://x/y.png\"}}]}]}", "neither a base64 data URL nor an http(s) URL"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"assistant\", \"content\": null, \"tool_calls\": ["
                        + "{\"id\": \"t1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"not json\"}}]}]}",
                        "arguments are not a JSON object"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"system\", \"content\": \"only a prompt\"}]}",
                        "no user or assistant message"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("unsendableRequests")
    void shouldRefuseWhatTheMessagesApiCannotExpress(String chat, String expectedMessage) {
        // Given a request the Messages API cannot express
        // When it is converted
        // Then it is unsendable, with a message that says why
        assertThatThrownBy(() -> convert(chat))
                .isInstanceOf(UnsendableRequestException.class)
                .hasMessageContaining(expectedMessage);
    }

    @Test
    void shouldConvertAMessageWithThinkingTextToolUseAndUsage() throws Exception {
        // Given a JSON message with a thinking block, two text blocks and a tool_use block
        String body = message("""
                [{"type": "thinking", "thinking": "The user wants weather.", "signature": "sig"},
                 {"type": "text", "text": "Let me "}, {"type": "text", "text": "check."},
                 {"type": "tool_use", "id": "toolu_9", "name": "weather", "input": {"city": "Oslo"}}]
                """, "tool_use");

        // When it is read
        ObjectNode completion = completionOf(body, APPLICATION_JSON);

        // Then the completion has the joined text, the reasoning, the call with JSON arguments, tool_calls and usage
        assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.get("id").asText()).isEqualTo("msg_1");
        assertThat(completion.get("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(completion.get("created").isNull()).as("created, left for classification").isTrue();
        assertThat(((Outcome.Success) classify(200, body, APPLICATION_JSON)).completion().get("created").asLong())
                .as("created, from the processor's clock").isEqualTo(NOW.getEpochSecond());
        JsonNode message = completion.at("/choices/0/message");
        assertThat(message.get("content").asText()).isEqualTo("Let me check.");
        assertThat(message.get("reasoning_content").asText()).isEqualTo("The user wants weather.");
        assertThat(message.at("/tool_calls/0/id").asText()).isEqualTo("toolu_9");
        assertThat(message.at("/tool_calls/0/type").asText()).isEqualTo("function");
        assertThat(message.at("/tool_calls/0/function/name").asText()).isEqualTo("weather");
        assertThat(json(message.at("/tool_calls/0/function/arguments").asText())).isEqualTo(json("{\"city\": \"Oslo\"}"));
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(reparsed(completion.get("usage"))).isEqualTo(json("""
                {"prompt_tokens": 100, "completion_tokens": 25, "total_tokens": 125, "prompt_tokens_details": {"cached_tokens": 60}}
                """));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource({"end_turn, stop", "stop_sequence, stop", "max_tokens, length", "tool_use, tool_calls", "refusal, content_filter"})
    void shouldMapStopReasonsToFinishReasons(String stopReason, String finishReason) {
        // Given a message that stopped for the given reason
        String body = message("[{\"type\": \"text\", \"text\": \"Some text\"}]", stopReason);

        // When it is read
        ObjectNode completion = completionOf(body, APPLICATION_JSON);

        // Then the finish reason is the chat equivalent
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo(finishReason);
    }

    @Test
    void shouldBeRetryableErrorEventWhenA200CarriesAnErrorBody() {
        // Given a 200 whose body is an Anthropic error
        String body = "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}";

        // When it is classified
        Outcome outcome = classify(200, body, APPLICATION_JSON);

        // Then it is RETRYABLE error_event without cooldown
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("error_event");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldBeRetryableEmptyCompletionWhenTheMessageHasNoContent() {
        // Given a message that ended its turn with no content blocks
        String body = message("[]", "end_turn");

        // When it is classified
        Outcome outcome = classify(200, body, APPLICATION_JSON);

        // Then the empty-completion check rejects it
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("empty_completion");
    }

    private static final String STREAM_START = event("message_start", "\"message\":{\"id\":\"msg_7\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,"
            + "\"usage\":{\"input_tokens\":50,\"output_tokens\":1}}");

    @Test
    void shouldAggregateAStreamedMessage() throws Exception {
        // Given a stream with a text block, a ping and a tool_use block whose input arrives in pieces
        String stream = STREAM_START
                + event("content_block_start", "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}")
                + event("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"On \"}")
                + event("ping", "")
                + event("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"it.\"}")
                + event("content_block_stop", "\"index\":0")
                + event("content_block_start", "\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_3\","
                        + "\"name\":\"weather\",\"input\":{}}")
                + event("content_block_delta", "\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}")
                + event("content_block_delta", "\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Bergen\\\"}\"}")
                + event("content_block_stop", "\"index\":1")
                + event("message_delta", "\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":31}")
                + event("message_stop", "");

        // When it is read
        ObjectNode completion = completionOf(stream, EVENT_STREAM);

        // Then it converts like the same message unstreamed
        JsonNode message = completion.at("/choices/0/message");
        assertThat(completion.get("id").asText()).isEqualTo("msg_7");
        assertThat(message.get("content").asText()).isEqualTo("On it.");
        assertThat(message.at("/tool_calls/0/id").asText()).isEqualTo("toolu_3");
        assertThat(json(message.at("/tool_calls/0/function/arguments").asText())).isEqualTo(json("{\"city\": \"Bergen\"}"));
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(completion.at("/usage/prompt_tokens").asInt()).isEqualTo(50);
        assertThat(completion.at("/usage/completion_tokens").asInt()).isEqualTo(31);
        assertThat(completion.at("/usage/total_tokens").asInt()).isEqualTo(81);
    }

    @Test
    void shouldBeRetryableTruncatedStreamWithoutMessageStop() {
        // Given a stream cut after its message_delta, before message_stop
        String stream = STREAM_START
                + event("content_block_start", "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}")
                + event("content_block_delta", "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Partial\"}")
                + event("message_delta", "\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}");

        // When it is classified
        Outcome outcome = classify(200, stream, EVENT_STREAM);

        // Then it is RETRYABLE truncated_stream without cooldown
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("truncated_stream");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldBeRetryableErrorEventOnAStreamedError() {
        // Given a stream that reports an overload midway
        String stream = STREAM_START
                + event("error", "\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}");

        // When it is read and classified
        Conversion conversion = provider.readSuccess(stream.getBytes(StandardCharsets.UTF_8), EVENT_STREAM);
        Outcome outcome = classify(200, stream, EVENT_STREAM);

        // Then it is an error_event naming the error
        assertThat(((Conversion.NoAnswer) conversion).detail()).contains("overloaded_error").contains("Overloaded");
        assertThat(outcome.reason()).isEqualTo("error_event");
    }

    @Test
    void shouldNameContextWindowAndContentPolicyErrors() throws Exception {
        // Given Anthropic error bodies
        JsonNode tooLong = json("{\"type\": \"error\", \"error\": {\"type\": \"invalid_request_error\","
                + " \"message\": \"prompt is too long: 215000 tokens > 200000 maximum\"}}");
        JsonNode filtered = json("{\"type\": \"error\", \"error\": {\"type\": \"invalid_request_error\","
                + " \"message\": \"Output blocked by content filtering policy\"}}");
        JsonNode overloaded = json("{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}");
        JsonNode invalid = json("{\"type\": \"error\", \"error\": {\"type\": \"invalid_request_error\", \"message\": \"bad field\"}}");

        // When their codes are read
        // Then the final-answer codes of the policy are used where Anthropic has none, and error.type otherwise
        assertThat(provider.errorCode(tooLong)).isEqualTo("context_length_exceeded");
        assertThat(provider.errorCode(filtered)).isEqualTo("content_policy_violation");
        assertThat(provider.errorCode(overloaded)).isEqualTo("overloaded_error");
        assertThat(provider.errorCode(invalid)).isEqualTo("invalid_request_error");
    }

    @Test
    void shouldMakeAPromptTooLongRejectionAFinalAnswer() {
        // Given a 400 saying the prompt does not fit the context window
        String body = "{\"type\": \"error\", \"error\": {\"type\": \"invalid_request_error\","
                + " \"message\": \"prompt is too long: 215000 tokens > 200000 maximum\"}}";

        // When it is classified with the default policy
        Outcome outcome = classify(400, body, APPLICATION_JSON);

        // Then it is a final answer, not a reason to try every account
        assertThat(outcome).isInstanceOf(Outcome.Success.class);
        assertThat(((Outcome.Success) outcome).finalAnswer()).isTrue();
        assertThat(outcome.reason()).isEqualTo("context_length_exceeded");
    }
}
