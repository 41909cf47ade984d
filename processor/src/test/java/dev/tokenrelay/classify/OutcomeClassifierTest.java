package dev.tokenrelay.classify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.classify.UpstreamExchange;
import dev.tokenrelay.config.OutcomePolicy;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.upstream.AnthropicMessagesProvider;
import dev.tokenrelay.upstream.OpenAiChatProvider;
import dev.tokenrelay.upstream.OpenAiResponsesProvider;
import dev.tokenrelay.upstream.Provider;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ProtocolException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The outcome table of docs/design.md, section 3, with the default policy and the OpenAI chat provider. */
class OutcomeClassifierTest {

    private static final Instant NOW = Instant.parse("2015-10-21T07:27:30Z");
    private static final Instant STARTED = NOW.minusMillis(1_250);
    private static final Duration LATENCY = Duration.ofMillis(1_250);
    private static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(15);

    private final OutcomeClassifier classifier =
            new OutcomeClassifier(OutcomePolicy.defaults(), Clock.fixed(NOW, ZoneOffset.UTC));
    private final Provider provider = new OpenAiChatProvider();

    private static UpstreamExchange.Response response(int status, String body) {
        return response(status, null, body);
    }

    private static UpstreamExchange.Response response(int status, String retryAfter, String body) {
        byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        return new UpstreamExchange.Response(status, retryAfter == null ? Map.of() : Map.of("retry-after", retryAfter),
                bytes, STARTED, LATENCY);
    }

    private static UpstreamExchange.Failure failure(Throwable cause) {
        return new UpstreamExchange.Failure(cause, STARTED, LATENCY);
    }

    /** A chat completion whose first choice has {@code message} and {@code finishReason}. */
    private static String completion(String message, String finishReason) {
        String finish = finishReason == null ? "null" : "\"" + finishReason + "\"";
        return """
                {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o",
                 "choices": [{"index": 0, "message": %s, "finish_reason": %s}],
                 "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}}
                """.formatted(message, finish);
    }

    private Outcome classify(UpstreamExchange exchange) {
        return classifier.classify(exchange, provider);
    }

    @Nested
    class SuccessfulStatus {

