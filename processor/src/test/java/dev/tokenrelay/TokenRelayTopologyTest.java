package dev.tokenrelay;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.ManualClock;
import dev.tokenrelay.testing.Upstream;
import dev.tokenrelay.upstream.Providers;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole topology in a {@link TopologyTestDriver}: the same topology the processor runs, with
 * real HTTP calls to the simulated upstream on 127.0.0.1, but no broker, so each case takes
 * milliseconds. Records written to the attempts topic are fed back to the dispatch stage by the
 * driver, as the broker would. The broker tests (the pipeline ITs) cover what this cannot:
 * exactly-once, restarts, more than one instance.
 */
class TokenRelayTopologyTest {

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final String YAML = """
            pools:
              main:
                accounts: [first, second]
            accounts:
              first:  { provider: openai-chat, baseUrl: "%s" }
              second: { provider: openai-chat, baseUrl: "%s" }
            """;

    @TempDir
    Path stateDir;

    private TokenRelayConfig config;
    private UpstreamCaller caller;
    /** The processor's time: it moves only when a test advances it. */
    private ManualClock clock;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, byte[]> attemptsIn;
    private TestOutputTopic<String, Attempt> attempts;
    private TestOutputTopic<String, ChatResult> results;
    private TestOutputTopic<String, AttemptOutcome> outcomes;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private TestOutputTopic<String, AccountState> accountStates;
    private final List<AccountState> statesSeen = new ArrayList<>();

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        if (caller != null) {
            caller.close();
        }
    }

    @Test
    void shouldAnswerARequestWithOneCallToTheFirstAccount() throws Exception {
        // Given a fill-first pool whose first account answers
        SimulatedUpstream upstream = start();
        upstream.script("first", Behaviour.reply("hello"));

        // When a request arrives
        send(request("r1", null, null));

        // Then one attempt went to the first account, and its result is the completion
        ChatResult result = awaitResult();
        assertThat(result.id()).isEqualTo("r1");
        assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
        assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("hello");
        assertThat(attempts.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("first");
        assertThat(outcomes.readValuesToList()).extracting(o -> o.attempt().outcome())
                .containsExactly(OutcomeKind.SUCCESS);
        assertThat(upstream.calls("first")).isEqualTo(1);
        assertThat(upstream.calls("second")).isZero();
    }

    @Test
    void shouldFailOverThroughTheAttemptsTopicToTheNextAccount() throws Exception {
        // Given a first account that answers 500 and a second that answers
        SimulatedUpstream upstream = start();
        upstream.script("first", Behaviour.status(500));
        upstream.script("second", Behaviour.reply("from second"));

        // When a request arrives
        send(request("r2", null, null));

        // Then the second attempt was written keyed by the second account, and the result has both in its trail
        ChatResult result = awaitResult();
        assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
        assertThat(result.attempts()).extracting(TrailEntry::account, TrailEntry::httpStatus)
                .containsExactly(tuple("first", 500),
                        tuple("second", 200));
        assertThat(attempts.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("first", "second");
        assertThat(outcomes.readValuesToList()).hasSize(2);
    }

    @Test
    void shouldCallOnceForARequestIdSubmittedTwice() throws Exception {
        // Given an account that answers
        SimulatedUpstream upstream = start();
        upstream.script("first", Behaviour.echo());

        // When the same request arrives twice
        send(request("twice", null, null));
        send(request("twice", null, null));

        // Then intake made one attempt, and the upstream saw one call
        assertThat(awaitResult().id()).isEqualTo("twice");
        assertThat(attempts.readKeyValuesToList()).hasSize(1);
        assertThat(upstream.calls("first")).isEqualTo(1);
        assertThat(results.isEmpty()).isTrue();
    }

    @Test
    void shouldStartOnlyWhatTheTokensPerMinuteLimitAllows() throws Exception {
        // Given an account allowing 100 tokens a minute, whose answers take 200 ms and report their usage
        SimulatedUpstream upstream = start(YAML.replace("first:  { provider: openai-chat,",
                "first:  { provider: openai-chat, tokensPerMinute: 100,"));
        upstream.script("first", Behaviour.reply("short").after(Duration.ofMillis(200)));

        // When three requests arrive at once, each allowing 60 output tokens (a 60-token estimate)
        for (int i = 1; i <= 3; i++) {
            ChatRequest plain = request("t" + i, null, null);
            send(new ChatRequest(plain.id(), 0, plain.body().deepCopy().put("max_tokens", 60), null, null, null, null));
        }

        // Then each started only when the one before it ended and counted what it really used, so no
        // two calls ever overlapped, and all three were answered by the first account
        List<ChatResult> answered = awaitResults(3);
        assertThat(answered).allSatisfy(result -> assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED));
        assertThat(upstream.calls("first")).isEqualTo(3);
        assertThat(upstream.peakConcurrency("first")).isEqualTo(1);
    }

    @Test
    void shouldDisableAFailingAccountAndEnableItAgainAfterASuccessfulProbe() throws Exception {
        // Given a rule that disables an account after one failure and probes it 1.5 s later, and a
        // first account that fails once and then answers
        SimulatedUpstream upstream = start(YAML + """
                policy:
                  defaultCooldown: 50ms
                  disable: {afterFailures: 1, within: 1m, probeAfter: 1500ms}
                """);
        upstream.script("first", Behaviour.status(500), Behaviour.reply("first is back"));
        upstream.script("second", Behaviour.reply("from second"));

        // When a request fails on the first account, and a second request follows at once
        send(request("d1", null, null));
        assertThat(awaitResult().attempts()).extracting(TrailEntry::account).containsExactly("first", "second");
        AccountState disabled = lastState("first");
        send(request("d2", null, null));
        ChatResult whileDisabled = awaitResult();

        // Then the first account is disabled until its probe, and the second request does not call it
        assertThat(disabled.disabled()).isTrue();
        assertThat(disabled.probeAt()).isNotNull();
        assertThat(disabled.coolingUntil()).isEqualTo(disabled.probeAt());
        assertThat(whileDisabled.attempts()).extracting(TrailEntry::account).containsExactly("second");
        assertThat(upstream.calls("first")).isEqualTo(1);

        // When a request arrives once the probe is due
        clock.advanceTo(disabled.probeAt().plusMillis(1));
        send(request("d3", null, null));

        // Then the probe call goes to the first account, succeeds, and enables it again
        ChatResult probed = awaitResult();
        assertThat(probed.attempts()).extracting(TrailEntry::account).containsExactly("first");
        assertThat(probed.completion().at("/choices/0/message/content").asText()).isEqualTo("first is back");
        AccountState enabled = lastState("first");
        assertThat(enabled.disabled()).isFalse();
        assertThat(enabled.probeAt()).isNull();
        assertThat(enabled.reason()).isEqualTo("recovered");
    }

    @Test
    void shouldPublishTheCooldownReckonedFromTheAnswerNotFromWhenTheStreamThreadSawIt() throws Exception {
        // Given a first account that answers 429 with Retry-After: 1, and a second that answers
        SimulatedUpstream upstream = start();
        upstream.script("first", Behaviour.rateLimited(Duration.ofSeconds(1)));
        upstream.script("second", Behaviour.reply("from second"));

        // When a request meets the 429, and the stream thread drains it only 300 ms later
        // (the driver's wall clock, which runs the drain, stands still until it is advanced)
        send(request("late-drain", null, null));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> upstream.calls("first") == 1 && upstream.inFlight("first") == 0);
        Instant answered = clock.instant();
        Instant drained = clock.advance(Duration.ofMillis(300));
        ChatResult result = awaitResult();

        // Then the cooldown published for the account, and the outcome's, run a second from the
        // answer, as the account's lane was held, not a second from the drain
        assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("first", "second");
        AccountState cooling = lastState("first");
        AttemptOutcome rateLimited = outcomes.readValuesToList().get(0);
        assertThat(rateLimited.cooldownUntil()).isEqualTo(cooling.coolingUntil());
        assertThat(cooling.coolingUntil()).isEqualTo(answered.plusSeconds(1)).isBefore(drained.plusSeconds(1));
    }

    @Test
    void shouldNotCallAnAccountDisabledByHandEvenForARequestPinnedToIt() throws Exception {
        // Given the first account disabled by hand in the accounts topic (no probe)
        SimulatedUpstream upstream = start();
        upstream.script("first", Behaviour.reply("should not be called"));
        driver.createInputTopic(new Topics(config.topics()).accounts(), Topics.KEYS.serializer(),
                        Topics.ACCOUNT_STATES.serializer())
                .pipeInput("first", new AccountState("first", null, "disabled by operator", null, null, 0, true,
                        Instant.now()));

        // When a request pinned to it arrives
        send(request("pinned", null, "first"));

        // Then it ends with 503 and no call
        ChatResult result = awaitResult();
        assertThat(result.status()).isEqualTo(ResultStatus.FAILED);
        assertThat(result.httpStatus()).isEqualTo(503);
        assertThat(upstream.calls("first")).isZero();
    }

    @Test
    void shouldDeadLetterAnAttemptsRecordThatIsNotAnAttempt() throws Exception {
        // Given a running topology
        start();

        // When a record that is not an attempt arrives on the attempts topic
        attemptsIn.pipeInput("first", "[1, 2]".getBytes(StandardCharsets.UTF_8));

        // Then it is dead-lettered with its bytes and the reason, and no call or result follows
        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).singleElement().satisfies(letter -> {
            assertThat(letter.reason()).startsWith("unreadable attempt");
            assertThat(letter.originalText()).isEqualTo("[1, 2]");
        });
        assertThat(results.isEmpty()).isTrue();
    }

    private SimulatedUpstream start() throws Exception {
        return start(YAML);
    }

    private SimulatedUpstream start(String yaml) throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        config = ConfigLoader.parse(
                yaml.formatted(upstream.baseUrl("first"), upstream.baseUrl("second")), "test configuration");
        clock = ManualClock.atNow();
        caller = UpstreamCaller.create(config, Providers.builtIn(), clock);
        StreamsBuilder builder = new StreamsBuilder();
        TokenRelayTopology.build(builder, config, caller);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        TokenRelay.enableGlobalProcessingHandler(props);
        driver = new TopologyTestDriver(builder.build(), props);
        Topics topics = new Topics(config.topics());
        requests = driver.createInputTopic(topics.requests(), Topics.KEYS.serializer(), Topics.RAW_REQUESTS.serializer());
        attemptsIn = driver.createInputTopic(topics.attempts(), Topics.KEYS.serializer(),
                Topics.RAW_ATTEMPTS.serializer());
        attempts = driver.createOutputTopic(topics.attempts(), Topics.KEYS.deserializer(),
                Topics.ATTEMPTS.deserializer());
        results = driver.createOutputTopic(topics.results(), Topics.KEYS.deserializer(), Topics.RESULTS.deserializer());
        outcomes = driver.createOutputTopic(topics.outcomes(), Topics.KEYS.deserializer(),
                Topics.OUTCOMES.deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetter(), Topics.KEYS.deserializer(),
                Topics.DEAD_LETTERS.deserializer());
        accountStates = driver.createOutputTopic(topics.accounts(), Topics.KEYS.deserializer(),
                Topics.ACCOUNT_STATES.deserializer());
        return upstream;
    }

    /** The last state written to the accounts topic for {@code account}. */
    private AccountState lastState(String account) {
        accountStates.readKeyValuesToList().stream().filter(kv -> kv.key.equals(account))
                .forEach(kv -> statesSeen.add(kv.value));
        return statesSeen.stream().filter(state -> state.account().equals(account)).reduce((a, b) -> b).orElseThrow();
    }

    private void send(ChatRequest request) {
        requests.pipeInput(new TestRecord<>(request.id(), JsonCodec.encode(request), Instant.now()));
    }

    /**
     * Advances the driver's wall clock, which runs the dispatch stage's drain, until a result is
     * written: the call itself completes on an HTTP client thread, in real time.
     */
    private ChatResult awaitResult() {
        return awaitResults(1).get(0);
    }

    private List<ChatResult> awaitResults(int count) {
        List<ChatResult> read = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).pollInSameThread().pollInterval(Duration.ofMillis(5)).until(() -> {
            driver.advanceWallClockTime(Duration.ofMillis(20));
            read.addAll(results.readValuesToList());
            return read.size() >= count;
        });
        assertThat(read).hasSize(count);
        return read;
    }
}
