package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.ops.MetricNames;
import dev.tokenrelay.ops.scrape.MetricsScraper;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.Priority;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.ManualClock;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Per-account flow control: cooldowns, waiting them out, per-minute limits, deadlines, restarts. */
class FlowControlIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private SimulatedUpstream upstream;

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
    }

    @Test
    void shouldWaitOutARetryAfterOnTheOnlyAccountAndThenSucceed() {
        // Given the only account answers 429 with Retry-After: 2, then answers normally
        upstream.script("only", Behaviour.rateLimited(Duration.ofSeconds(2)), Behaviour.reply("after the wait"));
        String yaml = """
                pools:
                  main:
                    accounts: [only]
                accounts:
                  only: { provider: openai-chat, baseUrl: "{{url:only}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When a request arrives
            relay.send(request("waits", null, null));

            // Then it succeeds on the same account, whose second call started about 2 s after the 429
            ChatResult result = relay.awaitResult("waits");
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("after the wait");
            List<TrailEntry> trail = result.attempts();
            assertThat(trail).extracting(TrailEntry::httpStatus).containsExactly(429, 200);
            Instant firstEnded = trail.get(0).startedAt().plusMillis(trail.get(0).latencyMs());
            assertThat(Duration.between(firstEnded, trail.get(1).startedAt()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
            assertThat(upstream.calls("only")).isEqualTo(2);
        }
    }

    @Test
    void shouldKeepARateLimitedAccountUnusedForItsRetryAfter() {
        // Given a fill-first pool whose first account is rate limited once for 2 s
        upstream.script("first", Behaviour.rateLimited(Duration.ofSeconds(2)), Behaviour.reply("from first"));
        upstream.script("second", Behaviour.reply("from second"));
        String yaml = """
                pools:
                  main:
                    accounts: [first, second]
                accounts:
                  first:  { provider: openai-chat, baseUrl: "{{url:first}}" }
                  second: { provider: openai-chat, baseUrl: "{{url:second}}" }
                """;
        // (the processor's clock stands still until the test moves it, so "while the first cools" holds
        // however slow the machine)
        ManualClock clock = ManualClock.atNow();
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml, clock)) {
            // When a request meets the 429, and more requests follow at once
            relay.send(request("meets-429", null, null));
            assertThat(relay.awaitResult("meets-429").attempts()).extracting(TrailEntry::account)
                    .containsExactly("first", "second");
            List<String> during = IntStream.rangeClosed(1, 5).mapToObj(i -> "during-" + i).toList();
            during.forEach(id -> relay.send(request(id, null, null)));

            // Then those are answered by the second account while the first cools
            Map<String, ChatResult> results = relay.awaitResults(during);
            assertThat(during.stream().map(results::get)).allSatisfy(r ->
                    assertThat(r.attempts()).extracting(TrailEntry::account).containsExactly("second"));
            assertThat(upstream.calls("first")).isEqualTo(1);

            // And once its Retry-After has passed, the first account is used again
            clock.advance(Duration.ofMillis(2001));
            relay.send(request("after", null, null));
            assertThat(relay.awaitResult("after").attempts()).extracting(TrailEntry::account).containsExactly("first");
            List<ConsumerRecord<String, dev.tokenrelay.schema.AccountState>> states =
                    relay.accountStates(all -> all.size() >= 2);
            assertThat(states.get(states.size() - 1).value().coolingUntil()).isNull();
        }
    }

    @Test
    void shouldDisableARepeatedlyFailingAccountAndEnableItAgainAfterASuccessfulProbe() {
        // Given a rule that disables an account after 2 failures in a minute and probes it 2 s later,
        // and a first account that fails twice and then answers
        upstream.script("first", Behaviour.status(500), Behaviour.status(500), Behaviour.reply("first is back"));
        upstream.script("second", Behaviour.reply("from second"));
        String yaml = """
                pools:
                  main:
                    accounts: [first, second]
                accounts:
                  first:  { provider: openai-chat, baseUrl: "{{url:first}}" }
                  second: { provider: openai-chat, baseUrl: "{{url:second}}" }
                policy:
                  defaultCooldown: 100ms
                  disable: { afterFailures: 2, within: 1m, probeAfter: 2s }
                retry:
                  sameAccountRetries: 0
                """;
        ManualClock clock = ManualClock.atNow();
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml, clock)) {
            // When one request fails over from the first account, a request pinned to it fails there
            // once its cooldown is over, and more requests follow
            relay.send(request("fails-1", null, null));
            assertThat(relay.awaitResult("fails-1").attempts()).extracting(TrailEntry::account)
                    .containsExactly("first", "second");
            clock.advance(Duration.ofMillis(101));
            relay.send(request("fails-2", null, "first"));
            assertThat(relay.awaitResult("fails-2").status()).isEqualTo(ResultStatus.FAILED);
            List<ConsumerRecord<String, AccountState>> states = relay.accountStates(
                    all -> all.stream().anyMatch(state -> state.value().disabled()));
            AccountState disabled = states.stream().map(ConsumerRecord::value).filter(AccountState::disabled)
                    .findFirst().orElseThrow();
            List<String> during = IntStream.rangeClosed(1, 3).mapToObj(i -> "while-disabled-" + i).toList();
            during.forEach(id -> relay.send(request(id, null, null)));
            Map<String, ChatResult> answered = relay.awaitResults(during);

            // Then the account is disabled until its probe, and nothing else calls it meanwhile
            assertThat(disabled.account()).isEqualTo("first");
            assertThat(disabled.windowFailures()).isEqualTo(2);
            assertThat(disabled.probeAt()).isNotNull();
            assertThat(during.stream().map(answered::get)).allSatisfy(result -> assertThat(result.attempts())
                    .extracting(TrailEntry::account).containsExactly("second"));
            assertThat(upstream.calls("first")).isEqualTo(2);

            // And once the probe is due, a call to it succeeds and enables it again
            clock.advanceTo(disabled.probeAt().plusMillis(1));
            relay.send(request("probe", null, null));
            ChatResult probe = relay.awaitResult("probe");
            assertThat(probe.attempts()).extracting(TrailEntry::account).containsExactly("first");
            assertThat(probe.completion().at("/choices/0/message/content").asText()).isEqualTo("first is back");
            List<ConsumerRecord<String, AccountState>> after = relay.accountStates(
                    all -> !all.isEmpty() && "recovered".equals(all.get(all.size() - 1).value().reason()));
            AccountState enabled = after.get(after.size() - 1).value();
            assertThat(enabled.account()).isEqualTo("first");
            assertThat(enabled.disabled()).isFalse();
            assertThat(enabled.probeAt()).isNull();

            // And the metrics counted the account being disabled and enabled again
            PrometheusText metrics = new MetricsScraper(Duration.ofSeconds(10))
                    .scrape(relay.processor().opsUri().orElseThrow().resolve("/metrics"));
            assertThat(metrics.sum(MetricNames.PROM_ACCOUNT_CHANGES, labels -> labels.get("account").equals("first")
                    && labels.get("change").equals("disabled"))).isEqualTo(1);
            assertThat(metrics.sum(MetricNames.PROM_ACCOUNT_CHANGES, labels -> labels.get("account").equals("first")
                    && labels.get("change").equals("enabled"))).isEqualTo(1);
        }
    }

    @Test
    void shouldSkipAnAccountCoolingOnAnotherInstance() {
        // Given two processor instances sharing the work, and an account rate limited for 30 s
        upstream.script("limited", Behaviour.rateLimited(Duration.ofSeconds(30)));
        upstream.script("healthy", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [limited, healthy]
                accounts:
                  limited: { provider: openai-chat, baseUrl: "{{url:limited}}" }
                  healthy: { provider: openai-chat, baseUrl: "{{url:healthy}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 4, yaml)) {
            TokenRelay second = relay.startSecondInstance();
            relay.send(request("meets-429", null, null));
            relay.awaitResult("meets-429");

            // When both instances have read the cooldown from the accounts topic
            await().atMost(RelayHarness.WAIT).until(() ->
                    coolingOn(relay.processor()) && coolingOn(second));
            List<String> ids = IntStream.rangeClosed(1, 12).mapToObj(i -> "skips-" + i).toList();
            ids.forEach(id -> relay.send(request(id, null, null)));

            // Then no instance addresses an attempt to the cooling account
            relay.awaitResults(ids);
            List<ConsumerRecord<String, Attempt>> attempts = relay.attempts(
                    all -> RelayHarness.keys(all).size() >= 2 && all.size() >= ids.size() + 2);
            assertThat(attempts).filteredOn(r -> r.value().request().id().startsWith("skips-"))
                    .extracting(ConsumerRecord::key).containsOnly("healthy").hasSize(ids.size());
            assertThat(upstream.calls("limited")).isEqualTo(1);
        }
    }

    private static boolean coolingOn(TokenRelay instance) {
        return instance.accountState("limited").map(s -> s.coolingAt(Instant.now())).orElse(false);
    }

    @Test
    void shouldStartAnInteractiveRequestBeforeTheBatchBacklogQueuedAheadOfIt() {
        // Given an account with 2 slots, calls of 200 ms, a window of 2, and 120 batch requests queued for it
        upstream.script("busy", Behaviour.echo().after(Duration.ofMillis(200)));
        String yaml = """
                pools:
                  main:
                    accounts: [busy]
                accounts:
                  busy: { provider: openai-chat, baseUrl: "{{url:busy}}", maxInFlight: 2 }
                processor:
                  queueWindow: 2
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            List<String> backlog = IntStream.rangeClosed(1, 120).mapToObj(i -> "bulk-" + i).toList();
            backlog.forEach(id -> relay.sendAsync(request(id, null, null).withPriority(Priority.BATCH)));
            relay.flush();
            relay.results(all -> all.size() >= 5);

            // When an interactive request arrives behind them
            relay.send(request("urgent", null, null).withPriority(Priority.INTERACTIVE));

            // Then it is answered long before the backlog is, with no more than a few slots' wait
            relay.awaitResult("urgent");
            List<String> order = relay.results(all -> all.stream().anyMatch(r -> r.key().equals("urgent"))).stream()
                    .map(ConsumerRecord::key).toList();
            System.out.printf("interactive request answered %d-th, behind %d queued batch requests%n",
                    order.indexOf("urgent") + 1, backlog.size());
            assertThat(order.indexOf("urgent")).isLessThan(30);
            Map<String, ChatResult> all = relay.awaitResults(backlog);
            assertThat(backlog).allSatisfy(id -> assertThat(all.get(id).status()).isEqualTo(ResultStatus.SUCCEEDED));
            assertThat(upstream.calls("busy")).isEqualTo(backlog.size() + 1);
        }
    }

    @Test
    void shouldHoldTheRequestsPerMinuteLimitAndExpireWhatCannotStartInTime() {
        // Given an account limited to 3 requests per minute
        upstream.script("metered", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [metered]
                accounts:
                  metered: { provider: openai-chat, baseUrl: "{{url:metered}}", requestsPerMinute: 3 }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When 6 requests due within 4 s arrive together
            Instant deadline = Instant.now().plusSeconds(4);
            List<String> ids = IntStream.rangeClosed(1, 6).mapToObj(i -> "metered-" + i).toList();
            ids.forEach(id -> relay.send(request(id, null, null, deadline)));

            // Then 3 are answered, and the 3 still queued at their deadline end as expired, with 504
            Map<String, ChatResult> results = relay.awaitResults(ids);
            assertThat(results.values()).filteredOn(r -> r.status() == ResultStatus.SUCCEEDED).hasSize(3);
            assertThat(results.values()).filteredOn(r -> r.status() == ResultStatus.EXPIRED).hasSize(3)
                    .allSatisfy(r -> {
                        assertThat(r.httpStatus()).isEqualTo(504);
                        assertThat(r.attempts()).isEmpty();
                        assertThat(r.completedAt()).isAfterOrEqualTo(deadline);
                    });
            assertThat(upstream.calls("metered")).isEqualTo(3);
            // And every expired request is dead-lettered for replay
            assertThat(relay.deadLetters(all -> all.size() >= 3)).hasSize(3);
        }
    }

    @Test
    void shouldLoseNoQueuedOrParkedAttemptAcrossARestart() {
        // Given an account that takes 2 calls at a time, each lasting 2 s, and a rate-limited one
        upstream.script("narrow", Behaviour.echo().after(Duration.ofSeconds(2)));
        upstream.script("resting", Behaviour.rateLimited(Duration.ofSeconds(3)), Behaviour.reply("after rest"));
        String yaml = """
                defaultPool: main
                pools:
                  main:
                    accounts: [narrow]
                  rest:
                    accounts: [resting]
                accounts:
                  narrow:  { provider: openai-chat, baseUrl: "{{url:narrow}}", maxInFlight: 2 }
                  resting: { provider: openai-chat, baseUrl: "{{url:resting}}" }
                """;
        List<String> queued = IntStream.rangeClosed(1, 8).mapToObj(i -> "queued-" + i).toList();
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            queued.forEach(id -> relay.send(request(id, null, null)));
            relay.send(request("parked", "rest", null));
            // When 2 calls are in flight, 6 attempts queued, and one parked until its cooldown ends (its 429
            // outcome is committed, and with it the next attempt)
            relay.outcomes(records -> records.stream().anyMatch(r -> r.key().equals("parked")));
            await().atMost(RelayHarness.WAIT).until(() -> upstream.inFlight("narrow") == 2);
            relay.stopProcessor();
            relay.startProcessorOnNewMachine();

            // Then every request is answered exactly once after the restart
            List<String> all = new java.util.ArrayList<>(queued);
            all.add("parked");
            Map<String, ChatResult> results = relay.awaitResults(all);
            assertThat(results.values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ResultStatus.SUCCEEDED));
            assertThat(relay.results(records -> records.size() >= all.size()))
                    .extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(all);
            assertThat(results.get("parked").attempts()).extracting(TrailEntry::outcome)
                    .containsExactly(OutcomeKind.RETRYABLE, OutcomeKind.SUCCESS);
            assertThat(upstream.peakConcurrency("narrow")).isLessThanOrEqualTo(2);
        }
    }
}
