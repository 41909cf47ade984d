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
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The OpenAI Responses provider (Codex / ChatGPT accounts): request conversion and streamed answers. */
class OpenAiResponsesProviderTest {

    private static final String EVENT_STREAM = "text/event-stream";

    private final OpenAiResponsesProvider provider = new OpenAiResponsesProvider();
    private final OutcomeClassifier classifier = new OutcomeClassifier(OutcomePolicy.defaults(), Clock.systemUTC());

    /** Built through JSON, as the config loader does, so the test does not depend on the record's arity. */
    private static AccountConfig account() {
        return JsonCodec.mapper().convertValue(Map.of("provider", ProviderType.OPENAI_RESPONSES,
                "baseUrl", "https://chatgpt.example.test/backend-api/codex",
                "headers", Map.of("chatgpt-account-id", "acct-42")), AccountConfig.class);
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
        SimpleHttpRequest http = provider.toHttpRequest(account(), request(chatBody), "gpt-5-codex", "token-1");
        return JsonCodec.mapper().readTree(http.getBody().getBodyBytes());
    }

    private Outcome classify(String body, String contentType) {
        return classifier.classify(new UpstreamExchange.Response(200, Map.of("content-type", contentType),
                body.getBytes(StandardCharsets.UTF_8), Instant.now(), Duration.ZERO), provider);
    }

    private ObjectNode completionOf(String body, String contentType) {
        Conversion conversion = provider.readSuccess(body.getBytes(StandardCharsets.UTF_8), contentType);
        assertThat(conversion).isInstanceOf(Conversion.Completion.class);
        return ((Conversion.Completion) conversion).completion();
    }

    /** One SSE event as the Responses API writes it: the type as event name and inside the data. */
    private static String event(String type, String dataFields) {
        String data = dataFields.isEmpty() ? "{\"type\":\"" + type + "\"}" : "{\"type\":\"" + type + "\"," + dataFields + "}";
        return "event: " + type + "\ndata: " + data + "\n\n";
    }

    private static final String CREATED = event("response.created",
            "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1710000000,\"status\":\"in_progress\","
                    + "\"model\":\"gpt-5-codex\",\"output\":[]}");

    private static String completed(String output, String status, String incompleteDetails) {
        return event(status.equals("incomplete") ? "response.incomplete" : "response.completed",
                "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1710000000,\"status\":\"" + status
                        + "\",\"model\":\"gpt-5-codex\",\"incomplete_details\":" + incompleteDetails + ",\"output\":" + output
                        + ",\"usage\":{\"input_tokens\":30,\"input_tokens_details\":{\"cached_tokens\":8},"
                        + "\"output_tokens\":12,\"output_tokens_details\":{\"reasoning_tokens\":5},\"total_tokens\":42}}");
    }

    @Test
    void shouldConvertMessagesToolsAndToolResultsIntoAStreamedResponsesRequest() throws Exception {
        // Given a chat request with system and developer prompts, an image, a tool round trip and sampling parameters
        String chat = """
                {"model": "codex", "messages": [
                  {"role": "system", "content": "You are terse."},
                  {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
                  {"role": "user", "content": [{"type": "text", "text": "Weather here?"},
                                               {"type": "image_url", "image_url": {"url": "https://img.example/a.png", "detail": "low"}}]},
                  {"role": "assistant", "content": "Let me check.", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\\"city\\":\\"Oslo\\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "rainy, 7C"}
                 ],
                 "tools": [{"type": "function", "function": {"name": "weather", "description": "Current weather",
                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
                 "tool_choice": {"type": "function", "function": {"name": "weather"}},
                 "max_tokens": 300, "temperature": 0.2, "top_p": 0.9, "reasoning_effort": "low", "seed": 7}
                """;

        // When it is converted
        SimpleHttpRequest http = provider.toHttpRequest(account(), request(chat), "gpt-5-codex", "token-1");
        JsonNode body = JsonCodec.mapper().readTree(http.getBody().getBodyBytes());

        // Then it goes to /responses with the bearer token, the account's header and an event-stream Accept
        assertThat(http.getUri()).isEqualTo(URI.create("https://chatgpt.example.test/backend-api/codex/responses"));
        assertThat(http.getFirstHeader("Authorization").getValue()).isEqualTo("Bearer token-1");
        assertThat(http.getFirstHeader("chatgpt-account-id").getValue()).isEqualTo("acct-42");
        assertThat(http.getFirstHeader("Accept").getValue()).isEqualTo(EVENT_STREAM);
        // And the body is the Responses form of the conversation
        assertThat(body).isEqualTo(json("""
                {"model": "gpt-5-codex",
                 "instructions": "You are terse.\\n\\nAnswer in English.",
                 "input": [
                   {"type": "message", "role": "user", "content": [
                     {"type": "input_text", "text": "Weather here?"},
                     {"type": "input_image", "image_url": "https://img.example/a.png", "detail": "low"}]},
                   {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
                   {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": "{\\"city\\":\\"Oslo\\"}"},
                   {"type": "function_call_output", "call_id": "call_1", "output": "rainy, 7C"}],
                 "tools": [{"type": "function", "name": "weather", "description": "Current weather",
                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}],
                 "tool_choice": {"type": "function", "name": "weather"},
                 "max_output_tokens": 300, "temperature": 0.2, "top_p": 0.9,
                 "reasoning": {"effort": "low"},
                 "stream": true, "store": false}
                """));
    }

