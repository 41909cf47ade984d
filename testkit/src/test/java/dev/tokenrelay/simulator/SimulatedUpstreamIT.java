package dev.tokenrelay.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SimulatedUpstreamIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ACCOUNT = "acct-1";

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

    @Test
    void shouldReturnAValidCompletionWithTheScriptedTextAndCountOneCall() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.reply("hello there"));

        // When
        HttpResponse<String> response = post(ACCOUNT, "hi", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = MAPPER.readTree(response.body());
        assertThat(body.path("id").asText()).isNotBlank();
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("created").asLong()).isPositive();
        assertThat(body.path("model").asText()).isEqualTo("gpt-test");
        JsonNode choice = body.path("choices").path(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("hello there");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        JsonNode usage = body.path("usage");
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt())
                .isPositive();
        assertThat(upstream.calls(ACCOUNT)).isEqualTo(1);
        assertThat(upstream.totalCalls()).isEqualTo(1);
        assertThat(upstream.requestBodies(ACCOUNT)).singleElement()
                .satisfies(sent -> assertThat(sent.path("messages").path(1).path("content").asText()).isEqualTo("hi"));
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.inFlight(ACCOUNT) == 0);
    }

    @Test
    void shouldEchoTheLastUserMessage() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.ok());

        // When
        HttpResponse<String> response = post(ACCOUNT, "which request am I?", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("echo: which request am I?");
    }

    @Test
    void shouldPlayTheScriptInOrderAndRepeatTheLastStep() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.rateLimited(Duration.ofMillis(1500)), Behaviour.reply("after the wait"));

        // When
        HttpResponse<String> first = post(ACCOUNT, "1", "Bearer fake-key-1");
        HttpResponse<String> second = post(ACCOUNT, "2", "Bearer fake-key-1");
        HttpResponse<String> third = post(ACCOUNT, "3", "Bearer fake-key-1");

        // Then
        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(first.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(MAPPER.readTree(first.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(content(second)).isEqualTo("after the wait");
        assertThat(third.statusCode()).isEqualTo(200);
        assertThat(content(third)).isEqualTo("after the wait");
        assertThat(upstream.calls(ACCOUNT)).isEqualTo(3);
    }

    @Test
    void shouldRestartTheScriptWhenItIsReplaced() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.reply("old"));
        post(ACCOUNT, "1", "Bearer fake-key-1");

        // When
        upstream.script(ACCOUNT, Behaviour.status(503), Behaviour.reply("new"));
        HttpResponse<String> first = post(ACCOUNT, "2", "Bearer fake-key-1");
        HttpResponse<String> second = post(ACCOUNT, "3", "Bearer fake-key-1");

        // Then
        assertThat(first.statusCode()).isEqualTo(503);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(content(second)).isEqualTo("new");
        assertThat(upstream.calls(ACCOUNT)).isEqualTo(3);
    }

    @Test
    void shouldSendAnEmptyCompletionAsAFakeSuccess() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.emptyCompletion());

        // When
        HttpResponse<String> response = post(ACCOUNT, "hi", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode choice = MAPPER.readTree(response.body()).path("choices").path(0);
        assertThat(choice.path("message").path("content").asText()).isEmpty();
        assertThat(choice.path("message").has("tool_calls")).isFalse();
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void shouldSendAnErrorObjectInsideA200() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.errorInOk("model overloaded"));

        // When
        HttpResponse<String> response = post(ACCOUNT, "hi", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = MAPPER.readTree(response.body());
        assertThat(body.has("choices")).isFalse();
        assertThat(body.path("error").path("message").asText()).isEqualTo("model overloaded");
        assertThat(body.path("error").path("type").asText()).isEqualTo("server_error");
    }

    @Test
    void shouldSendAStatusWithAnOpenAiErrorBody() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.status(400, "context_length_exceeded"));

        // When
        HttpResponse<String> response = post(ACCOUNT, "hi", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode error = MAPPER.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isNotBlank();
    }

    @Test
    void shouldGiveTheClientAnIoErrorOnReset() {
        // Given
        upstream.script(ACCOUNT, Behaviour.reset());

        // When / Then
        assertThatThrownBy(() -> post(ACCOUNT, "hi", "Bearer fake-key-1")).isInstanceOf(IOException.class);
        assertThat(upstream.calls(ACCOUNT)).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.inFlight(ACCOUNT) == 0);
    }

    @Test
    void shouldNeverAnswerSoTheClientTimesOut() {
        // Given
        upstream.script(ACCOUNT, Behaviour.noAnswer());
        HttpRequest request = request(ACCOUNT, "hi", "Bearer fake-key-1").timeout(Duration.ofMillis(300)).build();

        // When / Then
        assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(upstream.calls(ACCOUNT)).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.inFlight(ACCOUNT) == 0);
    }

    @Test
    void shouldHoldManySlowRequestsAtOnce() {
        // Given
        int requests = 60;
        upstream.script(ACCOUNT, Behaviour.ok().after(Duration.ofSeconds(1)));
        long startNanos = System.nanoTime();

        // When
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            responses.add(client.sendAsync(request(ACCOUNT, "request " + i, "Bearer fake-key-1").build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).join();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);

        // Then
        assertThat(elapsed).isLessThan(Duration.ofSeconds(15));
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = responses.get(i).join();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(content(response)).isEqualTo("echo: request " + i);
        }
        assertThat(upstream.calls(ACCOUNT)).isEqualTo(requests);
        assertThat(upstream.peakConcurrency(ACCOUNT)).isGreaterThanOrEqualTo(50);
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.inFlight(ACCOUNT) == 0);
    }

    @Test
    void shouldRecordWhenEachCallStartedBeforeItsLatency() throws Exception {
        // Given an account that answers after 300 ms
        upstream.script(ACCOUNT, Behaviour.ok().after(Duration.ofMillis(300)));
        Instant before = Instant.now();

        // When two calls are made one after the other
        post(ACCOUNT, "1", "Bearer fake-key-1");
        Instant betweenCalls = Instant.now();
        post(ACCOUNT, "2", "Bearer fake-key-1");
        Instant after = Instant.now();

        // Then each start is recorded in order, when the call arrived rather than when it was answered
        List<Instant> starts = upstream.callStarts(ACCOUNT);
        assertThat(starts).hasSize(2);
        assertThat(starts.get(0)).isBetween(before, betweenCalls.minusMillis(300));
        assertThat(starts.get(1)).isBetween(betweenCalls, after.minusMillis(300));
        assertThat(upstream.requestBodies(ACCOUNT)).extracting(body -> body.path("messages").path(1).path("content")
                .asText()).containsExactly("1", "2");
        assertThat(upstream.callStarts("nobody")).isEmpty();
    }

    @Test
    void shouldAnswer404ForAnUnknownAccount() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.ok());

        // When
        HttpResponse<String> response = post("nobody", "hi", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = MAPPER.readTree(response.body()).path("error");
        assertThat(error.path("message").asText()).contains("nobody");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(upstream.calls(ACCOUNT)).isZero();
        assertThat(upstream.calls("nobody")).isZero();
    }

    @Test
    void shouldRecordTheAuthorizationHeaderOfEachCall() throws Exception {
        // Given
        upstream.script(ACCOUNT, Behaviour.ok());

        // When
        post(ACCOUNT, "1", "Bearer sk-first");
        post(ACCOUNT, "2", null);

        // Then
        assertThat(upstream.authorizationHeaders(ACCOUNT)).containsExactly("Bearer sk-first", null);
    }

    @Test
    void shouldRouteAccountIdsThatNeedEscaping() throws Exception {
        // Given
        String account = "team a/acct:1";
        upstream.script(account, Behaviour.reply("escaped"));

        // When
        HttpResponse<String> response = post(account, "hi", "Bearer fake-key-1");

        // Then
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("escaped");
        assertThat(upstream.calls(account)).isEqualTo(1);
    }

    @Test
    void shouldCountCallsButKeepNoneWhenStartedToCountOnly() throws Exception {
        // Given
        try (SimulatedUpstream counting = SimulatedUpstream.start(0, SimulatedUpstream.Recording.COUNTS)) {
            counting.script(ACCOUNT, Behaviour.reply("counted"));
            HttpRequest call = request(ACCOUNT, "hi", "Bearer fake-key-1")
                    .uri(URI.create(counting.baseUrl(ACCOUNT) + "/chat/completions"))
                    .build();

            // When
            HttpResponse<String> first = client.send(call, HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> second = client.send(call, HttpResponse.BodyHandlers.ofString());

            // Then
            assertThat(content(first)).isEqualTo("counted");
            assertThat(content(second)).isEqualTo("counted");
            assertThat(counting.calls(ACCOUNT)).isEqualTo(2);
            assertThatThrownBy(() -> counting.requestBodies(ACCOUNT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Recording.CALLS");
        }
    }

    private static HttpResponse<String> post(String account, String userMessage, String authorization)
            throws IOException, InterruptedException {
        return client.send(request(account, userMessage, authorization).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String account, String userMessage, String authorization) {
        String body = MAPPER.createObjectNode()
                .put("model", "gpt-test")
                .set("messages", MAPPER.createArrayNode()
                        .add(MAPPER.createObjectNode().put("role", "system").put("content", "be brief"))
                        .add(MAPPER.createObjectNode().put("role", "user").put("content", userMessage)))
                .toString();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(upstream.baseUrl(account) + "/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private static String content(HttpResponse<String> response) {
        try {
            return MAPPER.readTree(response.body()).path("choices").path(0).path("message").path("content").asText();
        } catch (IOException e) {
            throw new AssertionError("Not JSON: " + response.body(), e);
        }
    }
}
