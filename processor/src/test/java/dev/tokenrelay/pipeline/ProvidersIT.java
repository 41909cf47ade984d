package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.Endpoint;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every provider end to end: requests in OpenAI chat format, answered by Responses (Codex-style,
 * streamed), Anthropic Messages and streamed chat accounts, results back in chat format.
 */
class ProvidersIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    @TempDir
    Path dir;

    private SimulatedUpstream upstream;

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
    }

    @Test
    void shouldFailOverFromACodexStreamThatConvertsToAnEmptyCompletion() {
        // Given a Codex pool whose first account streams a 200 with no output, the second a real answer
        upstream.script("codex-1", Behaviour.emptyCompletion());
        upstream.script("codex-2", Behaviour.reply("codex answer"));
        String yaml = """
                pools:
                  codex:
                    accounts: [codex-1, codex-2]
                accounts:
                  codex-1: { provider: openai-responses, baseUrl: "{{url:codex-1}}", headers: {chatgpt-account-id: acct-1} }
                  codex-2: { provider: openai-responses, baseUrl: "{{url:codex-2}}", headers: {chatgpt-account-id: acct-2} }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a chat request arrives
            relay.send(request("codex-empty", null, null));

            // Then the result is the second account's answer as a chat completion, after exactly two calls
            ChatResult result = relay.awaitResult("codex-empty");
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.completion().at("/object").asText()).isEqualTo("chat.completion");
            assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("codex answer");
            assertThat(result.completion().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
            assertThat(result.usage().get("total_tokens").asInt()).isPositive();
            assertThat(result.attempts()).extracting(TrailEntry::account, TrailEntry::reason)
                    .containsExactly(tuple("codex-1", "empty_completion"), tuple("codex-2", "ok"));
            assertThat(upstream.totalCalls()).isEqualTo(2);
            assertThat(upstream.calls("codex-1", Endpoint.RESPONSES)).isEqualTo(1);
            assertThat(upstream.headers("codex-2", "chatgpt-account-id")).containsExactly("acct-2");
        }
    }

    @Test
    void shouldConvertAResponsesToolCallAndFailOverFromATruncatedStream() {
        // Given a Codex account whose stream is cut before response.completed, then one that calls a tool
        upstream.script("cut", Behaviour.truncatedStream());
        upstream.script("tools", Behaviour.toolCall("get_weather", "{\"city\":\"Paris\"}"));
        String yaml = """
                pools:
                  codex:
                    accounts: [cut, tools]
                accounts:
                  cut:   { provider: openai-responses, baseUrl: "{{url:cut}}" }
                  tools: { provider: openai-responses, baseUrl: "{{url:tools}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            ChatRequest withTools = request("tool-call", null, null);
            withTools.body().putArray("tools").addObject().put("type", "function").putObject("function")
                    .put("name", "get_weather").putObject("parameters").put("type", "object");

            // When the request arrives
            relay.send(withTools);

            // Then the truncated stream fails over, and the tool call comes back in chat format
            ChatResult result = relay.awaitResult("tool-call");
            assertThat(result.attempts()).extracting(TrailEntry::reason).containsExactly("truncated_stream", "ok");
            JsonNode call = result.completion().at("/choices/0/message/tool_calls/0");
            assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
            assertThat(call.at("/function/arguments").asText()).isEqualTo("{\"city\":\"Paris\"}");
            assertThat(result.completion().at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
            // And the tool was sent to the Responses API in its own shape
            assertThat(upstream.requestBodies("tools").get(0).at("/tools/0/name").asText()).isEqualTo("get_weather");
        }
    }

    @Test
    void shouldAnswerFromAnthropicInChatFormatAfterAnErrorInsideA200() throws IOException {
        // Given two Anthropic keys (obviously fake) in a file, the first answering a 200 that holds an error
        Path key = dir.resolve("anthropic-key");
        Files.writeString(key, "test-key-not-real\n");
        upstream.script("claude-1", Behaviour.errorInOk("overloaded"));
        upstream.script("claude-2", Behaviour.reply("hello from claude"));
        String yaml = """
                pools:
                  claude:
                    accounts: [claude-1, claude-2]
                accounts:
                  claude-1: { provider: anthropic-messages, baseUrl: "{{root:claude-1}}", apiKey: "${file:%s}" }
                  claude-2:
                    provider: anthropic-messages
                    baseUrl: "{{root:claude-2}}"
                    apiKey: "${file:%s}"
                    modelMap: { "test-*": claude-sonnet-4-5 }
                """.formatted(key, key);
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            ChatRequest request = request("claude", null, null);
            request.body().withArray("messages").insertObject(0).put("role", "system").put("content", "Be brief.");

            // When the request arrives
            relay.send(request);

            // Then the error event fails over and the Anthropic answer comes back as a chat completion
            ChatResult result = relay.awaitResult("claude");
            assertThat(result.attempts()).extracting(TrailEntry::reason).containsExactly("error_event", "ok");
            assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("hello from claude");
            assertThat(result.completion().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
            assertThat(result.usage().get("prompt_tokens").asInt()).isPositive();
            // And the call was an Anthropic call: key header, version, mapped model, system prompt on top
            assertThat(upstream.apiKeyHeaders("claude-2")).containsExactly("test-key-not-real");
            assertThat(upstream.headers("claude-2", "anthropic-version")).containsExactly("2023-06-01");
            JsonNode sent = upstream.requestBodies("claude-2").get(0);
            assertThat(sent.get("model").asText()).isEqualTo("claude-sonnet-4-5");
            assertThat(sent.get("system").asText()).isEqualTo("Be brief.");
        }
    }

    @Test
    void shouldAggregateAStreamedChatAnswer() {
        // Given an OpenAI-compatible account
        upstream.script("chat", Behaviour.reply("streamed in pieces"));
        String yaml = """
                pools:
                  main:
                    accounts: [chat]
                accounts:
                  chat: { provider: openai-chat, baseUrl: "{{url:chat}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a request asks for streaming
            ChatRequest streaming = request("streamed", null, null);
            streaming.body().put("stream", true);
            relay.send(streaming);

            // Then the upstream streamed and the result is one whole completion
            ChatResult result = relay.awaitResult("streamed");
            assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("streamed in pieces");
            assertThat(upstream.requestBodies("chat").get(0).get("stream").asBoolean()).isTrue();
        }
    }

    @Test
    void shouldFallBackFromACodexPoolToAnOpenAiPool() {
        // Given a Codex pool whose only account is rate limited, falling back to an OpenAI pool
        upstream.script("codex", Behaviour.rateLimited(Duration.ofSeconds(60)));
        upstream.script("openai", Behaviour.reply("from the fallback pool"));
        String yaml = """
                defaultPool: codex
                pools:
                  codex:  { accounts: [codex], fallback: openai }
                  openai: { accounts: [openai] }
                accounts:
                  codex:  { provider: openai-responses, baseUrl: "{{url:codex}}" }
                  openai: { provider: openai-chat, baseUrl: "{{url:openai}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            relay.send(request("cross-provider", null, null));

            ChatResult result = relay.awaitResult("cross-provider");
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.attempts()).extracting(TrailEntry::account, TrailEntry::pool)
                    .containsExactly(tuple("codex", "codex"), tuple("openai", "openai"));
        }
    }

    @Test
    void shouldRefuseAModelNoAccountServesWithoutCallingAny() {
        // Given accounts that serve only gpt-4 models and claude models
        upstream.script("gpt", Behaviour.ok());
        upstream.script("claude", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [gpt, claude]
                accounts:
                  gpt:    { provider: openai-chat, baseUrl: "{{url:gpt}}", models: ["gpt-4*"] }
                  claude: { provider: anthropic-messages, baseUrl: "{{root:claude}}", models: ["claude-*"] }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            ChatRequest llama = request("llama", null, null);
            llama.body().put("model", "llama-3");
            ChatRequest claude = request("claude", null, null);
            claude.body().put("model", "claude-sonnet-4-5");

            // When a request for an unserved model and one for a claude model arrive
            relay.send(llama);
            relay.send(claude);

            // Then the first ends at once with 404 and no call, the second goes straight to the claude account
            ChatResult refused = relay.awaitResult("llama");
            assertThat(refused.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(refused.httpStatus()).isEqualTo(404);
            assertThat(refused.error().type()).isEqualTo("model_not_found");
            assertThat(refused.attempts()).isEmpty();
            assertThat(relay.awaitResult("claude").attempts()).extracting(TrailEntry::account, TrailEntry::outcome)
                    .containsExactly(tuple("claude", OutcomeKind.SUCCESS));
            assertThat(upstream.calls("gpt")).isZero();
        }
    }
}
