package dev.tokenrelay.failover;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.schema.UpstreamResponse;
import dev.tokenrelay.testing.AccountStatesFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The failover rule of docs/design.md, section 3. */
class FailoverDeciderTest {

    private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
    private static final Instant STARTED = NOW.minusMillis(800);
    private static final Duration LATENCY = Duration.ofMillis(800);

    private static final String YAML = """
            accounts:
              a: {provider: openai-chat, baseUrl: "https://a.example.com/v1"}
              b: {provider: openai-chat, baseUrl: "https://b.example.com/v1"}
              c: {provider: openai-chat, baseUrl: "https://c.example.com/v1"}
              d: {provider: openai-chat, baseUrl: "https://d.example.com/v1"}
              s: {provider: openai-chat, baseUrl: "https://s.example.com/v1"}
            pools:
              main:
                accounts: [a, b, c]
                fallback: backup
              backup:
                accounts: [d]
              solo:
                accounts: [s]
            defaultPool: main
            retry:
              sameAccountRetries: 0
            """;

    private static TokenRelayConfig config;
    private final FailoverDecider decider = new FailoverDecider(config, () -> 1.0);

    @BeforeAll
    static void parseConfig() throws ConfigException {
        config = ConfigLoader.parse(YAML, "test");
    }

    // ---- building blocks ----------------------------------------------------------------------

    private static JsonNode json(String text) {
        try {
            return JsonCodec.mapper().readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ChatRequest request(String pool, String pinnedAccount, Instant deadline) {
        ObjectNode body = (ObjectNode) json("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        return new ChatRequest("req-1", 0, body, pool, pinnedAccount, deadline, json("{\"customer\": \"acme\"}"));
    }

    private static ChatRequest unpinned(String pool) {
        return request(pool, null, null);
    }

    private static Attempt first(ChatRequest request, String account, String pool) {
        return new Attempt(request, 1, account, pool, List.of(), null, NOW.minusSeconds(1));
    }

    /** The trail entry the dispatch stage writes for {@code outcome} of {@code attempt}. */
    private static TrailEntry entry(Attempt attempt, Outcome outcome) {
        return new TrailEntry(attempt.number(), attempt.account(), attempt.pool(), outcome.kind(), outcome.reason(),
                outcome.httpStatus(), outcome.latency().toMillis(), outcome.startedAt());
    }

    private static TrailEntry earlier(int number, String account, String pool, OutcomeKind kind, String reason,
            Integer status) {
        return new TrailEntry(number, account, pool, kind, reason, status, 100, NOW.minusSeconds(10 - number));
    }

    private static Outcome.Success success200() {
        JsonNode completion = json("""
                {"id": "chatcmpl-1", "object": "chat.completion",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}}
                """);
        return Outcome.success(200, completion, completion.get("usage"), STARTED, LATENCY);
    }

    private static UpstreamResponse upstream(int status, String message) {
        return new UpstreamResponse(status, json("{\"error\": {\"message\": \"" + message + "\"}}"));
    }

    private static Outcome.Retryable retryableStatus(int status, Duration cooldown) {
        return Outcome.retryable("status_" + status, upstream(status, "status " + status), cooldown, STARTED, LATENCY);
    }

    private static Outcome.Retryable timeout() {
        return Outcome.transportFailure("timeout", true, Duration.ofSeconds(15), STARTED, LATENCY);
    }

    private static Outcome.Retryable reset() {
        return Outcome.transportFailure("connection_reset", false, null, STARTED, LATENCY);
    }

    private static Outcome.Retryable connectError() {
        return Outcome.transportFailure("connect_error", false, Duration.ofSeconds(15), STARTED, LATENCY);
    }

    private Decision decide(Attempt attempt, Outcome outcome) {
        return decide(attempt, outcome, AccountStates.none());
    }

    private Decision decide(Attempt attempt, Outcome outcome, AccountStates states) {
        return decider.decide(attempt, outcome, entry(attempt, outcome), states, NOW);
    }

    private static Attempt next(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Continue.class);
        return ((Decision.Continue) decision).next();
    }

    private static ChatResult result(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Finish.class);
        return ((Decision.Finish) decision).result();
    }

    // ---- the rule ---------------------------------------------------------------------------

    @Nested
    class Success {

