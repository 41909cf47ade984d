package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.ops.MetricNames;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.LogCapture;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import dev.tokenrelay.upstream.auth.Credentials;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failover rule end to end: real broker, real topology, real HTTP to the simulated upstream.
 */
class FailoverIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    /** Failover across accounts only: going back to a tried account is FlowControlIT's subject. */
    private static final String TWO_ACCOUNTS = """
            retry: { sameAccountRetries: 0 }
            pools:
              main:
                accounts: [first, second]
            accounts:
              first:  { provider: openai-chat, baseUrl: "{{url:first}}" }
              second: { provider: openai-chat, baseUrl: "{{url:second}}" }
            """;

    private SimulatedUpstream upstream;

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
    }

    @Test
    void shouldFailOverFromAnEmptyCompletionToTheNextAccount() {
        // Given the first account answers 200 with an empty completion, the second with text
        upstream.script("first", Behaviour.emptyCompletion());
        upstream.script("second", Behaviour.reply("the real answer"));
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, TWO_ACCOUNTS)) {
            // When a request arrives
            relay.send(request("empty-then-text", null, null));

            // Then the result is the second account's completion, after exactly two calls
            ChatResult result = relay.awaitResult("empty-then-text");
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.httpStatus()).isEqualTo(200);
            assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("the real answer");
            assertThat(result.attempts()).extracting(TrailEntry::account, TrailEntry::outcome, TrailEntry::reason)
                    .containsExactly(
                            tuple("first", OutcomeKind.RETRYABLE, "empty_completion"),
                            tuple("second", OutcomeKind.SUCCESS, "ok"));
            assertThat(upstream.totalCalls()).isEqualTo(2);
            assertThat(upstream.calls("first")).isEqualTo(1);
            // And the outcomes topic has one record per attempt
            assertThat(relay.outcomes(all -> all.size() >= 2)).hasSize(2);
        }
    }

    @Test
    void shouldFailOverOnRateLimitAndCoolTheAccount() {
        // Given the first account is rate limited for 30 s
        upstream.script("first", Behaviour.rateLimited(Duration.ofSeconds(30)));
        upstream.script("second", Behaviour.reply("from second"));
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, TWO_ACCOUNTS)) {
            // When a request arrives
            relay.send(request("rate-limited", null, null));

            // Then the second account answers it
            ChatResult result = relay.awaitResult("rate-limited");
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.attempts()).extracting(TrailEntry::account, TrailEntry::httpStatus)
                    .containsExactly(tuple("first", 429),
                            tuple("second", 200));
            // And the accounts topic says the first account cools for the Retry-After period from its 429
            // (reckoned in whole milliseconds when the call ended, so at most 1 ms short of the trail's end)
            var states = relay.accountStates(all -> !all.isEmpty());
            assertThat(states).hasSize(1);
            var state = states.get(0).value();
            assertThat(state.account()).isEqualTo("first");
            assertThat(state.lastStatus()).isEqualTo(429);
            TrailEntry limited = result.attempts().get(0);
            Instant answered = limited.startedAt().plusMillis(limited.latencyMs());
            assertThat(Duration.between(answered, state.coolingUntil()))
                    .isBetween(Duration.ofSeconds(30).minusMillis(1), Duration.ofSeconds(30).plusMillis(500));
        }
    }

    @Test
    void shouldStopOnAFatalOutcome() {
        // Given Anthropic accounts, and a request asking for two choices, which Anthropic cannot give
        upstream.script("first", Behaviour.ok());
        upstream.script("second", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [first, second]
                accounts:
                  first:  { provider: anthropic-messages, baseUrl: "{{root:first}}" }
                  second: { provider: anthropic-messages, baseUrl: "{{root:second}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            ChatRequest twoChoices = request("fatal", null, null);
            twoChoices.body().put("n", 2);

            // When it arrives
            relay.send(twoChoices);

            // Then it fails at once with 400, after one FATAL attempt and no upstream call
            ChatResult result = relay.awaitResult("fatal");
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(400);
            assertThat(result.attempts()).extracting(TrailEntry::outcome).containsExactly(OutcomeKind.FATAL);
            assertThat(upstream.totalCalls()).isZero();
        }
    }

    @Test
    void shouldServeEveryRequestFromTheOtherAccountsWhenOneHasNoKey() throws Exception {
        // Given a round-robin pool whose account no-key names a variable that is not set
        upstream.script("first", Behaviour.reply("from first"));
        upstream.script("second", Behaviour.reply("from second"));
        String yaml = """
                pools:
                  main:
                    strategy: round-robin
                    accounts: [no-key, first, second]
                accounts:
                  no-key: { provider: openai-chat, baseUrl: "{{url:no-key}}", apiKey: "${env:TOKENRELAY_IT_UNSET_KEY_1}" }
                  first:  { provider: openai-chat, baseUrl: "{{url:first}}" }
                  second: { provider: openai-chat, baseUrl: "{{url:second}}" }
                """;
        try (LogCapture log = LogCapture.of(Credentials.class);
                RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a dozen requests arrive
            List<String> ids = IntStream.rangeClosed(1, 12).mapToObj(i -> "keyless-pool-" + i).toList();
            ids.forEach(id -> relay.send(request(id, null, null)));

            // Then every one succeeds at its first attempt, on an account with a key, and no-key is never called
            Map<String, ChatResult> results = relay.awaitResults(ids);
            assertThat(results.values()).allSatisfy(result -> {
                assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
                assertThat(result.attempts()).singleElement().extracting(TrailEntry::account).isIn("first", "second");
            });
            assertThat(upstream.calls("no-key")).isZero();
            assertThat(upstream.calls("first") + upstream.calls("second")).isEqualTo(12);
            // And the start-up warned once about no-key, naming the variable, never a value
            assertThat(log.events(Level.WARN))
                    .filteredOn(event -> "no-key".equals(event.getContextData().getValue("account")))
                    .singleElement()
                    .satisfies(event -> assertThat(event.getContextData().<String>getValue("credential"))
                            .isEqualTo("variable TOKENRELAY_IT_UNSET_KEY_1 unset"));
            // And the gauges count it
            PrometheusText metrics = scrape(relay);
            assertThat(metrics.sum(MetricNames.PROM_ACCOUNTS_WITHOUT_CREDENTIAL, labels -> true)).isEqualTo(1);
            assertThat(metrics.sum(MetricNames.PROM_ACCOUNT_WITHOUT_CREDENTIAL, MetricNames.ACCOUNT, "no-key"))
                    .isEqualTo(1);
            assertThat(metrics.sum(MetricNames.PROM_ACCOUNT_WITHOUT_CREDENTIAL, MetricNames.ACCOUNT, "first"))
                    .isZero();
        }
    }

    @Test
    void shouldEndWith503NamingTheAccountsWithoutAKeyWhenNoAccountOfThePoolHasOne() {
        // Given a pool whose only account names a variable that is not set
        String yaml = """
                pools:
                  main:
                    accounts: [no-key]
                accounts:
                  no-key: { provider: openai-chat, baseUrl: "{{url:no-key}}", apiKey: "${env:TOKENRELAY_IT_UNSET_KEY_2}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a request arrives, and one pinned to that account
            relay.send(request("nobody-has-a-key", null, null));
            relay.send(request("pinned-to-no-key", null, "no-key"));

            // Then both end with 503 at once, saying which account lacks what, without a call
            Map<String, ChatResult> results = relay.awaitResults(List.of("nobody-has-a-key", "pinned-to-no-key"));
            ChatResult unpinned = results.get("nobody-has-a-key");
            assertThat(unpinned.httpStatus()).isEqualTo(503);
            assertThat(unpinned.attempts()).isEmpty();
            assertThat(unpinned.error().message()).isEqualTo(
                    "no account of pool 'main' has a usable credential: no-key (variable TOKENRELAY_IT_UNSET_KEY_2 unset)");
            ChatResult pinned = results.get("pinned-to-no-key");
            assertThat(pinned.httpStatus()).isEqualTo(503);
            assertThat(pinned.error().message())
                    .isEqualTo("account 'no-key' has no usable credential: variable TOKENRELAY_IT_UNSET_KEY_2 unset");
            assertThat(upstream.calls("no-key")).isZero();
        }
    }

    @Test
    void shouldGiveAPinnedAccountExactlyOneCallAndItsOwnOutcome() {
        // Given the pinned account fails with 500 and another account would succeed
        upstream.script("first", Behaviour.status(500));
        upstream.script("second", Behaviour.ok());
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, TWO_ACCOUNTS)) {
            // When a request pinned to the first account arrives
            relay.send(request("pinned", null, "first"));

            // Then it gets that account's 500, after exactly one call, and no other account is called
            ChatResult result = relay.awaitResult("pinned");
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(500);
            assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("first");
            assertThat(upstream.calls("first")).isEqualTo(1);
            assertThat(upstream.calls("second")).isZero();
        }
    }

    @Test
    void shouldPassTheLastUpstreamResponseThroughWhenEveryAccountFails() {
        // Given both accounts fail with server errors
        upstream.script("first", Behaviour.status(500));
        upstream.script("second", Behaviour.status(503));
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, TWO_ACCOUNTS)) {
            // When a request arrives
            relay.send(request("all-fail", null, null));

            // Then the result passes the last response (503) through, and a dead letter holds the request
            ChatResult result = relay.awaitResult("all-fail");
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(503);
            assertThat(result.error().upstream()).isNotNull();
            assertThat(result.attempts()).hasSize(2);
            List<ConsumerRecord<String, DeadLetter>> deadLetters = relay.deadLetters(all -> !all.isEmpty());
            assertThat(deadLetters).hasSize(1);
            DeadLetter deadLetter = deadLetters.get(0).value();
            assertThat(deadLetter.requestId()).isEqualTo("all-fail");
            assertThat(deadLetter.request().body().at("/messages/0/content").asText()).isEqualTo("question all-fail");
            assertThat(deadLetter.attempts()).hasSize(2);
        }
    }

    @Test
    void shouldTryEachAccountOnceWhenEveryAccountSaysTheRequestIsBad() {
        // Given three accounts that all answer 400, and the default retry policy (one same-account retry)
        upstream.script("first", Behaviour.status(400));
        upstream.script("second", Behaviour.status(400));
        upstream.script("third", Behaviour.status(400));
        String yaml = """
                pools:
                  main:
                    accounts: [first, second, third]
                accounts:
                  first:  { provider: openai-chat, baseUrl: "{{url:first}}" }
                  second: { provider: openai-chat, baseUrl: "{{url:second}}" }
                  third:  { provider: openai-chat, baseUrl: "{{url:third}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a request arrives
            relay.send(request("bad-everywhere", null, null));

            // Then it fails over through every account, and ends with the 400 passed through
            ChatResult result = relay.awaitResult("bad-everywhere");
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(400);
            assertThat(result.attempts()).extracting(TrailEntry::account)
                    .containsExactlyInAnyOrder("first", "second", "third");
            // And each account was called exactly once: a bad request is never retried on the same account
            assertThat(upstream.calls("first")).isEqualTo(1);
            assertThat(upstream.calls("second")).isEqualTo(1);
            assertThat(upstream.calls("third")).isEqualTo(1);
        }
    }

    @Test
    void shouldAnswer502WhenEveryConnectionIsReset() {
        // Given both accounts drop the connection
        upstream.script("first", Behaviour.reset());
        upstream.script("second", Behaviour.reset());
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, TWO_ACCOUNTS)) {
            relay.send(request("all-reset", null, null));

            ChatResult result = relay.awaitResult("all-reset");
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(502);
            assertThat(result.attempts()).extracting(TrailEntry::reason)
                    .containsExactly("connection_reset", "connection_reset");
        }
    }

    @Test
    void shouldAnswer504WhenTheLastAccountTimesOut() {
        // Given both accounts never answer, with a short response timeout
        upstream.script("first", Behaviour.noAnswer());
        upstream.script("second", Behaviour.noAnswer());
        String yaml = """
                retry: { sameAccountRetries: 0 }
                pools:
                  main:
                    accounts: [first, second]
                accounts:
                  first:  { provider: openai-chat, baseUrl: "{{url:first}}", responseTimeout: 300ms }
                  second: { provider: openai-chat, baseUrl: "{{url:second}}", responseTimeout: 300ms }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            relay.send(request("all-timeout", null, null));

            ChatResult result = relay.awaitResult("all-timeout");
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(504);
            assertThat(result.attempts()).extracting(TrailEntry::reason).containsExactly("timeout", "timeout");
        }
    }

    @Test
    void shouldAnswer503WhileEveryAccountIsCoolingPastTheDeadline() {
        // Given the only account answers 429 with a Retry-After far beyond the requests' deadlines
        upstream.script("only", Behaviour.rateLimited(Duration.ofMinutes(5)));
        String yaml = """
                pools:
                  main:
                    accounts: [only]
                accounts:
                  only: { provider: openai-chat, baseUrl: "{{url:only}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a first request meets the 429, its result passes the 429 through (it cannot wait 5 minutes)
            relay.send(request("meets-429", null, null, Instant.now().plusSeconds(30)));
            assertThat(relay.awaitResult("meets-429").httpStatus()).isEqualTo(429);

            // Then, once the cooldown is known, later requests end with 503 without calling the account
            await().atMost(RelayHarness.WAIT).pollDelay(Duration.ZERO).until(() -> {
                String id = "while-cooling-" + System.nanoTime();
                relay.send(request(id, null, null, Instant.now().plusSeconds(30)));
                ChatResult result = relay.awaitResult(id);
                return result.httpStatus() == 503 && result.attempts().isEmpty();
            });
            assertThat(upstream.calls("only")).isEqualTo(1);
        }
    }

    /** The processor's metrics, as Prometheus reads them. */
    private static PrometheusText scrape(RelayHarness relay) throws IOException, InterruptedException {
        URI metrics = relay.processor().opsUri().orElseThrow().resolve("/metrics");
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return PrometheusText.parse(response.body());
    }
}
