package dev.tokenrelay.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The simulated upstream's three endpoints over real HTTP: each behaviour in chat (plain and
 * streamed), Responses (streamed and not) and Anthropic Messages (plain and streamed) format.
 */
class SimulatedEndpointsIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ACCOUNT = "acct-endpoints";

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static SimulatedUpstream upstream;
    private static HttpClient client;

    @BeforeAll
    static void startClient() {
        upstream = UPSTREAM.get();
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @Nested
    class ChatStreaming {

        @Test
        void shouldStreamChunksEndingWithDone() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("hello streaming world"));

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("hi", true, true));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(response.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
            List<Event> events = events(response);
            assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
            List<JsonNode> chunks = jsonData(events.subList(0, events.size() - 1));
            assertThat(chunks).allSatisfy(chunk -> {
                assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
                assertThat(chunk.path("id").asText()).isEqualTo(chunks.get(0).path("id").asText());
            });
            assertThat(chunks.get(0).path("choices").path(0).path("delta").path("role").asText())
                    .isEqualTo("assistant");
            List<String> contentDeltas = chunks.stream()
                    .map(chunk -> chunk.path("choices").path(0).path("delta").path("content"))
                    .filter(content -> content.isTextual() && !content.asText().isEmpty())
                    .map(JsonNode::asText)
                    .collect(Collectors.toList());
            assertThat(contentDeltas).hasSizeGreaterThan(1);
            assertThat(String.join("", contentDeltas)).isEqualTo("hello streaming world");
            JsonNode finish = chunks.get(chunks.size() - 2);
            assertThat(finish.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
            JsonNode usageChunk = chunks.get(chunks.size() - 1);
            assertThat(usageChunk.path("choices")).isEmpty();
            assertThat(usageChunk.path("usage").path("completion_tokens").asInt()).isPositive();
            assertThat(upstream.calls(ACCOUNT, Endpoint.CHAT)).isEqualTo(1);
        }

        @Test
        void shouldLeaveOutTheUsageChunkUnlessAskedFor() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.ok());

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("no usage", true, false));

            // Then
            List<Event> events = events(response);
            assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
            List<JsonNode> chunks = jsonData(events.subList(0, events.size() - 1));
            assertThat(chunks).noneMatch(chunk -> chunk.has("usage"));
            assertThat(chunks.get(chunks.size() - 1).path("choices").path(0).path("finish_reason").asText())
                    .isEqualTo("stop");
            assertThat(chatStreamText(chunks)).isEqualTo("echo: no usage");
        }

        @Test
        void shouldStreamAToolCallInDeltas() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.toolCall("get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}"));

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("weather?", true, false));

            // Then
            List<Event> events = events(response);
            assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
            List<JsonNode> chunks = jsonData(events.subList(0, events.size() - 1));
            StringBuilder arguments = new StringBuilder();
            String name = null;
            String id = null;
            for (JsonNode chunk : chunks) {
                for (JsonNode call : chunk.path("choices").path(0).path("delta").path("tool_calls")) {
                    assertThat(call.path("index").asInt()).isZero();
                    if (call.has("id")) {
                        id = call.path("id").asText();
                        name = call.path("function").path("name").asText();
                    }
                    arguments.append(call.path("function").path("arguments").asText());
                }
            }
            assertThat(id).isNotBlank();
            assertThat(name).isEqualTo("get_weather");
            assertThat(MAPPER.readTree(arguments.toString()))
                    .isEqualTo(MAPPER.readTree("{\"city\":\"Paris\",\"unit\":\"celsius\"}"));
            assertThat(chunks.get(chunks.size() - 1).path("choices").path(0).path("finish_reason").asText())
                    .isEqualTo("tool_calls");
        }

        @Test
        void shouldStopATruncatedStreamBeforeDone() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.truncatedStream());

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("cut me off", true, false));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            List<Event> events = events(response);
            assertThat(events).isNotEmpty().noneMatch(event -> event.data().equals("[DONE]"));
            List<JsonNode> chunks = jsonData(events);
            assertThat(chunks).noneMatch(chunk -> chunk.path("choices").path(0).path("finish_reason").isTextual());
            assertThat(chatStreamText(chunks)).isNotEmpty().isNotEqualTo("echo: cut me off");
            assertThat("echo: cut me off").startsWith(chatStreamText(chunks));
        }

        @Test
        void shouldSendAnErrorEventInsideAStream() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.errorInOk("stream broke"));

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("hi", true, false));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            List<Event> events = events(response);
            assertThat(events).noneMatch(event -> event.data().equals("[DONE]"));
            JsonNode last = MAPPER.readTree(events.get(events.size() - 1).data());
            assertThat(last.path("error").path("message").asText()).isEqualTo("stream broke");
        }

        @Test
        void shouldStreamAnEmptyCompletion() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.emptyCompletion());

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("hi", true, false));

            // Then
            List<Event> events = events(response);
            assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
            List<JsonNode> chunks = jsonData(events.subList(0, events.size() - 1));
            assertThat(chatStreamText(chunks)).isEmpty();
            assertThat(chunks.get(chunks.size() - 1).path("choices").path(0).path("finish_reason").asText())
                    .isEqualTo("stop");
        }
    }

    @Nested
    class ChatPlain {

        @Test
        void shouldReturnAToolCallWithFinishReasonToolCalls() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.toolCall("lookup", "{\"q\":\"kafka\"}"));

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("find", false, false));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode choice = MAPPER.readTree(response.body()).path("choices").path(0);
            assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
            assertThat(choice.path("message").path("content").isNull()).isTrue();
            JsonNode call = choice.path("message").path("tool_calls").path(0);
            assertThat(call.path("id").asText()).isNotBlank();
            assertThat(call.path("type").asText()).isEqualTo("function");
            assertThat(call.path("function").path("name").asText()).isEqualTo("lookup");
            assertThat(call.path("function").path("arguments").asText()).isEqualTo("{\"q\":\"kafka\"}");
        }

        @Test
        void shouldCutATruncatedJsonBodyInTheMiddle() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.truncatedStream());

            // When
            HttpResponse<String> response = send(Endpoint.CHAT, chatBody("hi", false, false));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).startsWith("{\"id\":\"chatcmpl-");
            assertThatThrownBy(() -> MAPPER.readTree(response.body())).isInstanceOf(JsonProcessingException.class);
        }
    }

    @Nested
    class Responses {

        @Test
        void shouldStreamEventsEndingWithACompletedResponseHoldingTheReply() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("the codex answer"));

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), null),
                    Map.of("Authorization", "Bearer codex-token", "chatgpt-account-id", "acct-123"));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/event-stream"));
            List<Event> events = events(response);
            List<String> types = events.stream().map(Event::name).collect(Collectors.toList());
            assertThat(types).startsWith("response.created", "response.in_progress", "response.output_item.added",
                    "response.content_part.added", "response.output_text.delta");
            assertThat(types).endsWith("response.output_text.done", "response.content_part.done",
                    "response.output_item.done", "response.completed");
            assertThat(types.stream().filter("response.output_text.delta"::equals).count()).isGreaterThan(1);
            List<JsonNode> data = jsonData(events);
            for (int i = 0; i < events.size(); i++) {
                assertThat(data.get(i).path("type").asText()).isEqualTo(events.get(i).name());
                assertThat(data.get(i).path("sequence_number").asInt()).isEqualTo(i);
            }
            String deltas = data.stream()
                    .filter(event -> event.path("type").asText().equals("response.output_text.delta"))
                    .map(event -> event.path("delta").asText())
                    .collect(Collectors.joining());
            assertThat(deltas).isEqualTo("the codex answer");
            JsonNode completed = data.get(data.size() - 1).path("response");
            assertThat(completed.path("status").asText()).isEqualTo("completed");
            assertThat(completed.path("id").asText()).isEqualTo(data.get(0).path("response").path("id").asText());
            JsonNode message = completed.path("output").path(0);
            assertThat(message.path("type").asText()).isEqualTo("message");
            assertThat(message.path("role").asText()).isEqualTo("assistant");
            assertThat(message.path("content").path(0).path("type").asText()).isEqualTo("output_text");
            assertThat(message.path("content").path(0).path("text").asText()).isEqualTo("the codex answer");
            JsonNode usage = completed.path("usage");
            assertThat(usage.path("output_tokens").asInt()).isPositive();
            assertThat(usage.path("total_tokens").asInt())
                    .isEqualTo(usage.path("input_tokens").asInt() + usage.path("output_tokens").asInt());
            assertThat(upstream.calls(ACCOUNT, Endpoint.RESPONSES)).isEqualTo(1);
            assertThat(upstream.calls(ACCOUNT, Endpoint.CHAT)).isZero();
            assertThat(upstream.authorizationHeaders(ACCOUNT)).containsExactly("Bearer codex-token");
            assertThat(upstream.headers(ACCOUNT, "ChatGPT-Account-Id")).containsExactly("acct-123");
        }

        @Test
        void shouldEchoTheLastUserItemOfTheInput() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.echo());
            ArrayNode input = MAPPER.createArrayNode();
            input.addObject().put("role", "user").put("content", "first question");
            input.addObject().put("type", "message").put("role", "assistant").putArray("content").addObject()
                    .put("type", "output_text").put("text", "an answer");
            input.addObject().put("type", "message").put("role", "user").putArray("content").addObject()
                    .put("type", "input_text").put("text", "second question");

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(input, null));

            // Then
            assertThat(responsesOutputText(completedResponse(response))).isEqualTo("echo: second question");
        }

        @Test
        void shouldEchoAStringInput() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.ok());

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("plain"), null));

            // Then
            assertThat(responsesOutputText(completedResponse(response))).isEqualTo("echo: plain");
        }

        @Test
        void shouldAnswerJsonWhenNotStreamed() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("not streamed"));

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), false));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode body = MAPPER.readTree(response.body());
            assertThat(body.path("object").asText()).isEqualTo("response");
            assertThat(body.path("status").asText()).isEqualTo("completed");
            assertThat(responsesOutputText(body)).isEqualTo("not streamed");
        }

        @Test
        void shouldCompleteWithNoTextForAnEmptyCompletion() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.emptyCompletion());

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), null));

            // Then
            List<Event> events = events(response);
            assertThat(events).noneMatch(event -> event.name().equals("response.output_text.delta"));
            JsonNode completed = completedResponse(response);
            assertThat(completed.path("status").asText()).isEqualTo("completed");
            assertThat(responsesOutputText(completed)).isEmpty();
            assertThat(completed.path("output")).noneMatch(item -> item.path("type").asText().equals("function_call"));
        }

        @Test
        void shouldSendAnErrorEventAndNoCompletionInsideA200() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.errorInOk("upstream model failed"));

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), null));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            List<Event> events = events(response);
            List<String> types = events.stream().map(Event::name).collect(Collectors.toList());
            assertThat(types).contains("error").doesNotContain("response.completed");
            JsonNode error = MAPPER.readTree(events.get(types.indexOf("error")).data());
            assertThat(error.path("message").asText()).isEqualTo("upstream model failed");
            assertThat(error.path("code").asText()).isEqualTo("server_error");
            assertThat(types.get(types.size() - 1)).isEqualTo("response.failed");
            JsonNode failed = MAPPER.readTree(events.get(events.size() - 1).data()).path("response");
            assertThat(failed.path("status").asText()).isEqualTo("failed");
            assertThat(failed.path("error").path("message").asText()).isEqualTo("upstream model failed");
        }

        @Test
        void shouldEndATruncatedStreamWithoutItsTerminalEventButCompleteTheExchange() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.truncatedStream());

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), null));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
            List<Event> events = events(response);
            List<String> types = events.stream().map(Event::name).collect(Collectors.toList());
            assertThat(types).startsWith("response.created").contains("response.output_text.delta")
                    .doesNotContain("response.completed", "response.failed", "error");
            await().atMost(Duration.ofSeconds(5)).until(() -> upstream.inFlight(ACCOUNT) == 0);
        }

        @Test
        void shouldOutputAFunctionCallItem() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.toolCall("run_shell", "{\"command\":[\"ls\",\"-la\"]}"));

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("list"), null));

            // Then
            List<JsonNode> data = jsonData(events(response));
            String deltas = data.stream()
                    .filter(event -> event.path("type").asText().equals("response.function_call_arguments.delta"))
                    .map(event -> event.path("delta").asText())
                    .collect(Collectors.joining());
            assertThat(deltas).isEqualTo("{\"command\":[\"ls\",\"-la\"]}");
            JsonNode completed = data.get(data.size() - 1);
            assertThat(completed.path("type").asText()).isEqualTo("response.completed");
            JsonNode call = completed.path("response").path("output").path(0);
            assertThat(call.path("type").asText()).isEqualTo("function_call");
            assertThat(call.path("name").asText()).isEqualTo("run_shell");
            assertThat(call.path("call_id").asText()).isNotBlank();
            assertThat(call.path("arguments").asText()).isEqualTo("{\"command\":[\"ls\",\"-la\"]}");
        }

        @Test
        void shouldSendAStatusWithAnOpenAiErrorBody() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.status(503));

            // When
            HttpResponse<String> response = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), null));

            // Then
            assertThat(response.statusCode()).isEqualTo(503);
            JsonNode error = MAPPER.readTree(response.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("service_unavailable");
            assertThat(error.path("type").asText()).isEqualTo("server_error");
        }
    }

    @Nested
    class RequestIds {

        @Test
        void shouldNameEveryOpenAiAnswerInAnXRequestIdHeaderOfItsOwn() throws Exception {
            // Given a reply, a streamed reply and an error on the OpenAI endpoints
            upstream.script(ACCOUNT, Behaviour.reply("one"), Behaviour.reply("two"), Behaviour.status(503));

            // When each is answered
            HttpResponse<String> chat = send(Endpoint.CHAT, chatBody("hi", false, false));
            HttpResponse<String> streamed = send(Endpoint.CHAT, chatBody("hi", true, false));
            HttpResponse<String> error = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), false));

            // Then each carries x-request-id: req_ and an id no other answer has, as OpenAI's do
            List<String> ids = new ArrayList<>();
            for (HttpResponse<String> response : List.of(chat, streamed, error)) {
                assertThat(response.headers().firstValue("x-request-id")).hasValueSatisfying(id -> {
                    assertThat(id).matches("req_[0-9a-f]{32}");
                    ids.add(id);
                });
            }
            assertThat(error.statusCode()).isEqualTo(503);
            assertThat(ids).doesNotHaveDuplicates();
        }

        @Test
        void shouldNameAnthropicAnswersInARequestIdHeader() throws Exception {
            // Given a reply and a rate limit on the Messages endpoint
            upstream.script(ACCOUNT, Behaviour.reply("bonjour"), Behaviour.rateLimited(Duration.ofSeconds(1)));

            // When each is answered
            HttpResponse<String> reply = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));
            HttpResponse<String> limited = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));

            // Then both carry Anthropic's request-id header, and not OpenAI's
            assertThat(reply.headers().firstValue("request-id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
            assertThat(limited.headers().firstValue("request-id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
            assertThat(reply.headers().firstValue("x-request-id")).isEmpty();
        }
    }

    @Nested
    class Messages {

        @Test
        void shouldAnswerAMessageAndRecordTheAnthropicHeaders() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("bonjour"));

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false),
                    Map.of("x-api-key", "fake-anthropic-key", "anthropic-version", "2023-06-01"));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.headers().firstValue("request-id")).isPresent();
            JsonNode body = MAPPER.readTree(response.body());
            assertThat(body.path("id").asText()).startsWith("msg_");
            assertThat(body.path("type").asText()).isEqualTo("message");
            assertThat(body.path("role").asText()).isEqualTo("assistant");
            assertThat(body.path("model").asText()).isEqualTo("claude-test");
            assertThat(body.path("content")).hasSize(1);
            assertThat(body.path("content").path(0).path("type").asText()).isEqualTo("text");
            assertThat(body.path("content").path(0).path("text").asText()).isEqualTo("bonjour");
            assertThat(body.path("stop_reason").asText()).isEqualTo("end_turn");
            assertThat(body.has("stop_sequence")).isTrue();
            assertThat(body.path("stop_sequence").isNull()).isTrue();
            assertThat(body.path("usage").path("input_tokens").asInt()).isPositive();
            assertThat(body.path("usage").path("output_tokens").asInt()).isPositive();
            assertThat(upstream.apiKeyHeaders(ACCOUNT)).containsExactly("fake-anthropic-key");
            assertThat(upstream.headers(ACCOUNT, "Anthropic-Version")).containsExactly("2023-06-01");
            assertThat(upstream.authorizationHeaders(ACCOUNT)).containsExactly((String) null);
            assertThat(upstream.calls(ACCOUNT, Endpoint.MESSAGES)).isEqualTo(1);
        }

        @Test
        void shouldServeClientsThatAppendV1MessagesToTheRootUrl() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("via root"));
            HttpRequest request = HttpRequest.newBuilder(URI.create(upstream.rootUrl(ACCOUNT) + "/v1/messages"))
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(messagesBody(MAPPER.valueToTree("hi"), false).toString()))
                    .build();

            // When
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(MAPPER.readTree(response.body()).path("content").path(0).path("text").asText())
                    .isEqualTo("via root");
        }

        @Test
        void shouldEchoTheLastUserTextBlock() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.echo());
            ArrayNode blocks = MAPPER.createArrayNode();
            blocks.addObject().put("type", "text").put("text", "in blocks");

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(blocks, false));

            // Then
            assertThat(MAPPER.readTree(response.body()).path("content").path(0).path("text").asText())
                    .isEqualTo("echo: in blocks");
        }

        @Test
        void shouldStreamEventsEndingWithMessageStop() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("streamed claude reply"));

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), true));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            List<Event> events = events(response);
            List<String> types = events.stream().map(Event::name).collect(Collectors.toList());
            assertThat(types).startsWith("message_start", "content_block_start", "ping", "content_block_delta")
                    .endsWith("content_block_stop", "message_delta", "message_stop");
            List<JsonNode> data = jsonData(events);
            assertThat(data.get(0).path("message").path("id").asText()).startsWith("msg_");
            String text = data.stream()
                    .filter(event -> event.path("type").asText().equals("content_block_delta"))
                    .map(event -> event.path("delta").path("text").asText())
                    .collect(Collectors.joining());
            assertThat(text).isEqualTo("streamed claude reply");
            JsonNode messageDelta = data.get(data.size() - 2);
            assertThat(messageDelta.path("delta").path("stop_reason").asText()).isEqualTo("end_turn");
            assertThat(messageDelta.path("usage").path("output_tokens").asInt()).isPositive();
        }

        @Test
        void shouldAnswerNoContentBlocksForAnEmptyCompletion() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.emptyCompletion());

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = MAPPER.readTree(response.body());
            assertThat(body.path("type").asText()).isEqualTo("message");
            assertThat(body.path("content").isArray()).isTrue();
            assertThat(body.path("content")).isEmpty();
            assertThat(body.path("stop_reason").asText()).isEqualTo("end_turn");
        }

        @Test
        void shouldAnswerAToolUseBlock() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.toolCall("get_weather", "{\"city\":\"Oslo\"}"));

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("weather"), false));

            // Then
            JsonNode body = MAPPER.readTree(response.body());
            assertThat(body.path("stop_reason").asText()).isEqualTo("tool_use");
            JsonNode block = body.path("content").path(0);
            assertThat(block.path("type").asText()).isEqualTo("tool_use");
            assertThat(block.path("id").asText()).startsWith("toolu_");
            assertThat(block.path("name").asText()).isEqualTo("get_weather");
            assertThat(block.path("input")).isEqualTo(MAPPER.readTree("{\"city\":\"Oslo\"}"));
        }

        @Test
        void shouldStreamAToolUseAsPartialJson() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.toolCall("get_weather", "{\"city\":\"Oslo\"}"));

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("weather"), true));

            // Then
            List<JsonNode> data = jsonData(events(response));
            JsonNode start = data.get(1);
            assertThat(start.path("content_block").path("type").asText()).isEqualTo("tool_use");
            assertThat(start.path("content_block").path("name").asText()).isEqualTo("get_weather");
            String json = data.stream()
                    .filter(event -> event.path("type").asText().equals("content_block_delta"))
                    .map(event -> event.path("delta").path("partial_json").asText())
                    .collect(Collectors.joining());
            assertThat(MAPPER.readTree(json)).isEqualTo(MAPPER.readTree("{\"city\":\"Oslo\"}"));
            assertThat(data.get(data.size() - 2).path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
            assertThat(data.get(data.size() - 1).path("type").asText()).isEqualTo("message_stop");
        }

        @Test
        void shouldAnswerARateLimitWithRetryAfterAndAnthropicsErrorBody() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.rateLimited(Duration.ofSeconds(30)));
            Instant before = Instant.now();

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));

            // Then
            assertThat(response.statusCode()).isEqualTo(429);
            assertThat(response.headers().firstValue("Retry-After")).hasValue("30");
            assertThat(response.headers().firstValue("anthropic-ratelimit-requests-reset"))
                    .hasValueSatisfying(reset -> assertThat(Instant.parse(reset))
                            .isBetween(before.plusSeconds(29), Instant.now().plusSeconds(31)));
            JsonNode body = MAPPER.readTree(response.body());
            assertThat(body.path("type").asText()).isEqualTo("error");
            assertThat(body.path("error").path("type").asText()).isEqualTo("rate_limit_error");
            assertThat(body.path("error").path("message").asText()).isNotBlank();
        }

        @Test
        void shouldMapStatusesToAnthropicErrorTypes() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.status(529), Behaviour.status(503), Behaviour.status(401),
                    Behaviour.status(400), Behaviour.status(500));

            // When
            List<String> types = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));
                JsonNode body = MAPPER.readTree(response.body());
                assertThat(body.path("type").asText()).isEqualTo("error");
                types.add(response.statusCode() + " " + body.path("error").path("type").asText());
            }

            // Then
            assertThat(types).containsExactly("529 overloaded_error", "503 overloaded_error",
                    "401 authentication_error", "400 invalid_request_error", "500 api_error");
        }

        @Test
        void shouldSayThePromptIsTooLongForAContextLengthError() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.status(400, "context_length_exceeded"));

            // When
            HttpResponse<String> response = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));

            // Then
            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode error = MAPPER.readTree(response.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.path("message").asText()).contains("prompt is too long");
        }

        @Test
        void shouldAnswerAnErrorBodyInsideA200() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.errorInOk("overloaded inside"), Behaviour.errorInOk("in the stream"));

            // When
            HttpResponse<String> plain = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));
            HttpResponse<String> streamed = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), true));

            // Then
            assertThat(plain.statusCode()).isEqualTo(200);
            JsonNode body = MAPPER.readTree(plain.body());
            assertThat(body.path("type").asText()).isEqualTo("error");
            assertThat(body.path("error").path("message").asText()).isEqualTo("overloaded inside");
            assertThat(streamed.statusCode()).isEqualTo(200);
            List<Event> events = events(streamed);
            assertThat(events.get(0).name()).isEqualTo("message_start");
            assertThat(events.get(events.size() - 1).name()).isEqualTo("error");
            assertThat(MAPPER.readTree(events.get(events.size() - 1).data()).path("error").path("message").asText())
                    .isEqualTo("in the stream");
        }

        @Test
        void shouldTruncateStreamsBeforeMessageStopAndJsonInTheMiddle() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.truncatedStream());

            // When
            HttpResponse<String> streamed = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), true));
            HttpResponse<String> plain = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));

            // Then
            assertThat(streamed.statusCode()).isEqualTo(200);
            List<String> types = events(streamed).stream().map(Event::name).collect(Collectors.toList());
            assertThat(types).startsWith("message_start").contains("content_block_delta")
                    .doesNotContain("message_stop", "message_delta");
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> MAPPER.readTree(plain.body())).isInstanceOf(JsonProcessingException.class);
        }

        @Test
        void shouldAnswerAnUnknownAccountWithAnAnthropicNotFound() throws Exception {
            // When
            HttpRequest request = HttpRequest.newBuilder(URI.create(upstream.baseUrl("nobody") + "/messages"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

            // Then
            assertThat(response.statusCode()).isEqualTo(404);
            JsonNode body = MAPPER.readTree(response.body());
            assertThat(body.path("type").asText()).isEqualTo("error");
            assertThat(body.path("error").path("type").asText()).isEqualTo("not_found_error");
        }
    }

    @Nested
    class AcrossEndpoints {

        @Test
        void shouldPlayOneScriptAcrossEndpointsAndCountEachEndpoint() throws Exception {
            // Given
            upstream.script(ACCOUNT, Behaviour.reply("one"), Behaviour.reply("two"), Behaviour.reply("three"));

            // When
            HttpResponse<String> chat = send(Endpoint.CHAT, chatBody("hi", false, false));
            HttpResponse<String> responses = send(Endpoint.RESPONSES, responsesBody(MAPPER.valueToTree("hi"), false));
            HttpResponse<String> messages = send(Endpoint.MESSAGES, messagesBody(MAPPER.valueToTree("hi"), false));

            // Then
            assertThat(MAPPER.readTree(chat.body()).path("choices").path(0).path("message").path("content").asText())
                    .isEqualTo("one");
            assertThat(responsesOutputText(MAPPER.readTree(responses.body()))).isEqualTo("two");
            assertThat(MAPPER.readTree(messages.body()).path("content").path(0).path("text").asText())
                    .isEqualTo("three");
            assertThat(upstream.calls(ACCOUNT)).isEqualTo(3);
            for (Endpoint endpoint : Endpoint.values()) {
                assertThat(upstream.calls(ACCOUNT, endpoint)).isEqualTo(1);
            }
            assertThat(upstream.endpoints(ACCOUNT))
                    .containsExactly(Endpoint.CHAT, Endpoint.RESPONSES, Endpoint.MESSAGES);
            assertThat(upstream.requestBodies(ACCOUNT)).hasSize(3);
        }

        @ParameterizedTest
        @EnumSource(Endpoint.class)
        void shouldResetTheConnectionOnEveryEndpoint(Endpoint endpoint) {
            // Given
            upstream.script(ACCOUNT, Behaviour.reset());

            // When / Then
            assertThatThrownBy(() -> send(endpoint, bodyFor(endpoint))).isInstanceOf(IOException.class);
            assertThat(upstream.calls(ACCOUNT, endpoint)).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> upstream.inFlight(ACCOUNT) == 0);
        }

        @ParameterizedTest
        @EnumSource(Endpoint.class)
        void shouldWaitTheLatencyOfANewBehaviourOnEveryEndpoint(Endpoint endpoint) throws Exception {
            // Given
            Duration latency = Duration.ofMillis(300);
            upstream.script(ACCOUNT, Behaviour.toolCall("slow", "{}").after(latency));
            long start = System.nanoTime();

            // When
            HttpResponse<String> response = send(endpoint, bodyFor(endpoint));

            // Then
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(latency);
            assertThat(response.body()).contains("slow");
        }

        @Test
        void shouldRejectToolArgumentsThatAreNotAJsonObject() {
            assertThatThrownBy(() -> Behaviour.toolCall("f", "[1,2]")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Behaviour.toolCall("f", "{not json")).isInstanceOf(IllegalArgumentException.class);
            assertThat(Behaviour.truncatedStream().after(Duration.ofSeconds(1)).latency())
                    .isEqualTo(Duration.ofSeconds(1));
        }
    }

    private static ObjectNode bodyFor(Endpoint endpoint) {
        return switch (endpoint) {
            case CHAT -> chatBody("hi", false, false);
            case RESPONSES -> responsesBody(MAPPER.valueToTree("hi"), null);
            case MESSAGES -> messagesBody(MAPPER.valueToTree("hi"), false);
        };
    }

    private static ObjectNode chatBody(String userMessage, boolean stream, boolean includeUsage) {
        ObjectNode body = MAPPER.createObjectNode().put("model", "gpt-test");
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", "be brief");
        messages.addObject().put("role", "user").put("content", userMessage);
        if (stream) {
            body.put("stream", true);
        }
        if (includeUsage) {
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    /** A Codex-style request; {@code stream} null leaves the field out. */
    private static ObjectNode responsesBody(JsonNode input, Boolean stream) {
        ObjectNode body = MAPPER.createObjectNode().put("model", "gpt-codex-test").put("instructions", "be brief");
        body.set("input", input);
        if (stream != null) {
            body.put("stream", stream);
        }
        return body;
    }

    private static ObjectNode messagesBody(JsonNode userContent, boolean stream) {
        ObjectNode body = MAPPER.createObjectNode().put("model", "claude-test").put("max_tokens", 256)
                .put("system", "be brief");
        ObjectNode user = body.putArray("messages").addObject().put("role", "user");
        user.set("content", userContent);
        if (stream) {
            body.put("stream", true);
        }
        return body;
    }

    private static HttpResponse<String> send(Endpoint endpoint, ObjectNode body)
            throws IOException, InterruptedException {
        return send(endpoint, body, Map.of());
    }

    private static HttpResponse<String> send(Endpoint endpoint, ObjectNode body, Map<String, String> headers)
            throws IOException, InterruptedException {
        String path = switch (endpoint) {
            case CHAT -> "/chat/completions";
            case RESPONSES -> "/responses";
            case MESSAGES -> "/messages";
        };
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream.baseUrl(ACCOUNT) + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One Server-Sent Event: its name (null when unnamed) and its data lines joined. */
    private record Event(String name, String data) {}

    /** Parses an event stream line by line as the SSE format defines it (CRLF or LF, comments ignored). */
    private static List<Event> events(HttpResponse<String> response) {
        List<Event> events = new ArrayList<>();
        String name = null;
        StringBuilder data = null;
        for (String line : response.body().split("\r\n|\n", -1)) {
            if (line.isEmpty()) {
                if (data != null) {
                    events.add(new Event(name, data.toString()));
                }
                name = null;
                data = null;
            } else if (!line.startsWith(":")) {
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                value = value.startsWith(" ") ? value.substring(1) : value;
                if (field.equals("event")) {
                    name = value;
                } else if (field.equals("data")) {
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
        }
        return events;
    }

    private static List<JsonNode> jsonData(List<Event> events) {
        List<JsonNode> data = new ArrayList<>();
        for (Event event : events) {
            try {
                data.add(MAPPER.readTree(event.data()));
            } catch (JsonProcessingException e) {
                throw new AssertionError("Event data is not JSON: " + event, e);
            }
        }
        return data;
    }

    private static String chatStreamText(List<JsonNode> chunks) {
        return chunks.stream()
                .map(chunk -> chunk.path("choices").path(0).path("delta").path("content"))
                .filter(JsonNode::isTextual)
                .map(JsonNode::asText)
                .collect(Collectors.joining());
    }

    /** The response carried by the last event, which must be {@code response.completed}. */
    private static JsonNode completedResponse(HttpResponse<String> response) {
        List<Event> events = events(response);
        Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("response.completed");
        return jsonData(List.of(last)).get(0).path("response");
    }

    /** The text of every output_text part of every message item of a response. */
    private static String responsesOutputText(JsonNode response) {
        StringBuilder text = new StringBuilder();
        for (JsonNode item : response.path("output")) {
            if (item.path("type").asText().equals("message")) {
                for (JsonNode part : item.path("content")) {
                    if (part.path("type").asText().equals("output_text")) {
                        text.append(part.path("text").asText());
                    }
                }
            }
        }
        return text.toString();
    }
}