    @Test
    void shouldPreferMaxCompletionTokensAndConvertAJsonSchemaFormat() throws Exception {
        // Given a request with both token limits and a JSON schema response format
        String chat = """
                {"model": "codex", "max_tokens": 50, "max_completion_tokens": 80, "tool_choice": "required",
                 "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                                     "schema": {"type": "object"}}},
                 "messages": [{"role": "user", "content": "Hi"}]}
                """;

        // When it is converted
        JsonNode body = convert(chat);

        // Then max_completion_tokens wins, the string tool choice passes and the schema becomes text.format
        assertThat(body.get("max_output_tokens").asInt()).isEqualTo(80);
        assertThat(body.get("tool_choice").asText()).isEqualTo("required");
        assertThat(body.at("/text/format")).isEqualTo(json(
                "{\"type\": \"json_schema\", \"name\": \"answer\", \"schema\": {\"type\": \"object\"}, \"strict\": true}"));
        assertThat(body.has("instructions")).isFalse();
    }

    @Test
    void shouldNotSendMaxOutputTokensToTheChatGptBackend() throws Exception {
        // Given a Codex account on ChatGPT's backend, which refuses max_output_tokens with a 400
        AccountConfig codex = JsonCodec.mapper().convertValue(Map.of("provider", ProviderType.OPENAI_RESPONSES,
                "baseUrl", "https://chatgpt.com/backend-api/codex"), AccountConfig.class);
        String chat = "{\"model\": \"codex\", \"max_tokens\": 50, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";

        // When a request with a token cap is converted for it, and for another Responses endpoint
        SimpleHttpRequest http = provider.toHttpRequest(codex, request(chat), "gpt-5-codex", "token-1");
        JsonNode toChatGpt = JsonCodec.mapper().readTree(http.getBody().getBodyBytes());
        JsonNode toOthers = convert(chat);

        // Then ChatGPT's backend gets no cap, the others keep it
        assertThat(toChatGpt.has("max_output_tokens")).isFalse();
        assertThat(toChatGpt.at("/input/0/content/0/text").asText()).isEqualTo("Hi");
        assertThat(toOthers.get("max_output_tokens").asInt()).isEqualTo(50);
    }

