package dev.tokenrelay.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.accounts.AccountHealth;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.lanes.Cancellations;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.testing.AccountStatesFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Intake's decisions with no broker: raw records go in at a fixed instant, and what the stage
 * would emit comes out. Submissions seen are held in a map, account health in a fixture.
 */
class AdmissionTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final DeadLetter.SourceRecord SOURCE = new DeadLetter.SourceRecord("requests", 2, 41);
    private static final String YAML = """
            processor:
              dedupeRetention: 1h
              defaultDeadline: 10m
              limits: { maxRequestBytes: 4096, maxNestingDepth: 16, maxMetadataBytes: 256 }
            accounts:
              a: { provider: openai-chat, baseUrl: "https://a.example.com/v1" }
              b: { provider: openai-chat, baseUrl: "https://b.example.com/v1" }
              gpt-only: { provider: openai-chat, baseUrl: "https://g.example.com/v1", models: [gpt-4o] }
            pools:
              main: { accounts: [a, b] }
              solo: { accounts: [a] }
              gpt: { accounts: [gpt-only] }
            defaultPool: main
            """;
    private static final String BODY = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";

    private TokenRelayConfig config;
    private final InMemorySeenRequests seen = new InMemorySeenRequests();
    private final List<ChatResult> reported = new ArrayList<>();
    private AccountStates states = new AccountStatesFixture(NOW);
    private CredentialCheck credentials = CredentialCheck.allUsable();
    private Cancellations cancellations = Cancellations.NONE;

    @BeforeEach
    void configure() throws ConfigException {
        config = ConfigLoader.parse(YAML, "test configuration");
    }

    @Test
    void shouldRejectARequestOverTheSizeLimitAndDeadLetterItWithoutItsBytes() {
        // Given a request of more than 4,096 bytes
        String value = request("big", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}"
                .formatted("x".repeat(4_200)));

        // When it arrives
        List<Emission> emitted = admit("big", value, NOW);

        // Then it is rejected under its id with its size and the limit, and dead-lettered without its bytes
        ChatResult result = result(emitted);
        assertThat(result.status()).isEqualTo(ResultStatus.REJECTED);
        assertThat(result.httpStatus()).isEqualTo(400);
        assertThat(result.error().message()).isEqualTo("invalid request: request is "
                + String.format("%,d", value.length()) + " bytes, over processor.limits.maxRequestBytes (4096)");
        DeadLetter letter = deadLetter(emitted, "big");
        assertThat(letter.reason()).startsWith(result.error().message()).contains("not copied here");
        assertThat(letter.originalText()).isNull();
        assertThat(letter.source()).isEqualTo(SOURCE);
        assertThat(seen.remembered).isEmpty();
    }

    @Test
    void shouldAcceptARequestExactlyAtTheSizeLimit() {
        // Given a request of exactly 4,096 bytes
        String shell = request("exact", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}");
        String value = shell.formatted("x".repeat(4096 - shell.length() + 2));
        assertThat(value).hasSize(4096);

        // When it arrives
        List<Emission> emitted = admit("exact", value, NOW);

        // Then it becomes the first attempt
        assertThat(attempt(emitted).request().id()).isEqualTo("exact");
    }

    @Test
    void shouldRejectNestingDeeperThanTheLimitAndDeadLetterTheOriginal() {
        // Given a request whose metadata is nested deeper than 16, with the id before it
        String value = "{\"id\":\"deep\",\"metadata\":{\"x\":" + "[".repeat(18) + "]".repeat(18) + "},\"body\":"
                + BODY + "}";

        // When it arrives
        List<Emission> emitted = admit("deep", value, NOW);

        // Then it is rejected naming the depth limit, and its bytes are in the dead letter
        assertThat(result(emitted).error().message())
                .isEqualTo("invalid request: nested deeper than processor.limits.maxNestingDepth (16)");
        assertThat(deadLetter(emitted, "deep").originalText()).isEqualTo(value);
    }

    @Test
    void shouldRejectASchemaViolationNamingTheField() {
        // Given a request with a message whose role the chat API does not have
        String value = request("wizard", "{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"q\"}]}");

        // When it arrives
        List<Emission> emitted = admit("wizard", value, NOW);

        // Then it is rejected naming the field, and dead-lettered with its bytes
        ChatResult result = result(emitted);
        assertThat(result.status()).isEqualTo(ResultStatus.REJECTED);
        assertThat(result.error().type()).isEqualTo("invalid_request");
        assertThat(result.error().message()).startsWith("invalid request: /body/messages/0/role:");
        assertThat(deadLetter(emitted, "wizard").originalText()).isEqualTo(value);
    }

    @Test
    void shouldRejectABadPriorityWithItsReason() {
        // Given a request whose priority is not one of the names
        String value = "{\"id\":\"loud\",\"priority\":\"urgent\",\"body\":" + BODY + "}";

        // When it arrives
        List<Emission> emitted = admit("loud", value, NOW);

        // Then it is rejected naming the field and what a priority may be, and dead-lettered
        assertThat(result(emitted).status()).isEqualTo(ResultStatus.REJECTED);
        assertThat(result(emitted).error().message()).isEqualTo("invalid request: /priority: priority must be "
                + "interactive, default, batch or an integer from -100 to 100, got 'urgent'");
        assertThat(deadLetter(emitted, "loud").originalText()).isEqualTo(value);
    }

    @Test
    void shouldCarryAValidPriorityToTheFirstAttempt() {
        // Given requests with a priority name, a number, and none
        String named = "{\"id\":\"chat\",\"priority\":\"interactive\",\"body\":" + BODY + "}";
        String numbered = "{\"id\":\"nightly\",\"priority\":-50,\"body\":" + BODY + "}";

        // When they arrive
        Attempt chat = attempt(admit("chat", named, NOW));
        Attempt nightly = attempt(admit("nightly", numbered, NOW));
        Attempt plain = attempt(admit("plain", request("plain", BODY), NOW));

        // Then each first attempt's request carries its priority as a number
        assertThat(chat.request().priority()).isEqualTo(10);
        assertThat(nightly.request().priority()).isEqualTo(-50);
        assertThat(plain.request().priority()).isZero();
    }

    @Test
    void shouldRejectUnderTheRecordKeyWhenTheValueHoldsNoId() {
        // Given a value that is not JSON at all, under a key
        // When it arrives
        List<Emission> emitted = admit("garbage-key", "not json", NOW);

        // Then it is rejected under the key, and dead-lettered with its bytes
        assertThat(result(emitted).id()).isEqualTo("garbage-key");
        assertThat(deadLetter(emitted, "garbage-key").originalText()).isEqualTo("not json");
    }

    @Test
    void shouldOnlyDeadLetterInputWithNoIdAndNoKey() {
        // Given a keyless value that is not JSON at all
        // When it arrives
        List<Emission> emitted = admit(null, "not json", NOW);

        // Then there is no result to key, only a dead letter holding the bytes
        assertThat(emitted).singleElement().isInstanceOf(Emission.ToDeadLetter.class);
        DeadLetter letter = deadLetter(emitted, null);
        assertThat(letter.requestId()).isNull();
        assertThat(letter.originalText()).isEqualTo("not json");
        assertThat(reported).isEmpty();
    }

    @Test
    void shouldRejectARecordWhoseKeyIsNotTheRequestId() {
        // Given valid requests, one keyed by another id and one without a key
        String other = request("body-id", BODY);
        String keyless = request("keyless", BODY);

        // When they arrive
        List<Emission> otherEmitted = admit("other-key", other, NOW);
        List<Emission> keylessEmitted = admit(null, keyless, NOW);

        // Then each is rejected under the id of its body, saying what the key must be
        assertThat(result(otherEmitted).error().message())
                .isEqualTo("invalid request: the record key 'other-key' is not the request id 'body-id'");
        assertThat(deadLetter(otherEmitted, "body-id").originalText()).isEqualTo(other);
        assertThat(result(keylessEmitted).error().message())
                .isEqualTo("invalid request: the record has no key; its key must be the request id 'keyless'");
        assertThat(deadLetter(keylessEmitted, "keyless").originalText()).isEqualTo(keyless);
    }

    @Test
    void shouldRejectMetadataOverItsLimit() {
        // Given a request whose metadata is 300 bytes as JSON (limit 256)
        String value = "{\"id\":\"meta\",\"metadata\":{\"note\":\"" + "m".repeat(289) + "\"},\"body\":" + BODY + "}";

        // When it arrives
        List<Emission> emitted = admit("meta", value, NOW);

        // Then it is rejected with the metadata's size and the limit
        assertThat(result(emitted).error().message())
                .isEqualTo("invalid request: /metadata: 300 bytes, over processor.limits.maxMetadataBytes (256)");
        assertThat(deadLetter(emitted, "meta").originalText()).isEqualTo(value);
    }

    @Test
    void shouldIgnoreADuplicateWithinTheRetentionAndAcceptItAfter() {
        // Given a request admitted at NOW
        String value = request("again", BODY);
        assertThat(attempt(admit("again", value, NOW)).request().id()).isEqualTo("again");

        // When it is submitted again 59 minutes later, within the 1h retention
        List<Emission> duplicate = admit("again", value, NOW.plus(Duration.ofMinutes(59)));

        // Then nothing is emitted
        assertThat(duplicate).isEmpty();

        // When it is submitted again after the retention
        List<Emission> later = admit("again", value, NOW.plus(Duration.ofMinutes(61)));

        // Then it is accepted as new
        assertThat(attempt(later).createdAt()).isEqualTo(NOW.plus(Duration.ofMinutes(61)));
    }

    @Test
    void shouldAcceptANewGenerationOfASeenRequest() {
        // Given a request admitted at NOW
        admit("regen", request("regen", BODY), NOW);

        // When its generation 1 is submitted a second later
        String second = "{\"id\":\"regen\",\"generation\":1,\"body\":" + BODY + "}";
        List<Emission> emitted = admit("regen", second, NOW.plusSeconds(1));

        // Then it is a new submission
        assertThat(attempt(emitted).request().generation()).isEqualTo(1);
    }

    @Test
    void shouldExpireARequestWhoseDeadlineHadPassedOnArrival() {
        // Given a request whose deadline is NOW
        String value = "{\"id\":\"late\",\"deadline\":\"" + NOW + "\",\"body\":" + BODY + "}";

        // When it arrives at NOW
        List<Emission> emitted = admit("late", value, NOW);

        // Then it expires with 504, dead-lettered, and is reported
        ChatResult result = result(emitted);
        assertThat(result.status()).isEqualTo(ResultStatus.EXPIRED);
        assertThat(result.httpStatus()).isEqualTo(504);
        assertThat(result.error().message()).isEqualTo("the deadline " + NOW + " had passed on arrival");
        assertThat(deadLetter(emitted, "late").status()).isEqualTo(ResultStatus.EXPIRED);
        assertThat(reported).containsExactly(result);
    }

    @Test
    void shouldRejectAnUnknownPool() {
        // Given a request for a pool that does not exist
        String value = "{\"id\":\"lost\",\"pool\":\"nowhere\",\"body\":" + BODY + "}";

        // When it arrives
        ChatResult result = result(admit("lost", value, NOW));

        // Then it is rejected with 400, naming the known pools
        assertThat(result.status()).isEqualTo(ResultStatus.REJECTED);
        assertThat(result.httpStatus()).isEqualTo(400);
        assertThat(result.error().message()).isEqualTo("/pool: unknown pool 'nowhere' (known: "
                + config.pools().keySet() + ")");
    }

    @Test
    void shouldFailAModelThatNoAccountOfThePoolServes() {
        // Given a pool whose one account serves gpt-4o only, and a request for another model
        String value = "{\"id\":\"claude\",\"pool\":\"gpt\",\"body\":"
                + BODY.replace("\"m\"", "\"claude-sonnet\"") + "}";

        // When it arrives
        ChatResult result = result(admit("claude", value, NOW));

        // Then it fails with 404 model_not_found
        assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
        assertThat(result.httpStatus()).isEqualTo(404);
        assertThat(result.error().type()).isEqualTo("model_not_found");
        assertThat(result.error().message())
                .isEqualTo("no account of pool 'gpt' or its fallbacks serves model 'claude-sonnet'");
    }

    @Test
    void shouldFailARequestPinnedToAnAccountWithoutACredential() {
        // Given account b whose key variable is unset, and a request pinned to it
        credentials = account -> account.equals("b") ? Optional.of("variable KEY_B unset") : Optional.empty();
        String value = "{\"id\":\"pinned\",\"account\":\"b\",\"body\":" + BODY + "}";

        // When it arrives
        ChatResult result = result(admit("pinned", value, NOW));

        // Then it fails with 503, saying why
        assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
        assertThat(result.httpStatus()).isEqualTo(503);
        assertThat(result.error().type()).isEqualTo("no_account_available");
        assertThat(result.error().message()).isEqualTo("account 'b' has no usable credential: variable KEY_B unset");
    }

    @Test
    void shouldChooseAHealthyAccountAtOnceWithTheDefaultDeadline() {
        // Given account a cooling and b healthy in pool main
        states = new AccountStatesFixture(NOW).cooling("a", Duration.ofSeconds(30));

        // When a request with no pool and no deadline arrives
        Attempt attempt = attempt(admit("now", request("now", BODY), NOW));

        // Then its first attempt goes to b at once, with the default deadline of 10 minutes
        assertThat(attempt.account()).isEqualTo("b");
        assertThat(attempt.pool()).isEqualTo("main");
        assertThat(attempt.number()).isEqualTo(1);
        assertThat(attempt.notBefore()).isNull();
        assertThat(attempt.deadline()).isEqualTo(NOW.plus(Duration.ofMinutes(10)));
        assertThat(reported).isEmpty();
    }

    @Test
    void shouldWaitForACoolingPoolWhenItsCooldownEndsBeforeTheDeadline() {
        // Given pool solo whose one account cools for 30 s more
        states = new AccountStatesFixture(NOW).cooling("a", Duration.ofSeconds(30));

        // When a request for that pool arrives
        String value = "{\"id\":\"wait\",\"pool\":\"solo\",\"body\":" + BODY + "}";
        Attempt attempt = attempt(admit("wait", value, NOW));

        // Then its first attempt is for a, not before the cooldown ends
        assertThat(attempt.account()).isEqualTo("a");
        assertThat(attempt.notBefore()).isEqualTo(NOW.plusSeconds(30));
    }

    @Test
    void shouldFailWhenEveryAccountIsCoolingPastTheDeadline() {
        // Given pool solo whose one account cools for an hour, and a request with a minute to go
        states = new AccountStatesFixture(NOW).cooling("a", Duration.ofHours(1));
        String value = "{\"id\":\"hopeless\",\"pool\":\"solo\",\"deadline\":\"" + NOW.plusSeconds(60)
                + "\",\"body\":" + BODY + "}";

        // When it arrives
        List<Emission> emitted = admit("hopeless", value, NOW);

        // Then it fails with 503 and today's message, and is dead-lettered
        ChatResult result = result(emitted);
        assertThat(result.httpStatus()).isEqualTo(503);
        assertThat(result.error().type()).isEqualTo("no_account_available");
        assertThat(result.error().message()).isEqualTo(
                "every account of pool 'solo' and its fallbacks is disabled or cooling down past the deadline");
        assertThat(deadLetter(emitted, "hopeless").status()).isEqualTo(ResultStatus.FAILED);
    }

    @Test
    void shouldEndARequestThatArrivesAfterItsBatchWasCancelled() {
        // Given batch nightly is cancelled
        cancellations = new Cancellations() {
            @Override
            public Optional<String> cancelled(ChatRequest request) {
                return "nightly".equals(request.batch()) ? Optional.of("batch nightly cancelled") : Optional.empty();
            }

            @Override
            public long version() {
                return 1;
            }
        };

        // When a request of that batch arrives, and one of no batch
        List<Emission> emitted = admit("r1", "{\"id\":\"r1\",\"batch\":\"nightly\",\"body\":" + BODY + "}", NOW);
        List<Emission> other = admit("r2", request("r2", BODY), NOW);

        // Then the first ends cancelled, with its batch, and no attempt; the other goes on
        ChatResult result = result(emitted);
        assertThat(result.status()).isEqualTo(ResultStatus.CANCELLED);
        assertThat(result.httpStatus()).isEqualTo(499);
        assertThat(result.error().type()).isEqualTo("cancelled");
        assertThat(result.error().message()).isEqualTo("batch nightly cancelled");
        assertThat(result.batch()).isEqualTo("nightly");
        assertThat(attempt(other).request().id()).isEqualTo("r2");
    }

    private List<Emission> admit(String key, String value, Instant now) {
        Admission admission = new Admission(config, credentials, states, seen, cancellations, new RecordingMetrics());
        return admission.admit(key, value.getBytes(StandardCharsets.UTF_8), SOURCE, now);
    }

    private static String request(String id, String body) {
        return "{\"id\":\"" + id + "\",\"body\":" + body + "}";
    }

    private static ChatResult result(List<Emission> emitted) {
        assertThat(emitted).filteredOn(Emission.ToAttempts.class::isInstance).isEmpty();
        return emitted.stream()
                .filter(Emission.ToResults.class::isInstance)
                .map(emission -> ((Emission.ToResults) emission).result())
                .reduce((first, second) -> {
                    throw new AssertionError("more than one result: " + emitted);
                })
                .orElseThrow(() -> new AssertionError("no result: " + emitted));
    }

    private static DeadLetter deadLetter(List<Emission> emitted, String key) {
        Emission.ToDeadLetter letter = emitted.stream()
                .filter(Emission.ToDeadLetter.class::isInstance)
                .map(Emission.ToDeadLetter.class::cast)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no dead letter: " + emitted));
        assertThat(letter.key()).isEqualTo(key);
        return letter.deadLetter();
    }

    private static Attempt attempt(List<Emission> emitted) {
        assertThat(emitted).singleElement().isInstanceOf(Emission.ToAttempts.class);
        Attempt attempt = ((Emission.ToAttempts) emitted.get(0)).attempt();
        assertThat(emitted.get(0).key()).isEqualTo(attempt.account());
        return attempt;
    }

    /** The submissions seen, as the window store would answer: by the times each was remembered. */
    private static final class InMemorySeenRequests implements SeenRequests {

        private final Map<String, List<Instant>> remembered = new HashMap<>();

        @Override
        public boolean seenSince(String submissionKey, Instant from, Instant now) {
            return remembered.getOrDefault(submissionKey, List.of()).stream()
                    .anyMatch(at -> !at.isBefore(from) && !at.isAfter(now));
        }

        @Override
        public void remember(String submissionKey, Instant now) {
            remembered.computeIfAbsent(submissionKey, key -> new ArrayList<>()).add(now);
        }
    }

    /** Keeps the results reported by intake. */
    private final class RecordingMetrics implements PipelineMetrics {

        @Override
        public void attemptFinished(String account, Outcome outcome) {}

        @Override
        public void resultEmitted(String stage, ChatResult result) {
            assertThat(stage).isEqualTo("intake");
            reported.add(result);
        }

        @Override
        public void accountChanged(String account, AccountHealth.Change change) {}

        @Override
        public Lanes lanes(String task) {
            return Lanes.NONE;
        }
    }
}