        @Test
        void shouldFinishSucceededWithTheCompletionOnA2xxSuccess() {
            // Given a first attempt on a
            Attempt attempt = first(unpinned("main"), "a", "main");
            Outcome.Success outcome = success200();

            // When it succeeds with a 200
            Decision decision = decide(attempt, outcome);

            // Then the request is over: succeeded, 200, the completion and usage, the metadata and the trail
            ChatResult result = result(decision);
            assertThat(result.id()).isEqualTo("req-1");
            assertThat(result.generation()).isZero();
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.httpStatus()).isEqualTo(200);
            assertThat(result.completion()).isEqualTo(outcome.completion());
            assertThat(result.usage().get("total_tokens").asInt()).isEqualTo(12);
            assertThat(result.error()).isNull();
            assertThat(result.metadata().get("customer").asText()).isEqualTo("acme");
            assertThat(result.attempts()).containsExactly(entry(attempt, outcome));
            assertThat(result.completedAt()).isEqualTo(NOW);
        }

        @Test
        void shouldKeepTheWholeTrailWhenALaterAttemptSucceeds() {
            // Given a third attempt, on c, after a 429 on a and a timeout on b
            List<TrailEntry> trail = List.of(
                    earlier(1, "a", "main", OutcomeKind.RETRYABLE, "status_429", 429),
                    earlier(2, "b", "main", OutcomeKind.RETRYABLE, "timeout", null));
            Attempt attempt = new Attempt(unpinned("main"), 3, "c", "main", trail, upstream(429, "slow down"), NOW);
            Outcome.Success outcome = success200();

            // When c succeeds
            ChatResult result = result(decide(attempt, outcome));

            // Then the result is a success carrying all three attempts, oldest first
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.httpStatus()).isEqualTo(200);
            assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("a", "b", "c");
            assertThat(result.attempts()).extracting(TrailEntry::outcome)
                    .containsExactly(OutcomeKind.RETRYABLE, OutcomeKind.RETRYABLE, OutcomeKind.SUCCESS);
        }

        @Test
        void shouldContinueWithTheNextAccountOnANon2xxSuccess() {
            // Given a first attempt on a
            Attempt attempt = first(unpinned("main"), "a", "main");
            UpstreamResponse conflict = upstream(409, "conflict");
            Outcome outcome = Outcome.nonSuccessStatus(conflict, false, "status_409", STARTED, LATENCY);

            // When a answers 409, a status outside the retryable list
            Attempt next = next(decide(attempt, outcome));

            // Then the request goes on to b, remembering the 409 to pass through if nothing better comes
            assertThat(next.account()).isEqualTo("b");
            assertThat(next.pool()).isEqualTo("main");
            assertThat(next.number()).isEqualTo(2);
            assertThat(next.trail()).containsExactly(entry(attempt, outcome));
            assertThat(next.lastResponse()).isEqualTo(conflict);
        }

        @Test
        void shouldStopWithTheStatusAndTheUpstreamBodyOnAFinalAnswer() {
            // Given a first attempt on a, with b, c and d untried
            Attempt attempt = first(unpinned("main"), "a", "main");
            UpstreamResponse tooLong = new UpstreamResponse(400, json(
                    "{\"error\": {\"message\": \"maximum context length\", \"code\": \"context_length_exceeded\"}}"));
            Outcome outcome = Outcome.nonSuccessStatus(tooLong, true, "context_length_exceeded", STARTED, LATENCY);

            // When a rejects the request as too long for the context window
            ChatResult result = result(decide(attempt, outcome));

            // Then no other account is tried: the result has the 400 and the upstream's own body
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(400);
            assertThat(result.completion()).isNull();
            assertThat(result.error().upstream()).isEqualTo(tooLong.body());
            assertThat(result.error().message()).doesNotContain("Bearer");
            assertThat(result.attempts()).containsExactly(entry(attempt, outcome));
        }
    }

    @Nested
    class Retryable {

        @Test
        void shouldContinueWithTheNextAccountAndKeepTheResponse() {
            // Given a first attempt on a
            Attempt attempt = first(unpinned("main"), "a", "main");
            Outcome.Retryable outcome = retryableStatus(429, Duration.ofSeconds(15));

            // When a answers 429
            Attempt next = next(decide(attempt, outcome));

            // Then attempt 2 goes to b with the trail grown by one and the 429 kept
            assertThat(next.request()).isEqualTo(attempt.request());
            assertThat(next.number()).isEqualTo(2);
            assertThat(next.account()).isEqualTo("b");
            assertThat(next.pool()).isEqualTo("main");
            assertThat(next.trail()).containsExactly(entry(attempt, outcome));
            assertThat(next.lastResponse()).isEqualTo(outcome.response());
            assertThat(next.createdAt()).isEqualTo(NOW);
        }

        @Test
        void shouldKeepTheEarlierResponseWhenTheFailureHasNone() {
            // Given a second attempt on b, after a 500 from a
            List<TrailEntry> trail = List.of(earlier(1, "a", "main", OutcomeKind.RETRYABLE, "status_500", 500));
            UpstreamResponse serverError = upstream(500, "boom");
            Attempt attempt = new Attempt(unpinned("main"), 2, "b", "main", trail, serverError, NOW);

            // When b times out
            Attempt next = next(decide(attempt, timeout()));

            // Then attempt 3 goes to c, still holding the 500
            assertThat(next.number()).isEqualTo(3);
            assertThat(next.account()).isEqualTo("c");
            assertThat(next.trail()).extracting(TrailEntry::account).containsExactly("a", "b");
            assertThat(next.lastResponse()).isEqualTo(serverError);
        }

        @Test
        void shouldContinueAfterAFakeSuccess() {
            // Given a first attempt on a
            Attempt attempt = first(unpinned("main"), "a", "main");

            // When a answers a 200 with an empty completion
            Attempt next = next(decide(attempt, Outcome.fakeSuccess("empty_completion", 200, STARTED, LATENCY)));

            // Then b is tried, and nothing is kept to pass through (a 200 without an answer is not one)
            assertThat(next.account()).isEqualTo("b");
            assertThat(next.lastResponse()).isNull();
        }

        @Test
        void shouldMoveToTheFallbackPoolWhenThePoolIsExhausted() {
            // Given a third attempt on c, a and b tried
            List<TrailEntry> trail = List.of(
                    earlier(1, "a", "main", OutcomeKind.RETRYABLE, "status_500", 500),
                    earlier(2, "b", "main", OutcomeKind.RETRYABLE, "status_500", 500));
            Attempt attempt = new Attempt(unpinned("main"), 3, "c", "main", trail, upstream(500, "boom"), NOW);

            // When c fails too
            Attempt next = next(decide(attempt, reset()));

            // Then the request goes on in the fallback pool
            assertThat(next.account()).isEqualTo("d");
            assertThat(next.pool()).isEqualTo("backup");
            assertThat(next.number()).isEqualTo(4);
        }

        @Test
        void shouldSkipCoolingAccounts() {
            // Given b cooling
            Attempt attempt = first(unpinned("main"), "a", "main");
            AccountStatesFixture states = states().cooling("b", Duration.ofSeconds(30));

            // When a fails
            Attempt next = next(decide(attempt, connectError(), states));

            // Then c is tried next
            assertThat(next.account()).isEqualTo("c");
        }
    }

    @Nested
    class Fatal {

        @Test
        void shouldStopWithTheResultStatusOfAFatalOutcome() {
            // Given a first attempt on a, with other accounts untried
            Attempt attempt = first(unpinned("main"), "a", "main");
            Outcome outcome = Outcome.fatal("unsendable", 400, "stream=true is not supported");

            // When the request cannot be sent to anyone
            ChatResult result = result(decide(attempt, outcome));

            // Then the request fails with the outcome's result status and no other account is tried
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(400);
            assertThat(result.error().message()).contains("unsendable").contains("stream=true is not supported");
            assertThat(result.attempts()).containsExactly(entry(attempt, outcome));
        }

        @Test
        void shouldStopWith502OnAFatalTransportFailure() {
            // Given a first attempt on a
            Attempt attempt = first(unpinned("main"), "a", "main");

            // When the transport fails in a way that is not worth retrying
            ChatResult result = result(decide(attempt, Outcome.fatalTransport("transport_error", "ProtocolException",
                    STARTED, LATENCY)));

            // Then the request fails with 502
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(502);
        }
    }

    @Nested
    class SkippedAuth {

        @Test
        void shouldJumpToTheFallbackPool() {
            // Given a first attempt on a, with b and c untried
            Attempt attempt = first(unpinned("main"), "a", "main");
            Outcome outcome = Outcome.skippedAuth("no_credential");

            // When a has no usable credential
            Attempt next = next(decide(attempt, outcome));

            // Then the rest of main is skipped and the request goes on in backup
            assertThat(next.account()).isEqualTo("d");
            assertThat(next.pool()).isEqualTo("backup");
            assertThat(next.number()).isEqualTo(2);
            assertThat(next.trail()).containsExactly(entry(attempt, outcome));
        }

        @Test
        void shouldFinishWith503WhenEveryAttemptWasSkippedForAuth() {
            // Given a second attempt on d, in backup, after a was skipped for auth
            List<TrailEntry> trail = List.of(earlier(1, "a", "main", OutcomeKind.SKIPPED_AUTH, "no_credential", null));
            Attempt attempt = new Attempt(unpinned("main"), 2, "d", "backup", trail, null, NOW);

            // When d has no usable credential either
            ChatResult result = result(decide(attempt, Outcome.skippedAuth("no_credential")));

            // Then no account could be used: 503
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(503);
            assertThat(result.attempts()).extracting(TrailEntry::outcome)
                    .containsOnly(OutcomeKind.SKIPPED_AUTH).hasSize(2);
        }

        @Test
        void shouldFinishWith503WhenThePoolWithoutFallbackIsSkippedForAuth() {
            // Given the only account of a pool without fallback
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When it has no usable credential
            ChatResult result = result(decide(attempt, Outcome.skippedAuth("token_expired")));

            // Then 503
            assertThat(result.httpStatus()).isEqualTo(503);
        }
    }

    @Nested
    class WithoutCredential {

        /** A decider for which {@code missing} maps accounts to why they have no usable credential. */
        private FailoverDecider deciderWithout(Map<String, String> missing, int sameAccountRetries)
                throws ConfigException {
            TokenRelayConfig retrying = ConfigLoader.parse(YAML.replace("sameAccountRetries: 0",
                    "sameAccountRetries: " + sameAccountRetries), "test");
            return new FailoverDecider(retrying, account -> Optional.ofNullable(missing.get(account)), () -> 1.0);
        }

        @Test
        void shouldSkipAnAccountWithoutACredentialAndGoOnWithTheNext() throws ConfigException {
            // Given a first attempt on a, with b's key variable unset
            Attempt attempt = first(unpinned("main"), "a", "main");
            Outcome.Retryable serverError = retryableStatus(500, null);

            // When a answers 500
            Attempt next = next(deciderWithout(Map.of("b", "variable B_KEY unset"), 0)
                    .decide(attempt, serverError, entry(attempt, serverError), AccountStates.none(), NOW));

            // Then the request goes on to c, the next account with a credential
            assertThat(next.account()).isEqualTo("c");
            assertThat(next.pool()).isEqualTo("main");
        }

        @Test
        void shouldEndWith503NamingWhatEachAccountLacksWhenNoneOfTheChainHasACredential() throws ConfigException {
            // Given a first attempt on a, whose token refresh is refused at call time, and d (backup) without a key
            Attempt attempt = first(unpinned("main"), "a", "main");
            Outcome refused = Outcome.skippedAuth("token_refresh_refused");

            // When the failover is decided
            ChatResult result = result(deciderWithout(Map.of("d", "variable OPENAI_KEY_2 unset"), 0)
                    .decide(attempt, refused, entry(attempt, refused), AccountStates.none(), NOW));

            // Then 503, naming each account with what it lacks and no value
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(503);
            assertThat(result.error().type()).isEqualTo("no_account_available");
            assertThat(result.error().message()).isEqualTo("no account of pool 'main' or its fallback pools has a "
                    + "usable credential: a (token_refresh_refused), d (variable OPENAI_KEY_2 unset)");
        }

        @Test
        void shouldNameTheAccountsWithoutACredentialWhenTheLastCallFailed() throws ConfigException {
            // Given a reset on a, the only account of main and backup with a credential
            Attempt attempt = first(unpinned("main"), "a", "main");
            Map<String, String> missing = new LinkedHashMap<>();
            missing.put("b", "variable B_KEY unset");
            missing.put("c", "file /run/secrets/c missing");
            missing.put("d", "variable D_KEY empty");

            // When the failover is decided
            ChatResult result = result(deciderWithout(missing, 0)
                    .decide(attempt, reset(), entry(attempt, reset()), AccountStates.none(), NOW));

            // Then the reset decides the status, and the message says which accounts were not tried and why
            assertThat(result.httpStatus()).isEqualTo(502);
            assertThat(result.error().message()).endsWith("not tried for want of a usable credential: "
                    + "b (variable B_KEY unset), c (file /run/secrets/c missing), d (variable D_KEY empty)");
        }

        @Test
        void shouldNotRetryAnAccountThatLostItsCredential() throws ConfigException {
            // Given the only account of solo reset the connection and its key file has since gone
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When the failover is decided with one same-account retry allowed
            ChatResult result = result(deciderWithout(Map.of("s", "file /run/secrets/s missing"), 1)
                    .decide(attempt, reset(), entry(attempt, reset()), AccountStates.none(), NOW));

            // Then it is not tried again: the request ends after the reset
            assertThat(result.httpStatus()).isEqualTo(502);
            assertThat(result.attempts()).hasSize(1);
        }
    }

    @Nested
    class Pinned {

        @Test
        void shouldPassThroughThePinnedAccountsRetryableResponseWithoutFailover() {
            // Given a request pinned to a, in a pool with other healthy accounts
            Attempt attempt = first(request("main", "a", null), "a", "main");
            Outcome.Retryable outcome = retryableStatus(429, Duration.ofSeconds(15));

            // When a answers 429
            ChatResult result = result(decide(attempt, outcome));

            // Then no failover: the 429 is the result
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(429);
            assertThat(result.error().upstream()).isEqualTo(outcome.response().body());
            assertThat(result.attempts()).hasSize(1);
        }

        @Test
        void shouldPassThroughThePinnedAccountsNon2xxSuccess() {
            // Given a request pinned to a
            Attempt attempt = first(request("main", "a", null), "a", "main");
            UpstreamResponse conflict = upstream(409, "conflict");

            // When a answers 409
            ChatResult result = result(decide(attempt,
                    Outcome.nonSuccessStatus(conflict, false, "status_409", STARTED, LATENCY)));

            // Then the 409 is the result
            assertThat(result.httpStatus()).isEqualTo(409);
            assertThat(result.error().upstream()).isEqualTo(conflict.body());
        }

        @Test
        void shouldAnswer504WhenThePinnedAccountTimesOut() {
            // Given a request pinned to a
            Attempt attempt = first(request("main", "a", null), "a", "main");

            // When a times out
            ChatResult result = result(decide(attempt, timeout()));

            // Then 504, without trying b
            assertThat(result.httpStatus()).isEqualTo(504);
            assertThat(result.attempts()).hasSize(1);
        }

        @Test
        void shouldNotFailOverWhenThePinnedAccountIsSkippedForAuth() {
            // Given a request pinned to a
            Attempt attempt = first(request("main", "a", null), "a", "main");

            // When a has no usable credential
            ChatResult result = result(decide(attempt, Outcome.skippedAuth("no_credential")));

            // Then the request ends without going to the fallback pool, saying why
            assertThat(result.httpStatus()).isEqualTo(503);
            assertThat(result.error().message()).isEqualTo("account 'a' has no usable credential: no_credential");
        }

        @Test
        void shouldSucceedWithThePinnedAccountsAnswer() {
            // Given a request pinned to b
            Attempt attempt = first(request("main", "b", null), "b", "main");

            // When b succeeds
            ChatResult result = result(decide(attempt, success200()));

            // Then the request succeeded
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
        }
    }

    @Nested
    class Exhausted {

        @Test
        void shouldPassThroughTheLastNon2xxResponseWithItsStatus() {
            // Given the only account of a pool without fallback
            Attempt attempt = first(unpinned("solo"), "s", "solo");
            Outcome.Retryable outcome = retryableStatus(503, Duration.ofSeconds(15));

            // When it answers 503
            ChatResult result = result(decide(attempt, outcome));

            // Then that response is passed through with its status and body
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(503);
            assertThat(result.error().upstream()).isEqualTo(outcome.response().body());
        }

        @Test
        void shouldPassThroughAnEarlierResponseWhenTheLastFailureHadNone() {
            // Given the last account of the chain, after a 429 earlier
            List<TrailEntry> trail = new ArrayList<>();
            trail.add(earlier(1, "a", "main", OutcomeKind.RETRYABLE, "status_429", 429));
            trail.add(earlier(2, "b", "main", OutcomeKind.RETRYABLE, "connect_error", null));
            trail.add(earlier(3, "c", "main", OutcomeKind.RETRYABLE, "connect_error", null));
            UpstreamResponse tooMany = upstream(429, "slow down");
            Attempt attempt = new Attempt(unpinned("main"), 4, "d", "backup", trail, tooMany, NOW);

            // When it is reset
            ChatResult result = result(decide(attempt, reset()));

            // Then the 429 is passed through
            assertThat(result.httpStatus()).isEqualTo(429);
            assertThat(result.error().upstream()).isEqualTo(tooMany.body());
            assertThat(result.attempts()).hasSize(4);
        }

        @Test
        void shouldAnswer503WhenEveryRemainingAccountIsCoolingAndTheDeadlineDoesNotAllowWaiting() {
            // Given a request due in 1 s, whose attempt on a fails to connect, with b, c and d cooling for longer
            Attempt attempt = first(request("main", null, NOW.plusSeconds(1)), "a", "main");
            AccountStatesFixture states = states().cooling("b", Duration.ofSeconds(10)).cooling("c", Duration.ofSeconds(20))
                    .cooling("d", Duration.ofSeconds(30));

            // When the failover is decided
            ChatResult result = result(decide(attempt, connectError(), states));

            // Then 503: every remaining account is cooling
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(503);
        }

        @Test
        void shouldExpireInsteadOfFailingOverOnceTheDeadlineHasPassed() {
            // Given a request whose deadline passed while its attempt on a was in flight
            Attempt attempt = first(request("main", null, NOW.minusMillis(1)), "a", "main");

            // When the attempt fails with a retryable status
            ChatResult result = result(decide(attempt, retryableStatus(500, null)));

            // Then the request ends as expired with its trail, instead of trying b
            assertThat(result.status()).isEqualTo(ResultStatus.EXPIRED);
            assertThat(result.httpStatus()).isEqualTo(504);
            assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("a");
        }

        @Test
        void shouldAnswer504AfterATimeoutWithNoResponse() {
            // Given the only account of a pool without fallback
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When it times out
            ChatResult result = result(decide(attempt, timeout()));

            // Then 504
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(504);
            assertThat(result.error().upstream()).isNull();
        }

        @Test
        void shouldAnswer502AfterAResetWithNoResponse() {
            // Given the only account of a pool without fallback
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When the connection is reset
            ChatResult result = result(decide(attempt, reset()));

            // Then 502
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(502);
        }

        @Test
        void shouldAnswer502WhenTheLastFailureWasAResetAfterAnEarlierTimeout() {
            // Given the last account of the chain, after timeouts and no response at all
            List<TrailEntry> trail = List.of(
                    earlier(1, "a", "main", OutcomeKind.RETRYABLE, "timeout", null),
                    earlier(2, "b", "main", OutcomeKind.RETRYABLE, "timeout", null),
                    earlier(3, "c", "main", OutcomeKind.RETRYABLE, "timeout", null));
            Attempt attempt = new Attempt(unpinned("main"), 4, "d", "backup", trail, null, NOW);

            // When it is reset
            ChatResult result = result(decide(attempt, reset()));

            // Then the last failure decides: 502
            assertThat(result.httpStatus()).isEqualTo(502);
        }

        @Test
        void shouldAnswer502AfterAFakeSuccessOnTheLastAccount() {
            // Given the only account of a pool without fallback
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When it answers a 200 with an empty completion
            ChatResult result = result(decide(attempt, Outcome.fakeSuccess("empty_completion", 200, STARTED, LATENCY)));

            // Then 502: the 200 is not passed through as if it were an answer
            assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(result.httpStatus()).isEqualTo(502);
            assertThat(result.completion()).isNull();
        }
    }

    @Nested
    class WaitingAndRetries {

        private FailoverDecider withRetries(int sameAccountRetries) throws ConfigException {
            TokenRelayConfig retrying = ConfigLoader.parse(YAML.replace("sameAccountRetries: 0",
                    "sameAccountRetries: " + sameAccountRetries + "\n  backoff: 1s\n  maxBackoff: 4s"), "test");
            return new FailoverDecider(retrying, () -> 1.0);
        }

        @Test
        void shouldWaitForTheEarliestCooldownWhenTheDeadlineAllows() {
            // Given a request without deadline, whose attempt on a fails to connect, with b, c and d cooling
            Attempt attempt = first(unpinned("main"), "a", "main");
            AccountStatesFixture states = states().cooling("b", Duration.ofSeconds(5)).cooling("c", Duration.ofSeconds(20))
                    .cooling("d", Duration.ofSeconds(30));

            // When the failover is decided
            Decision decision = decide(attempt, connectError(), states);

            // Then the next attempt goes to the account whose cooldown ends first, not before it ends
            Attempt next = next(decision);
            assertThat(next.account()).isEqualTo("b");
            assertThat(next.notBefore()).isEqualTo(NOW.plusSeconds(5));
        }

        @Test
        void shouldRetryTheOnlyAccountAfterItsRetryAfter() throws ConfigException {
            // Given the only account of a pool answered 429 and cools for 2 s
            Attempt attempt = first(unpinned("solo"), "s", "solo");
            AccountStatesFixture states = states().cooling("s", Duration.ofSeconds(2));

            // When the failover is decided with one same-account retry allowed
            Outcome.Retryable tooMany = retryableStatus(429, Duration.ofSeconds(2));
            Decision decision = withRetries(1).decide(attempt, tooMany, entry(attempt, tooMany), states, NOW);

            // Then the same account is tried again once its cooldown is over
            Attempt next = next(decision);
            assertThat(next.account()).isEqualTo("s");
            assertThat(next.number()).isEqualTo(2);
            assertThat(next.notBefore()).isEqualTo(NOW.plusSeconds(2));
        }

        @Test
        void shouldBackOffBeforeRetryingAnAccountWithoutCooldown() throws ConfigException {
            // Given the only account of a pool reset the connection (no cooldown)
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When the failover is decided with one same-account retry and a 1 s backoff (full jitter factor)
            Decision decision = withRetries(1).decide(attempt, reset(), entry(attempt, reset()), AccountStates.none(),
                    NOW);

            // Then the retry waits for the backoff
            assertThat(next(decision).notBefore()).isEqualTo(NOW.plusSeconds(1));
        }

        @ParameterizedTest
        @ValueSource(ints = {400, 404, 413, 422})
        void shouldNeverRetryTheSameAccountAfterAStatusThatSaysTheRequestIsBad(int status) throws ConfigException {
            // Given the only account of a pool without fallback, and one same-account retry allowed
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When it answers with a status that says the request is bad
            Outcome.Retryable bad = retryableStatus(status, null);
            ChatResult result = result(withRetries(1).decide(attempt, bad, entry(attempt, bad), AccountStates.none(),
                    NOW));

            // Then the request ends with that answer after one call: the account would only say it again
            assertThat(result.httpStatus()).isEqualTo(status);
            assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("s");
        }

        @Test
        void shouldStillFailOverToTheNextAccountAfterAStatusThatSaysTheRequestIsBad() throws ConfigException {
            // Given a first attempt on a, with b and c untried, and one same-account retry allowed
            Attempt attempt = first(unpinned("main"), "a", "main");

            // When a answers 400
            Outcome.Retryable bad = retryableStatus(400, null);
            Attempt next = next(withRetries(1).decide(attempt, bad, entry(attempt, bad), AccountStates.none(), NOW));

            // Then the request goes on to b, as the outcome rule says
            assertThat(next.account()).isEqualTo("b");
        }

        @ParameterizedTest
        @ValueSource(ints = {408, 429, 500, 502, 503})
        void shouldRetryTheSameAccountAfterAStatusAWaitCanCure(int status) throws ConfigException {
            // Given the only account of a pool without fallback, and one same-account retry allowed
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When it answers with a status a wait can cure
            Outcome.Retryable curable = retryableStatus(status, null);
            Attempt next = next(withRetries(1).decide(attempt, curable, entry(attempt, curable),
                    AccountStates.none(), NOW));

            // Then the same account is tried again after the backoff
            assertThat(next.account()).isEqualTo("s");
            assertThat(next.notBefore()).isEqualTo(NOW.plusSeconds(1));
        }

        @Test
        void shouldNotRetryAnAccountWhoseLatestAnswerSaysTheRequestIsBad() throws ConfigException {
            // Given the only account answered 429 and is being retried, with two same-account retries allowed
            List<TrailEntry> trail = List.of(earlier(1, "s", "solo", OutcomeKind.RETRYABLE, "status_429", 429));
            Attempt attempt = new Attempt(unpinned("solo"), 2, "s", "solo", trail, null, NOW.minusSeconds(1));

            // When the retry answers 422
            Outcome.Retryable bad = retryableStatus(422, null);
            ChatResult result = result(withRetries(2).decide(attempt, bad, entry(attempt, bad), AccountStates.none(),
                    NOW));

            // Then the earlier 429 does not earn it another try: the 422 ends the request
            assertThat(result.httpStatus()).isEqualTo(422);
            assertThat(result.attempts()).hasSize(2);
        }

        @Test
        void shouldRetryA400OnTheSameAccountWhenThePolicyListsIt() throws ConfigException {
            // Given a policy that lists 400 among the same-account statuses
            TokenRelayConfig lenient = ConfigLoader.parse(YAML.replace("sameAccountRetries: 0",
                    "sameAccountRetries: 1\n  sameAccountStatuses: [400, 429]"), "test");
            Attempt attempt = first(unpinned("solo"), "s", "solo");

            // When the only account answers 400
            Outcome.Retryable bad = retryableStatus(400, null);
            Attempt next = next(new FailoverDecider(lenient, () -> 1.0).decide(attempt, bad, entry(attempt, bad),
                    AccountStates.none(), NOW));

            // Then it is tried again
            assertThat(next.account()).isEqualTo("s");
        }

        @Test
        void shouldStopRetryingOnceTheAccountsRetriesAreUsed() throws ConfigException {
            // Given the only account already failed twice for this request
            List<TrailEntry> trail = List.of(earlier(1, "s", "solo", OutcomeKind.RETRYABLE, "connection_reset", null));
            Attempt attempt = new Attempt(unpinned("solo"), 2, "s", "solo", trail, null, NOW.minusSeconds(1));

            // When it fails again with one same-account retry allowed
            ChatResult result = result(withRetries(1).decide(attempt, reset(), entry(attempt, reset()),
                    AccountStates.none(), NOW));

            // Then the request ends: 502 after a reset
            assertThat(result.httpStatus()).isEqualTo(502);
            assertThat(result.attempts()).hasSize(2);
        }

        @Test
        void shouldNotRetryWhenTheRetryWouldStartAfterTheDeadline() throws ConfigException {
            // Given a request due in 1 s whose only account cools for 30 s
            Attempt attempt = first(request("solo", null, NOW.plusSeconds(1)), "s", "solo");
            AccountStatesFixture states = states().cooling("s", Duration.ofSeconds(30));

            // When it fails with a 429
            Outcome.Retryable tooMany = retryableStatus(429, Duration.ofSeconds(30));
            ChatResult result = result(withRetries(1).decide(attempt, tooMany, entry(attempt, tooMany), states, NOW));

            // Then the 429 is passed through at once
            assertThat(result.httpStatus()).isEqualTo(429);
        }

        @Test
        void shouldNeverRetryAPinnedRequest() throws ConfigException {
            // Given a request pinned to a, which fails with a reset
            Attempt attempt = first(request("main", "a", null), "a", "main");

            // When the failover is decided with retries allowed
            ChatResult result = result(withRetries(3).decide(attempt, reset(), entry(attempt, reset()),
                    AccountStates.none(), NOW));

            // Then the pinned account's outcome is final
            assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("a");
        }

        @Test
        void shouldRedirectAQueuedAttemptAwayFromAnAccountThatStartedCooling() {
            // Given an attempt queued for a, which has started cooling, while b is healthy
            Attempt attempt = first(unpinned("main"), "a", "main");
            AccountStatesFixture states = states().cooling("a", Duration.ofSeconds(30));

            // When it is redirected
            Decision decision = decider.redirect(attempt, states, NOW);

            // Then it goes to b as the same attempt, with its trail unchanged
            Attempt redirected = next(decision);
            assertThat(redirected.account()).isEqualTo("b");
            assertThat(redirected.number()).isEqualTo(1);
            assertThat(redirected.trail()).isEmpty();
            assertThat(redirected.notBefore()).isNull();
        }

        @Test
        void shouldKeepARetryOfTheSameAccountWaitingWhenTheAccountCoolsAgain() throws ConfigException {
            // Given the retry of the only account, queued after a 429, whose account starts cooling again
            Attempt first = first(unpinned("solo"), "s", "solo");
            Outcome.Retryable tooMany = retryableStatus(429, Duration.ofSeconds(2));
            Attempt retry = new Attempt(first.request(), 2, "s", "solo", List.of(entry(first, tooMany)), null, NOW);
            AccountStatesFixture states = states().cooling("s", Duration.ofSeconds(3));

            // When it is redirected
            Attempt waiting = next(withRetries(1).redirect(retry, states, NOW));

            // Then it keeps its place on that account until the new cooldown ends: the retry was granted already
            assertThat(waiting.account()).isEqualTo("s");
            assertThat(waiting.number()).isEqualTo(2);
            assertThat(waiting.notBefore()).isEqualTo(NOW.plusSeconds(3));
        }

        @Test
        void shouldKeepAPinnedAttemptWaitingForItsAccountsCooldown() {
            // Given an attempt pinned to a, which cools for 2 s
            Attempt attempt = first(request("main", "a", null), "a", "main");
            AccountStatesFixture states = states().cooling("a", Duration.ofSeconds(2));

            // When it is redirected
            Attempt waiting = next(decider.redirect(attempt, states, NOW));

            // Then it stays with a, not before the cooldown ends
            assertThat(waiting.account()).isEqualTo("a");
            assertThat(waiting.notBefore()).isEqualTo(NOW.plusSeconds(2));
        }

        @Test
        void shouldKeepAPinnedAttemptWaitingForItsAccountsProbeButEndOneWhoseAccountIsDisabledByHand() {
            // Given an attempt pinned to a, with a disabled by the rule until its probe, or by hand
            Attempt attempt = first(request("main", "a", null), "a", "main");
            AccountStatesFixture probed = states().disabledUntilProbe("a", NOW.plusSeconds(60));
            AccountStatesFixture byHand = states().disabledByHand("a");

            // When it is redirected
            Attempt waiting = next(decider.redirect(attempt, probed, NOW));
            ChatResult ended = result(decider.redirect(attempt, byHand, NOW));

            // Then it waits for the probe, but an account disabled by hand ends it with 503
            assertThat(waiting.account()).isEqualTo("a");
            assertThat(waiting.notBefore()).isEqualTo(NOW.plusSeconds(60));
            assertThat(ended.httpStatus()).isEqualTo(503);
        }
    }

    private static AccountStatesFixture states() {
        return new AccountStatesFixture(NOW);
    }
}