    static Stream<Arguments> unsendableRequests() {
        return Stream.of(
                Arguments.of("{\"model\": \"m\", \"n\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "n=2"),
                Arguments.of("{\"model\": \"m\", \"stop\": [\"END\"], \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
                        "stop sequences"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"function\", \"name\": \"f\", \"content\": \"x\"}]}",
                        "role 'function'"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"input_audio\","
                        + " \"input_audio\": {\"data\": \"AAA\", \"format\": \"wav\"}}]}]}", "'input_audio' part"),
                Arguments.of("{\"model\": \"m\", \"tools\": [{\"type\": \"custom\", \"custom\": {\"name\": \"x\"}}],"
                        + " \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "only function tools"),
                Arguments.of("{\"model\": \"m\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "without tool_call_id"),
                Arguments.of("{\"model\": \"m\", \"messages\": []}", "non-empty array"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("unsendableRequests")
    void shouldRefuseWhatTheResponsesApiCannotExpress(String chat, String expectedMessage) {
        // Given a request the Responses API cannot express
        // When it is converted
        // Then it is unsendable, with a message that says why
        assertThatThrownBy(() -> provider.toHttpRequest(account(), request(chat), "m", "token"))
                .isInstanceOf(UnsendableRequestException.class)
                .hasMessageContaining(expectedMessage);
    }

    @Test
    void shouldConvertAStreamedAnswerWithTextReasoningToolCallsAndUsage() throws Exception {
        // Given a stream with a reasoning summary, text deltas and a function call, ended by response.completed
        String stream = CREATED
                + event("response.output_item.added", "\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}")
                + event("response.reasoning_summary_text.delta", "\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"Need the \"")
                + event("response.reasoning_summary_text.delta", "\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"weather.\"")
                + event("response.output_item.done", "\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\","
                        + "\"summary\":[{\"type\":\"summary_text\",\"text\":\"Need the weather.\"}]}")
                + event("response.output_item.added", "\"output_index\":1,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[]}")
                + event("response.output_text.delta", "\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\"Checking\"")
                + event("response.output_text.delta", "\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\" now.\"")
                + event("response.output_item.added", "\"output_index\":2,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\","
                        + "\"call_id\":\"call_9\",\"name\":\"weather\",\"arguments\":\"\"}")
                + event("response.function_call_arguments.delta", "\"item_id\":\"fc_1\",\"output_index\":2,\"delta\":\"{\\\"city\\\":\"")
                + event("response.function_call_arguments.delta", "\"item_id\":\"fc_1\",\"output_index\":2,\"delta\":\"\\\"Oslo\\\"}\"")
                + completed("[]", "completed", "null");

        // When it is read
        ObjectNode completion = completionOf(stream, EVENT_STREAM);

        // Then the chat completion carries the text, the reasoning, the call, the finish reason and usage
        assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.get("id").asText()).isEqualTo("resp_1");
        assertThat(completion.get("model").asText()).isEqualTo("gpt-5-codex");
        assertThat(completion.get("created").asLong()).isEqualTo(1710000000L);
        JsonNode message = completion.at("/choices/0/message");
        assertThat(message.get("role").asText()).isEqualTo("assistant");
        assertThat(message.get("content").asText()).isEqualTo("Checking now.");
        assertThat(message.get("reasoning_content").asText()).isEqualTo("Need the weather.");
        assertThat(message.at("/tool_calls/0/id").asText()).isEqualTo("call_9");
        assertThat(message.at("/tool_calls/0/type").asText()).isEqualTo("function");
        assertThat(message.at("/tool_calls/0/function/name").asText()).isEqualTo("weather");
        assertThat(message.at("/tool_calls/0/function/arguments").asText()).isEqualTo("{\"city\":\"Oslo\"}");
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(reparsed(completion.get("usage"))).isEqualTo(json("""
                {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42,
                 "prompt_tokens_details": {"cached_tokens": 8}, "completion_tokens_details": {"reasoning_tokens": 5}}
                """));
    }

    @Test
    void shouldTakeTheOutputOfResponseCompletedWhenItHasOne() {
        // Given a stream whose final response lists its output (deltas omitted)
        String stream = CREATED + completed("[{\"type\":\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":"
                + "[{\"type\":\"output_text\",\"text\":\"All done.\",\"annotations\":[]}]}]", "completed", "null");

        // When it is classified
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it is a success with the text and finish reason stop
        assertThat(outcome).isInstanceOf(Outcome.Success.class);
        JsonNode completion = ((Outcome.Success) outcome).completion();
        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("All done.");
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void shouldMapAnIncompleteResponseToLengthOrContentFilter() {
        // Given answers cut by the output token limit and by the content filter
        String item = "[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Part\"}]}]";
        String byLimit = CREATED + completed(item, "incomplete", "{\"reason\":\"max_output_tokens\"}");
        String byFilter = CREATED + completed(item, "incomplete", "{\"reason\":\"content_filter\"}");

        // When they are read
        ObjectNode limited = completionOf(byLimit, EVENT_STREAM);
        ObjectNode filtered = completionOf(byFilter, EVENT_STREAM);

        // Then the finish reasons are length and content_filter
        assertThat(limited.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(filtered.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
    }

    @Test
    void shouldBeRetryableTruncatedStreamWithoutResponseCompleted() {
        // Given a stream cut after some text, before response.completed
        String stream = CREATED
                + event("response.output_text.delta", "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hal\"");

        // When it is classified
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it is RETRYABLE truncated_stream without cooldown
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("truncated_stream");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldBeRetryableTruncatedStreamWhenTheCompletedEventLacksItsBlankLine() {
        // Given a stream whose response.completed event was cut before its closing blank line
        String full = CREATED + completed("[]", "completed", "null");
        String cut = full.substring(0, full.length() - 1);

        // When it is classified
        Outcome outcome = classify(cut, EVENT_STREAM);

        // Then the unfinished terminal event does not count
        assertThat(outcome.reason()).isEqualTo("truncated_stream");
    }

    @Test
    void shouldBeRetryableErrorEventOnAnErrorEvent() {
        // Given a stream that reports an error event
        String stream = CREATED + event("error", "\"code\":\"server_error\",\"message\":\"Something broke\",\"param\":null");

        // When it is read and classified
        Conversion conversion = provider.readSuccess(stream.getBytes(StandardCharsets.UTF_8), EVENT_STREAM);
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it is an error_event that names the upstream's message, retried without cooldown
        assertThat(((Conversion.NoAnswer) conversion).detail()).contains("Something broke");
        assertThat(outcome.reason()).isEqualTo("error_event");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldBeRetryableErrorEventOnResponseFailed() {
        // Given a stream that ends with response.failed
        String stream = CREATED + event("response.failed", "\"response\":{\"id\":\"resp_1\",\"status\":\"failed\","
                + "\"error\":{\"code\":\"server_error\",\"message\":\"The model failed to generate a response.\"},\"output\":[]}");

        // When it is classified
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it is RETRYABLE error_event
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("error_event");
    }

    @Test
    void shouldConvertAnEmptyOutputToAnEmptyCompletionThatFailsOver() {
        // Given a Codex-style 200 stream that completes with no output at all
        String stream = CREATED + completed("[]", "completed", "null");

        // When it is read and classified
        ObjectNode completion = completionOf(stream, EVENT_STREAM);
        Outcome outcome = classify(stream, EVENT_STREAM);

        // Then it converts to a completion with empty content that stopped, which the empty-completion check rejects
        assertThat(completion.at("/choices/0/message/content").asText()).isEmpty();
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
        assertThat(outcome.reason()).isEqualTo("empty_completion");
        assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
    }

    @Test
    void shouldReadANonStreamedJsonResponse() {
        // Given a JSON Responses body
        String body = """
                {"id": "resp_2", "object": "response", "created_at": 1710000001, "status": "completed", "model": "gpt-5",
                 "error": null, "incomplete_details": null,
                 "output": [{"type": "message", "id": "msg_2", "role": "assistant",
                             "content": [{"type": "output_text", "text": "Hi there", "annotations": []}]}],
                 "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}}
                """;

        // When it is read
        ObjectNode completion = completionOf(body, "application/json");

        // Then it is converted like a streamed one
        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("Hi there");
        assertThat(completion.at("/usage/prompt_tokens").asInt()).isEqualTo(5);
        assertThat(completion.at("/usage/completion_tokens").asInt()).isEqualTo(2);
    }

    @Test
    void shouldNameContextWindowErrorsSoThatTheyAreFinalAnswers() throws Exception {
        // Given error bodies with a code, and with only a message about the context window
        JsonNode byCode = json("{\"error\": {\"code\": \"context_length_exceeded\", \"type\": \"invalid_request_error\","
                + " \"message\": \"too long\"}}");
        JsonNode byMessage = json("{\"error\": {\"type\": \"invalid_request_error\","
                + " \"message\": \"Your input exceeds the context window of this model.\"}}");
        JsonNode other = json("{\"error\": {\"code\": \"rate_limit_exceeded\", \"message\": \"slow down\"}}");

        // When their codes are read
        // Then context-window errors say context_length_exceeded and others keep their code
        assertThat(provider.errorCode(byCode)).isEqualTo("context_length_exceeded");
        assertThat(provider.errorCode(byMessage)).isEqualTo("context_length_exceeded");
        assertThat(provider.errorCode(other)).isEqualTo("rate_limit_exceeded");
    }
}