        @Test
        void shouldBeSuccessWithTheCompletionWhenA200CarriesText() {
            // Given a 200 whose first choice stopped with text
            String body = completion("{\"role\": \"assistant\", \"content\": \"Hello!\"}", "stop");

            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then it is a 2xx SUCCESS carrying the completion, its usage and the call's timing
            assertThat(outcome).isInstanceOf(Outcome.Success.class);
            Outcome.Success success = (Outcome.Success) outcome;
            assertThat(success.kind()).isEqualTo(OutcomeKind.SUCCESS);
            assertThat(success.status()).isEqualTo(200);
            assertThat(success.is2xx()).isTrue();
            assertThat(success.finalAnswer()).isFalse();
            assertThat(success.reason()).isEqualTo("ok");
            assertThat(success.completion().at("/choices/0/message/content").asText()).isEqualTo("Hello!");
            assertThat(success.usage().get("total_tokens").asInt()).isEqualTo(12);
            assertThat(success.response()).isNull();
            assertThat(success.startedAt()).isEqualTo(STARTED);
            assertThat(success.latency()).isEqualTo(LATENCY);
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @CsvSource(delimiter = '|', textBlock = """
                content is empty                 | {"role": "assistant", "content": ""}
                content is null                  | {"role": "assistant", "content": null}
                content is blank                 | {"role": "assistant", "content": "   \\n "}
                no answer field at all           | {"role": "assistant"}
                every answer field empty         | {"role": "assistant", "content": "", "reasoning_content": " ", "tool_calls": [], "refusal": null, "audio": {}}
                content parts list is empty      | {"role": "assistant", "content": []}
                message is null                  | null
                message is empty                 | {}
                """)
        void shouldBeRetryableWithoutCooldownWhenA200IsAnEmptyCompletion(String description, String message) {
            // Given a 200 whose first choice says "stop" but carries nothing usable
            String body = completion(message, "stop");

            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then it is a fake success: RETRYABLE empty_completion, with no cooldown and nothing to pass through
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("empty_completion");
            assertThat(retryable.httpStatus()).isEqualTo(200);
            assertThat(retryable.cooldown()).isNull();
            assertThat(retryable.response()).isNull();
            assertThat(retryable.timeout()).isFalse();
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @CsvSource(delimiter = '|', textBlock = """
                tool calls without content       | {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]} | stop
                a refusal                        | {"role": "assistant", "content": null, "refusal": "I cannot help with that."}                                                             | stop
                reasoning content only           | {"role": "assistant", "content": "", "reasoning_content": "thinking..."}                                                                 | stop
                audio only                       | {"role": "assistant", "content": null, "audio": {"id": "audio_1", "data": "UklGRg=="}}                                                   | stop
                cut by length with empty content | {"role": "assistant", "content": ""}                                                                                                     | length
                tool_calls finish, no content    | {"role": "assistant", "content": null}                                                                                                   | tool_calls
                no finish reason, no content     | {"role": "assistant", "content": null}                                                                                                   |
                """)
        void shouldBeSuccessWhenA200IsNotAnEmptyCompletionByTheDefinition(String description, String message,
                String finishReason) {
            // Given a 200 that carries an answer field, or did not finish with "stop"
            // (the definition of an empty completion needs finish_reason == "stop")
            String body = completion(message, finishReason);

            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then it is a 2xx SUCCESS
            assertThat(outcome).isInstanceOf(Outcome.Success.class);
            assertThat(((Outcome.Success) outcome).is2xx()).isTrue();
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @ValueSource(strings = {
            "{\"id\": \"chatcmpl-1\", \"object\": \"chat.completion\"}",
            "{\"id\": \"chatcmpl-1\", \"choices\": []}",
            "{\"id\": \"chatcmpl-1\", \"choices\": null}",
        })
        void shouldBeRetryableWhenA200HasNoChoices(String body) {
            // Given a 200 without a single choice
            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then it is a fake success: RETRYABLE empty_completion without cooldown
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            assertThat(outcome.reason()).isEqualTo("empty_completion");
            assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
        }

        @Test
        void shouldBeRetryableWithoutCooldownWhenA200CarriesAnErrorObjectAndNoChoices() {
            // Given a 200 whose body is an error
            String body = "{\"error\": {\"message\": \"upstream overloaded\", \"type\": \"server_error\"}}";

            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then it is a fake success: RETRYABLE error_in_success, no cooldown
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("error_in_success");
            assertThat(retryable.httpStatus()).isEqualTo(200);
            assertThat(retryable.cooldown()).isNull();
            assertThat(retryable.timeout()).isFalse();
        }

        @ParameterizedTest(name = "[{index}] body {0}")
        @ValueSource(strings = {"<html>Bad gateway</html>", "{\"choices\": [", "\"just a string\"", "[1, 2]", ""})
        void shouldBeRetryableWithoutCooldownWhenA200IsNotAJsonObject(String body) {
            // Given a 200 whose body is not a JSON object
            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then it is a fake success: RETRYABLE, no cooldown
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("invalid_body");
            assertThat(retryable.httpStatus()).isEqualTo(200);
            assertThat(retryable.cooldown()).isNull();
        }

        @Test
        void shouldBeRetryableWhenA200HasNoBodyAtAll() {
            // Given a 200 with no body
            // When it is classified
            Outcome outcome = classify(response(200, null));

            // Then it is a fake success
            assertThat(outcome.kind()).isEqualTo(OutcomeKind.RETRYABLE);
        }
    }

    @Nested
    class ErrorStatus {

        static Stream<Arguments> defaultRetryableStatuses() {
            return Stream.of(
                    Arguments.of(400, false),
                    Arguments.of(401, true),
                    Arguments.of(402, true),
                    Arguments.of(403, true),
                    Arguments.of(404, false),
                    Arguments.of(408, true),
                    Arguments.of(413, false),
                    Arguments.of(422, false),
                    Arguments.of(429, true),
                    Arguments.of(307, false),
                    Arguments.of(500, true),
                    Arguments.of(502, true),
                    Arguments.of(503, true),
                    Arguments.of(504, true),
                    Arguments.of(599, true));
        }

        @ParameterizedTest(name = "[{index}] {0} cools down: {1}")
        @MethodSource("defaultRetryableStatuses")
        void shouldBeRetryableForEveryDefaultRetryableStatusWithTheCooldownOfItsStatus(int status, boolean cools) {
            // Given a response with a status of the default retryable list and an error body
            String body = "{\"error\": {\"message\": \"nope\", \"type\": \"some_error\", \"code\": \"some_code\"}}";

            // When it is classified
            Outcome outcome = classify(response(status, body));

            // Then it is RETRYABLE status_<n>, keeps the response to pass through,
            // and cools the account (by the default 15 s) exactly for 401, 402, 403, 408, 429 and 5xx
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("status_" + status);
            assertThat(retryable.httpStatus()).isEqualTo(status);
            assertThat(retryable.response()).isNotNull();
            assertThat(retryable.response().status()).isEqualTo(status);
            assertThat(retryable.response().body().at("/error/message").asText()).isEqualTo("nope");
            assertThat(retryable.timeout()).isFalse();
            assertThat(retryable.startedAt()).isEqualTo(STARTED);
            assertThat(retryable.latency()).isEqualTo(LATENCY);
            if (cools) {
                assertThat(retryable.cooldown()).isEqualTo(DEFAULT_COOLDOWN);
            } else {
                assertThat(retryable.cooldown()).isNull();
            }
        }

        @Test
        void shouldKeepAResponseWhoseBodyIsNotJsonWithANullBody() {
            // Given a 502 from a proxy with an HTML body
            // When it is classified
            Outcome outcome = classify(response(502, "<html>502 Bad Gateway</html>"));

            // Then it is RETRYABLE and the kept response has the status and no body
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.response().status()).isEqualTo(502);
            assertThat(retryable.response().body()).isNull();
        }

        @Test
        void shouldCoolA429ForTheRetryAfterSeconds() {
            // Given a 429 with Retry-After in seconds
            // When it is classified
            Outcome outcome = classify(response(429, "42", "{\"error\": {\"message\": \"slow down\"}}"));

            // Then the account cools for exactly that long
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            assertThat(((Outcome.Retryable) outcome).cooldown()).isEqualTo(Duration.ofSeconds(42));
        }

        @Test
        void shouldCoolA429UntilTheRetryAfterHttpDate() {
            // Given a 429 with Retry-After as an HTTP date 90 s after the classifier's clock
            String date = "Wed, 21 Oct 2015 07:29:00 GMT";

            // When it is classified
            Outcome outcome = classify(response(429, date, "{\"error\": {\"message\": \"slow down\"}}"));

            // Then the account cools until that date
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            assertThat(((Outcome.Retryable) outcome).cooldown()).isEqualTo(Duration.ofSeconds(90));
        }

        @Test
        void shouldNotCoolANegativeDurationWhenTheRetryAfterDateHasPassed() {
            // Given a 429 with Retry-After as an HTTP date before the classifier's clock
            String date = "Wed, 21 Oct 2015 07:00:00 GMT";

            // When it is classified
            Outcome outcome = classify(response(429, date, "{}"));

            // Then the cooldown is not negative
            assertThat(((Outcome.Retryable) outcome).cooldown().isNegative()).isFalse();
        }

        @ParameterizedTest(name = "[{index}] Retry-After {0}")
        @ValueSource(strings = {"", "   ", "soon", "-5"})
        void shouldCoolA429ForTheDefaultCooldownWhenRetryAfterIsUnreadable(String retryAfter) {
            // Given a 429 with an empty or unreadable Retry-After
            // When it is classified
            Outcome outcome = classify(response(429, retryAfter, "{}"));

            // Then the account cools for the default 15 s
            assertThat(((Outcome.Retryable) outcome).cooldown()).isEqualTo(DEFAULT_COOLDOWN);
        }

        @Test
        void shouldCoolA429ForTheDefault15SecondsWithoutRetryAfter() {
            // Given a 429 without Retry-After
            // When it is classified
            Outcome outcome = classify(response(429, null, "{\"error\": {\"message\": \"slow down\"}}"));

            // Then the account cools for the default 15 s
            assertThat(((Outcome.Retryable) outcome).cooldown()).isEqualTo(DEFAULT_COOLDOWN);
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @ValueSource(ints = {409, 418, 405, 410, 451})
        void shouldBeANon2xxSuccessThatIsNotFinalForAStatusOutsideTheRetryableList(int status) {
            // Given a response whose status is not in the retryable list
            String body = "{\"error\": {\"message\": \"conflict\", \"type\": \"invalid_request_error\"}}";

            // When it is classified
            Outcome outcome = classify(response(status, body));

            // Then it is a non-2xx SUCCESS, not a final answer, carrying the upstream body
            assertThat(outcome).isInstanceOf(Outcome.Success.class);
            Outcome.Success success = (Outcome.Success) outcome;
            assertThat(success.kind()).isEqualTo(OutcomeKind.SUCCESS);
            assertThat(success.status()).isEqualTo(status);
            assertThat(success.is2xx()).isFalse();
            assertThat(success.finalAnswer()).isFalse();
            assertThat(success.completion()).isNull();
            assertThat(success.reason()).isEqualTo("status_" + status);
            assertThat(success.response().status()).isEqualTo(status);
            assertThat(success.response().body().at("/error/message").asText()).isEqualTo("conflict");
        }

        @ParameterizedTest(name = "[{index}] {0} {1}")
        @CsvSource({
            "400, context_length_exceeded",
            "400, content_policy_violation",
            "400, content_filter",
            "422, context_length_exceeded",
        })
        void shouldBeAFinalAnswerForAContextWindowOrContentPolicyRejection(int status, String code) {
            // Given a retryable status whose error.code says every account would answer the same
            String body = """
                    {"error": {"message": "This model's maximum context length is 128000 tokens.",
                               "type": "invalid_request_error", "param": "messages", "code": "%s"}}
                    """.formatted(code);

            // When it is classified
            Outcome outcome = classify(response(status, body));

            // Then it is a SUCCESS final answer with its status and the upstream body, not a retry
            assertThat(outcome).isInstanceOf(Outcome.Success.class);
            Outcome.Success success = (Outcome.Success) outcome;
            assertThat(success.status()).isEqualTo(status);
            assertThat(success.is2xx()).isFalse();
            assertThat(success.finalAnswer()).isTrue();
            assertThat(success.reason()).isEqualTo(code);
            assertThat(success.response().body().at("/error/code").asText()).isEqualTo(code);
        }
    }

    @Nested
    class ErrorInASuccessfulStatus {

        static Stream<Arguments> finalAnswers() {
            return Stream.of(
                    Arguments.of("chat: an error chunk in the stream", new OpenAiChatProvider(), """
                            data: {"error": {"message": "This model's maximum context length is 128000 tokens.", \
                            "type": "invalid_request_error", "code": "context_length_exceeded"}}

                            """, "context_length_exceeded"),
                    Arguments.of("chat: an error body in a 200", new OpenAiChatProvider(),
                            "{\"error\": {\"message\": \"blocked\", \"code\": \"content_filter\"}}", "content_filter"),
                    Arguments.of("responses: response.failed", new OpenAiResponsesProvider(), """
                            event: response.created
                            data: {"type": "response.created", "response": {"id": "r1", "status": "in_progress"}}

                            event: response.failed
                            data: {"type": "response.failed", "response": {"id": "r1", "status": "failed", \
                            "error": {"code": "context_length_exceeded", "message": "Your input exceeds the context window."}}}

                            """, "context_length_exceeded"),
                    Arguments.of("responses: an error event", new OpenAiResponsesProvider(), """
                            event: error
                            data: {"type": "error", "code": "context_length_exceeded", "message": "Too long."}

                            """, "context_length_exceeded"),
                    Arguments.of("anthropic: an error event", new AnthropicMessagesProvider(), """
                            event: error
                            data: {"type": "error", "error": {"type": "invalid_request_error", \
                            "message": "prompt is too long: 210000 tokens > 200000 maximum"}}

                            """, "context_length_exceeded"));
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @MethodSource("finalAnswers")
        void shouldBeAFinalAnswerWhenTheErrorInA200NamesAFinalAnswerCode(String description, Provider provider,
                String body, String code) {
            // Given a 200 whose answer is an error that every account would repeat

            // When it is classified
            Outcome outcome = classifier.classify(response(200, body), provider);

            // Then it is a final answer, reported as the 400 the provider sends outside a stream
            assertThat(outcome).isInstanceOf(Outcome.Success.class);
            Outcome.Success success = (Outcome.Success) outcome;
            assertThat(success.finalAnswer()).isTrue();
            assertThat(success.status()).isEqualTo(400);
            assertThat(success.reason()).isEqualTo(code);
            assertThat(success.response().body().path("error").isObject()).isTrue();
        }

        @Test
        void shouldStayRetryableWhenTheErrorInA200NamesAnotherCode() {
            // Given a streamed 200 that breaks off with a server error
            String body = """
                    data: {"error": {"message": "The server had an error.", "type": "server_error", "code": "server_error"}}

                    """;

            // When it is classified
            Outcome outcome = classify(response(200, body));

            // Then another account may answer: a fake success, retried without cooldown
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            assertThat(outcome.reason()).isEqualTo("error_event");
            assertThat(((Outcome.Retryable) outcome).cooldown()).isNull();
        }
    }

    @Nested
    class TransportFailure {

        @Test
        void shouldBeRetryableConnectErrorWithCooldownWhenTheConnectionIsRefused() {
            // Given a refused connection
            // When it is classified
            Outcome outcome = classify(failure(new ConnectException("Connection refused")));

            // Then it is RETRYABLE connect_error, cools the account, has no status and no response
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("connect_error");
            assertThat(retryable.timeout()).isFalse();
            assertThat(retryable.cooldown()).isEqualTo(DEFAULT_COOLDOWN);
            assertThat(retryable.httpStatus()).isNull();
            assertThat(retryable.response()).isNull();
            assertThat(retryable.startedAt()).isEqualTo(STARTED);
            assertThat(retryable.latency()).isEqualTo(LATENCY);
        }

        @Test
        void shouldBeRetryableConnectErrorWhenTheHostIsUnknown() {
            // Given a host name that does not resolve
            // When it is classified
            Outcome outcome = classify(failure(new UnknownHostException("api.nowhere.invalid")));

            // Then it is a connect error with cooldown
            assertThat(outcome.reason()).isEqualTo("connect_error");
            assertThat(((Outcome.Retryable) outcome).cooldown()).isEqualTo(DEFAULT_COOLDOWN);
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @MethodSource("timeouts")
        void shouldBeRetryableTimeoutWithCooldownWhenTheCallTimesOut(String description, Throwable cause) {
            // Given a call that timed out
            // When it is classified
            Outcome outcome = classify(failure(cause));

            // Then it is RETRYABLE timeout, flagged as a timeout, and cools the account
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("timeout");
            assertThat(retryable.timeout()).isTrue();
            assertThat(retryable.cooldown()).isEqualTo(DEFAULT_COOLDOWN);
            assertThat(retryable.httpStatus()).isNull();
        }

        static Stream<Arguments> timeouts() {
            return Stream.of(
                    Arguments.of("socket read timeout", new SocketTimeoutException("Read timed out")),
                    Arguments.of("connect timeout", new ConnectTimeoutException("Connect timed out")));
        }

        @Test
        void shouldBeRetryableConnectionResetWithoutCooldownWhenTheConnectionIsClosed() {
            // Given a connection closed before the response was complete
            // When it is classified
            Outcome outcome = classify(failure(new ConnectionClosedException("Connection closed by peer")));

            // Then it is RETRYABLE connection_reset, not a timeout, and does not cool the account
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            Outcome.Retryable retryable = (Outcome.Retryable) outcome;
            assertThat(retryable.reason()).isEqualTo("connection_reset");
            assertThat(retryable.timeout()).isFalse();
            assertThat(retryable.cooldown()).isNull();
            assertThat(retryable.httpStatus()).isNull();
        }

        @Test
        void shouldBeRetryableConnectionResetForASocketReset() {
            // Given a plain socket reset
            // When it is classified
            Outcome outcome = classify(failure(new java.net.SocketException("Connection reset")));

            // Then it is RETRYABLE connection_reset
            assertThat(outcome.kind()).isEqualTo(OutcomeKind.RETRYABLE);
            assertThat(outcome.reason()).isEqualTo("connection_reset");
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @MethodSource("nonIoFailures")
        void shouldBeFatalForAFailureThatIsNotAnIoFailure(String description, Throwable cause) {
            // Given a failure that is not a connect error, reset or timeout
            // (ProtocolException extends HttpException extends Exception: not an IOException)
            assertThat(cause).isNotInstanceOf(IOException.class);

            // When it is classified
            Outcome outcome = classify(failure(cause));

            // Then it is FATAL with a 502 result and names the failure, without leaking its message
            assertThat(outcome).isInstanceOf(Outcome.Fatal.class);
            Outcome.Fatal fatal = (Outcome.Fatal) outcome;
            assertThat(fatal.kind()).isEqualTo(OutcomeKind.FATAL);
            assertThat(fatal.reason()).isEqualTo("transport_error");
            assertThat(fatal.resultStatus()).isEqualTo(502);
            assertThat(fatal.httpStatus()).isNull();
            assertThat(fatal.message()).isEqualTo(cause.getClass().getSimpleName());
            assertThat(fatal.startedAt()).isEqualTo(STARTED);
        }

        static Stream<Arguments> nonIoFailures() {
            return Stream.of(
                    Arguments.of("HTTP protocol violation", new ProtocolException("Invalid response line")),
                    Arguments.of("illegal state", new IllegalStateException("Connection pool shut down")));
        }
    }

    @Test
    void shouldUseTheProviderToTurnA2xxBodyIntoTheCompletion() {
        // Given a provider that wraps the upstream answer into a chat completion
        Provider wrapping = new Provider() {
            @Override
            public org.apache.hc.client5.http.async.methods.SimpleHttpRequest toHttpRequest(
                    dev.tokenrelay.config.AccountConfig account, dev.tokenrelay.schema.ChatRequest request, String model,
                    String credential) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Conversion readSuccess(byte[] body, String contentType) {
                ObjectNode message = JsonCodec.mapper().createObjectNode().put("content", new String(body,
                        StandardCharsets.UTF_8).replaceAll(".*\"output_text\": \"([^\"]*)\".*", "$1"));
                ObjectNode choice = JsonCodec.mapper().createObjectNode().put("finish_reason", "stop");
                choice.set("message", message);
                ObjectNode completion = JsonCodec.mapper().createObjectNode();
                completion.putArray("choices").add(choice);
                return Conversion.completion(completion);
            }
        };

        // When a provider-shaped 200 is classified
        Outcome outcome = classifier.classify(response(200, "{\"output_text\": \"Hi\"}"), wrapping);

        // Then the content checks run on the converted completion, which is what the success carries
        assertThat(outcome).isInstanceOf(Outcome.Success.class);
        assertThat(((Outcome.Success) outcome).completion().at("/choices/0/message/content").asText()).isEqualTo("Hi");
    }

    @Nested
    class UpstreamRequestId {

        private UpstreamExchange.Response withHeader(int status, String header, String value, String body) {
            return new UpstreamExchange.Response(status, Map.of(header, value), body.getBytes(StandardCharsets.UTF_8),
                    STARTED, LATENCY);
        }

        @Test
        void shouldCarryOpenAisXRequestIdIntoASuccess() {
            // Given a 200 with text whose upstream named it in x-request-id
            String body = completion("{\"role\": \"assistant\", \"content\": \"Hello!\"}", "stop");

            // When it is classified
            Outcome outcome = classify(withHeader(200, "x-request-id", "req_0a1b2c3d", body));

            // Then the success names the upstream's request id
            assertThat(outcome).isInstanceOf(Outcome.Success.class);
            assertThat(outcome.upstreamRequestId()).isEqualTo("req_0a1b2c3d");
        }

        @Test
        void shouldCarryAnthropicsRequestIdIntoARetryableOutcome() {
            // Given a 429 whose upstream named it in request-id, as Anthropic does
            String body = "{\"type\": \"error\", \"error\": {\"type\": \"rate_limit_error\", \"message\": \"slow down\"}}";

            // When it is classified
            Outcome outcome = classify(withHeader(429, "request-id", "req_sim_4", body));

            // Then the retryable outcome names it
            assertThat(outcome).isInstanceOf(Outcome.Retryable.class);
            assertThat(outcome.upstreamRequestId()).isEqualTo("req_sim_4");
        }

        @Test
        void shouldCarryTheRequestIdOfAnErrorStatusAndOfAnEmptyCompletion() {
            // Given a 400 and an empty 200, each with an x-request-id
            String error = "{\"error\": {\"message\": \"bad\", \"type\": \"invalid_request_error\"}}";
            String empty = completion("{\"role\": \"assistant\", \"content\": \"\"}", "stop");

            // When they are classified
            Outcome badRequest = classify(withHeader(400, "x-request-id", "req_400", error));
            Outcome emptyCompletion = classify(withHeader(200, "x-request-id", "req_empty", empty));

            // Then both outcomes name the response they came from
            assertThat(badRequest.upstreamRequestId()).isEqualTo("req_400");
            assertThat(emptyCompletion.kind()).isEqualTo(OutcomeKind.RETRYABLE);
            assertThat(emptyCompletion.upstreamRequestId()).isEqualTo("req_empty");
        }

        @Test
        void shouldHaveNoRequestIdWithoutTheHeaderOrWithoutAResponse() {
            // Given a 200 without a request id header, and a connection that failed
            String body = completion("{\"role\": \"assistant\", \"content\": \"Hello!\"}", "stop");

            // When they are classified
            Outcome noHeader = classify(response(200, body));
            Outcome noResponse = classify(failure(new ConnectException("Connection refused")));

            // Then neither has an upstream request id
            assertThat(noHeader.upstreamRequestId()).isNull();
            assertThat(noResponse.upstreamRequestId()).isNull();
        }
    }
}
