package dev.tokenrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.ops.MetricNames;
import dev.tokenrelay.ops.scrape.MetricsScraper;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Upstream storms on three processor instances sharing one application id: timeouts, connection
 * resets, truncated streams, a 5xx storm, a 429 storm with {@code Retry-After}, every account down
 * and then back up, and an upstream that accepts calls and never answers.
 *
 * <p>Each storm has three accounts whose keys fall in three different partitions of the attempts
 * topic (six partitions, two per instance), so their calls are made by at least two instances. Two
 * accounts misbehave and the third answers: requests to the pool of all three must all succeed
 * after failover; requests to the pool of the two bad ones end as the README's rules say. After
 * every storm three things are checked:
 * <ul>
 *   <li>every request has exactly one result, with the status the README's rules give for its
 *       trail (see {@link #assertEndedAsTheReadmeSays});</li>
 *   <li>no account was called while it cooled, across instances: the simulated upstream's record
 *       of when each call started, against the cooldowns published on the {@code accounts} topic
 *       (see {@link #assertNoCallStartedInsideACooldown});</li>
 *   <li>nothing is stuck: once the upstream answers again, new requests to both pools succeed
 *       within seconds, and every instance reports no call in flight and no attempt queued.</li>
 * </ul>
 * Cooldowns are 1 s ({@code policy.defaultCooldown}, {@code Retry-After: 1}), calls time out after
 * 400 ms ({@code responseTimeout}), and requests carry deadlines of a few seconds, so each storm
 * lasts a few seconds. Same-account retries are off, so the accounts a request may still use are
 * exactly those of its pool not in its trail.
 */
class UpstreamStormsIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final int PARTITIONS = 6;
    private static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(400);
    /**
     * The deadline of requests whose storm does not depend on it: it only bounds the wait, so that
     * a request that could be served is not expired by a slow machine (this one is shared).
     */
    private static final Duration BOUND = Duration.ofSeconds(30);
    /** How soon after the storm a request to a recovered upstream must be answered: a cooldown and some. */
    private static final Duration PROMPTLY = Duration.ofSeconds(5);
    /**
     * How long after the processor read a response a call it had already started can still be
     * seen starting by the simulated upstream: the request's trip over a busy loopback, and a call
     * started by an HTTP thread in the instant between another call's answer arriving and that
     * answer blocking the account. Both are calls that were in flight when the cooldown began.
     */
    private static final Duration IN_FLIGHT_MARGIN = Duration.ofMillis(100);

    private static final Storm TIMEOUTS = new Storm("timeouts");
    private static final Storm RESETS = new Storm("resets");
    private static final Storm TRUNCATED = new Storm("truncated");
    private static final Storm SERVER_ERRORS = new Storm("server-errors");
    private static final Storm RATE_LIMITS = new Storm("rate-limits");
    private static final Storm ALL_DOWN = new Storm("all-down");
    private static final Storm SILENT = new Storm("silent");
    private static final List<Storm> STORMS =
            List.of(TIMEOUTS, RESETS, TRUNCATED, SERVER_ERRORS, RATE_LIMITS, ALL_DOWN, SILENT);

    /** The deadline each request was sent with, by id. */
    private static final Map<String, Instant> DEADLINES = new ConcurrentHashMap<>();

    private static RelayHarness relay;
    private SimulatedUpstream upstream;
    private Instant stormStart;

    @BeforeAll
    static void startThreeInstances() {
        relay = RelayHarness.start(KAFKA, UPSTREAM.get(), PARTITIONS, configuration());
        relay.startAnotherInstance();
        relay.startAnotherInstance();
        await().atMost(RelayHarness.WAIT).until(() ->
                relay.instances().stream().allMatch(i -> i.state() == KafkaStreams.State.RUNNING));
        // One round of healthy requests first, so that no storm pays for the JIT, the first
        // connections and the instances settling: the storms' timings are their own.
        STORMS.forEach(storm -> storm.accounts().forEach(account -> UPSTREAM.get().script(account, Behaviour.ok())));
        List<String> warmUp = new ArrayList<>();
        STORMS.forEach(storm -> warmUp.addAll(send(storm, "warm-up", storm.mixedPool(), 3, Instant.now().plus(BOUND))));
        results(warmUp);
    }

    @AfterAll
    static void stopInstances() {
        if (relay != null) {
            relay.close();
        }
    }

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
        stormStart = Instant.now();
    }

    @Test
    void shouldFailOverFromAccountsThatTimeOutAndAnswer504WhenOnlyTheyAreLeft() {
        // Given two accounts that answer only after the 400 ms response timeout, and one that answers
        script(TIMEOUTS, Behaviour.ok().after(Duration.ofSeconds(2)), Behaviour.ok());

        // When requests arrive for the pool of all three and for the pool of the slow two
        Instant deadline = Instant.now().plus(BOUND);
        List<String> mixed = send(TIMEOUTS, "mixed", TIMEOUTS.mixedPool(), 20, deadline);
        List<String> failing = send(TIMEOUTS, "failing", TIMEOUTS.failingPool(), 8, deadline);

        // Then every request of the first pool is answered by the account that answers
        Map<String, ChatResult> results = results(concat(mixed, failing));
        assertSucceededOn(TIMEOUTS.healthy(), mixed, results);
        assertThat(trails(results, mixed)).as("calls that timed out on the way")
                .anyMatch(entry -> entry.reason().equals("timeout"));
        // And the requests with only the slow accounts end with 504 once both timed out
        assertThat(failing).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(r.httpStatus()).isEqualTo(504);
            assertThat(r.error().type()).isEqualTo("upstream_timeout");
            assertThat(r.attempts()).extracting(TrailEntry::reason).containsExactly("timeout", "timeout");
        });
        assertStormObeyedTheRules(TIMEOUTS, results, true);
    }

    @Test
    void shouldFailOverFromConnectionResetsAndAnswer502WhenOnlyTheyAreLeft() {
        // Given two accounts that close every connection without an answer, and one that answers
        script(RESETS, Behaviour.reset(), Behaviour.ok());

        // When requests arrive for both pools
        Instant deadline = Instant.now().plus(BOUND);
        List<String> mixed = send(RESETS, "mixed", RESETS.mixedPool(), 20, deadline);
        List<String> failing = send(RESETS, "failing", RESETS.failingPool(), 8, deadline);

        // Then the first pool's requests succeed, and the others fail with 502: a reset is no timeout
        Map<String, ChatResult> results = results(concat(mixed, failing));
        assertSucceededOn(RESETS.healthy(), mixed, results);
        assertThat(failing).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(r.httpStatus()).isEqualTo(502);
            assertThat(r.attempts()).extracting(TrailEntry::reason).containsOnly("connection_reset");
        });
        // And a reset does not cool the account
        assertStormObeyedTheRules(RESETS, results, false);
    }

    @Test
    void shouldFailOverFromTruncatedStreamsAndAnswer502WhenOnlyTheyAreLeft() {
        // Given two accounts whose streams stop before their end, and one that answers
        script(TRUNCATED, Behaviour.truncatedStream(), Behaviour.ok());

        // When streamed requests arrive for both pools
        Instant deadline = Instant.now().plus(BOUND);
        List<String> mixed = send(TRUNCATED, "mixed", TRUNCATED.mixedPool(), 20, deadline);
        List<String> failing = send(TRUNCATED, "failing", TRUNCATED.failingPool(), 8, deadline);

        // Then a cut stream is never taken for an answer: the first pool succeeds on the healthy account,
        // the other pool fails with 502 after both its accounts sent a truncated stream
        Map<String, ChatResult> results = results(concat(mixed, failing));
        assertSucceededOn(TRUNCATED.healthy(), mixed, results);
        assertThat(failing).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(r.httpStatus()).isEqualTo(502);
            assertThat(r.attempts()).hasSize(2).extracting(TrailEntry::reason).containsOnly("truncated_stream");
        });
        assertStormObeyedTheRules(TRUNCATED, results, false);
    }

    @Test
    void shouldFailOverThroughA5xxStormAndPassTheLastStatusThroughWhenOnlyFailingAccountsAreLeft() {
        // Given one account answering 500 and one 503, each cooling 1 s after every answer, and a third that answers
        upstream.script(SERVER_ERRORS.accounts().get(0), Behaviour.status(500));
        upstream.script(SERVER_ERRORS.accounts().get(1), Behaviour.status(503));
        upstream.script(SERVER_ERRORS.healthy(), Behaviour.ok());

        // When requests arrive in three waves, each once the failing accounts have cooled and come back
        List<String> mixed = new ArrayList<>();
        List<String> failing = new ArrayList<>();
        for (int wave = 0; wave < 3; wave++) {
            Instant deadline = Instant.now().plus(BOUND);
            mixed.addAll(send(SERVER_ERRORS, "mixed-" + wave, SERVER_ERRORS.mixedPool(), 8, deadline));
            failing.addAll(send(SERVER_ERRORS, "failing-" + wave, SERVER_ERRORS.failingPool(), 4, deadline));
            results(concat(mixed, failing));
            await().atMost(Duration.ofSeconds(5)).until(() -> SERVER_ERRORS.accounts().subList(0, 2).stream()
                    .allMatch(account -> relay.processor().accountState(account)
                            .map(state -> !state.coolingAt(Instant.now())).orElse(false)));
        }

        // Then every request of the first pool succeeds after failover
        Map<String, ChatResult> results = results(concat(mixed, failing));
        assertSucceededOn(SERVER_ERRORS.healthy(), mixed, results);
        // And the others fail after both accounts answered, passing the last 5xx through
        assertThat(failing).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(r.error().type()).isEqualTo("upstream_error");
            assertThat(r.attempts()).extracting(TrailEntry::httpStatus).containsExactlyInAnyOrder(500, 503);
        });
        // And the failing accounts were called again once their cooldowns ended, never during them
        assertThat(upstream.calls(SERVER_ERRORS.accounts().get(0)) + upstream.calls(SERVER_ERRORS.accounts().get(1)))
                .isGreaterThan(2);
        assertStormObeyedTheRules(SERVER_ERRORS, results, true);
    }

    @Test
    void shouldWaitOutA429StormWithRetryAfterAndPassThe429OnlyWhenEveryAccountSentOne() {
        // Given three accounts that each answer their first 5 calls with 429 and Retry-After: 1
        Behaviour[] steps = Stream.concat(
                IntStream.range(0, 5).mapToObj(i -> Behaviour.rateLimited(Duration.ofSeconds(1))),
                Stream.of(Behaviour.ok())).toArray(Behaviour[]::new);
        RATE_LIMITS.accounts().forEach(account -> upstream.script(account, steps));

        // When 30 requests arrive at once for the three accounts, with time to wait
        Instant deadline = Instant.now().plus(BOUND);
        List<String> ids = send(RATE_LIMITS, "burst", RATE_LIMITS.mixedPool(), 30, deadline);

        // Then a request that met a 429 waited, as a record, for the next account's cooldown to end
        // and was served there; only one that met a 429 on every account passes the last one through
        Map<String, ChatResult> results = results(ids);
        assertThat(ids).map(results::get).allSatisfy(r -> {
            if (r.status() != ResultStatus.SUCCEEDED) {
                assertThat(r.httpStatus()).as("%s", r.id()).isEqualTo(429);
                assertThat(r.attempts()).extracting(TrailEntry::httpStatus).containsExactly(429, 429, 429);
            }
        });
        // And every 429 the upstream sent is in a trail
        int sent429 = RATE_LIMITS.accounts().stream().mapToInt(account -> Math.min(upstream.calls(account), 5)).sum();
        assertThat(sent429).isPositive();
        assertThat(trails(results, ids)).filteredOn(entry -> Integer.valueOf(429).equals(entry.httpStatus()))
                .hasSize(sent429);
        assertStormObeyedTheRules(RATE_LIMITS, results, true);
        // And each Retry-After was published as a cooldown of about a second from its 429
        assertThat(cooldowns(RATE_LIMITS, results).values()).allSatisfy(windows -> assertThat(windows)
                .allSatisfy(w -> assertThat(Duration.between(w.begin(), w.until()))
                        .isBetween(Duration.ofMillis(990), Duration.ofMillis(1500))));
    }

    @Test
    void shouldFailWhileEveryAccountIsDownAndServeAgainOnceTheyAreBackUp() {
        // Given every account of the pool answers 503
        script(ALL_DOWN, Behaviour.status(503), Behaviour.status(503));

        // When requests arrive while they are down
        Instant downDeadline = Instant.now().plusMillis(1500);
        List<String> down = send(ALL_DOWN, "down", ALL_DOWN.mixedPool(), 15, downDeadline);

        // Then none succeeds: each passes the last 503 through, or ends 503 because every account
        // left cools past its deadline, or expires
        Map<String, ChatResult> downResults = results(down);
        assertThat(down).map(downResults::get).allSatisfy(r -> {
            assertThat(r.status()).isIn(ResultStatus.FAILED, ResultStatus.EXPIRED);
            assertThat(r.httpStatus()).isIn(503, 504);
        });

        // When the accounts come back up while they still cool, and more requests arrive
        ALL_DOWN.accounts().forEach(account -> upstream.script(account, Behaviour.ok()));
        Instant upDeadline = Instant.now().plus(BOUND);
        List<String> up = send(ALL_DOWN, "up", ALL_DOWN.mixedPool(), 15, upDeadline);

        // Then every one of them is served, after the cooldowns it met
        Map<String, ChatResult> upResults = results(up);
        assertThat(up).map(upResults::get).allSatisfy(r -> assertThat(r.status()).isEqualTo(ResultStatus.SUCCEEDED));
        Map<String, ChatResult> results = new HashMap<>(downResults);
        results.putAll(upResults);
        Map<String, Instant> deadlines = new HashMap<>();
        down.forEach(id -> deadlines.put(id, downDeadline));
        up.forEach(id -> deadlines.put(id, upDeadline));
        assertStormObeyedTheRules(ALL_DOWN, results, true);
    }

    @Test
    void shouldBoundAnUpstreamThatNeverAnswersWithTheResponseTimeout() {
        // Given two accounts that accept calls and never answer, and one that answers
        script(SILENT, Behaviour.noAnswer(), Behaviour.ok());

        // When requests arrive for both pools
        Instant deadline = Instant.now().plus(BOUND);
        List<String> mixed = send(SILENT, "mixed", SILENT.mixedPool(), 20, deadline);
        List<String> failing = send(SILENT, "failing", SILENT.failingPool(), 8, deadline);

        // Then the first pool's requests succeed, and the others end with 504 once both timed out
        Map<String, ChatResult> results = results(concat(mixed, failing));
        assertSucceededOn(SILENT.healthy(), mixed, results);
        assertThat(failing).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ResultStatus.FAILED);
            assertThat(r.httpStatus()).isEqualTo(504);
            assertThat(r.error().type()).isEqualTo("upstream_timeout");
        });
        // And the processor let go of every call it gave up on
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(SILENT.accounts())
                .allSatisfy(account -> assertThat(upstream.inFlight(account)).isZero()));
        assertStormObeyedTheRules(SILENT, results, true);
    }

    // ---- the checks every storm ends with

    /**
     * @param cools whether the storm's failures cool accounts: then there must be published
     *              cooldowns to check, else there must be none
     */
    private void assertStormObeyedTheRules(Storm storm, Map<String, ChatResult> results, boolean cools) {
        // Exactly one result per request
        List<ConsumerRecord<String, ChatResult>> all = relay.allResults();
        assertThat(all).filteredOn(r -> results.containsKey(r.key())).extracting(ConsumerRecord::key)
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(results.keySet());

        Map<String, List<Window>> cooldowns = cooldowns(storm, results);
        List<Window> duringStorm = cooldowns.values().stream().flatMap(List::stream)
                .filter(w -> w.begin().isAfter(stormStart)).toList();
        if (cools) {
            assertThat(duringStorm).as("cooldowns published during the storm").isNotEmpty();
        } else {
            assertThat(duringStorm).as("cooldowns published during the storm").isEmpty();
        }
        results.forEach((id, result) -> assertEndedAsTheReadmeSays(result, DEADLINES.get(id), storm.poolOf(result),
                cooldowns));
        assertNoCallStartedInsideACooldown(storm, cooldowns);
        assertNothingStuck(storm);
    }

    /**
     * The README's rules ("Outcomes and failover"), read from the result's trail: a success ends
     * on a 2xx; an expired request ends with 504 once its deadline has passed; a failed one passes
     * the last non-2xx upstream response through with its status, else ends with 503 when every
     * account of its pool it had not tried was cooling past its deadline, else with 504 when its
     * last call timed out, else with 502.
     */
    private static void assertEndedAsTheReadmeSays(ChatResult result, Instant deadline, List<String> pool,
            Map<String, List<Window>> cooldowns) {
        List<TrailEntry> trail = result.attempts();
        switch (result.status()) {
            case SUCCEEDED -> {
                assertThat(result.httpStatus()).as("%s", result.id()).isBetween(200, 299);
                assertThat(trail.get(trail.size() - 1).outcome()).isEqualTo(OutcomeKind.SUCCESS);
            }
            case EXPIRED -> {
                assertThat(result.httpStatus()).as("%s", result.id()).isEqualTo(504);
                assertThat(result.completedAt()).as("%s", result.id()).isAfterOrEqualTo(deadline);
            }
            case FAILED -> {
                Optional<TrailEntry> lastResponse = trail.stream()
                        .filter(e -> e.httpStatus() != null && (e.httpStatus() < 200 || e.httpStatus() > 299))
                        .reduce((first, second) -> second);
                if (lastResponse.isPresent()) {
                    assertThat(result.httpStatus()).as("%s passes its last upstream status through", result.id())
                            .isEqualTo(lastResponse.get().httpStatus());
                    assertThat(result.error().type()).isEqualTo("upstream_error");
                } else if (result.error().type().equals("no_account_available")) {
                    assertThat(result.httpStatus()).as("%s", result.id()).isEqualTo(503);
                    Set<String> tried = trail.stream().map(TrailEntry::account).collect(Collectors.toSet());
                    assertThat(pool).filteredOn(account -> !tried.contains(account))
                            .as("%s: the accounts it had left were cooling past its deadline", result.id())
                            .isNotEmpty()
                            .allSatisfy(account -> assertThat(cooldowns.getOrDefault(account, List.of()))
                                    .anyMatch(w -> !w.begin().isAfter(result.completedAt())
                                            && !w.until().isBefore(deadline)));
                } else if (!trail.isEmpty() && trail.get(trail.size() - 1).reason().equals("timeout")) {
                    assertThat(result.httpStatus()).as("%s", result.id()).isEqualTo(504);
                    assertThat(result.error().type()).isEqualTo("upstream_timeout");
                } else {
                    assertThat(result.httpStatus()).as("%s", result.id()).isEqualTo(502);
                }
            }
            default -> throw new AssertionError(result.id() + " ended " + result.status());
        }
    }

    /**
     * No account was called while it cooled. A published cooldown is a state on the
     * {@code accounts} topic with a {@code coolingUntil}; it began when the processor had the
     * response that caused it, the end of that attempt as its outcome records it ({@code startedAt}
     * + {@code latencyMs}, in this JVM's clock, which the simulated upstream reads too). A call
     * started inside it when the upstream saw it start:
     * <ul>
     *   <li>more than {@link #IN_FLIGHT_MARGIN} after that response: any earlier call may have been
     *       started before the cooldown began and still been on its way;</li>
     *   <li>strictly before {@code coolingUntil}: cooldowns are kept in whole milliseconds and an
     *       account may be called again from that millisecond on, and the upstream reads the clock
     *       after the processor did; or before the state that cut the cooldown short (a success
     *       clears it, as the README says), if one did.</li>
     * </ul>
     * Every instance's calls count: an account's calls may move between instances, its cooldown
     * must not be forgotten on the way.
     */
    private void assertNoCallStartedInsideACooldown(Storm storm, Map<String, List<Window>> cooldowns) {
        for (String account : storm.accounts()) {
            List<Instant> starts = upstream.callStarts(account);
            for (Window cooldown : cooldowns.getOrDefault(account, List.of())) {
                Instant from = cooldown.begin().plus(IN_FLIGHT_MARGIN);
                assertThat(starts).as("calls of %s that started inside its cooldown %s", account, cooldown)
                        .noneMatch(start -> start.isAfter(from) && start.isBefore(cooldown.end()));
            }
        }
    }

    /**
     * The cooldowns published for the storm's accounts, each with when it began. Every outcome of
     * the storm's requests is read first: each state is written in the transaction of the outcome
     * that caused it, so all of them are on the accounts topic by then.
     */
    private Map<String, List<Window>> cooldowns(Storm storm, Map<String, ChatResult> results) {
        long attempts = results.values().stream().mapToLong(r -> r.attempts().size()).sum();
        List<ConsumerRecord<String, AttemptOutcome>> read = relay.outcomes(records -> records.stream()
                .filter(r -> results.containsKey(r.key())).count() >= attempts);
        assertThat(read).filteredOn(r -> results.containsKey(r.key())).as("outcomes of the storm's requests")
                .hasSize((int) attempts);
        // Every outcome on the topic, not only the storm's: a cooldown caused before the storm
        // (by the warm-up) may still run when it begins.
        List<AttemptOutcome> outcomes = read.stream().map(ConsumerRecord::value)
                .filter(o -> storm.accounts().contains(o.attempt().account())).toList();
        Map<String, Map<Instant, Instant>> causes = new HashMap<>();
        for (AttemptOutcome outcome : outcomes) {
            if (outcome.cooldownUntil() != null) {
                TrailEntry entry = outcome.attempt();
                Instant answered = entry.startedAt().plusMillis(entry.latencyMs());
                causes.computeIfAbsent(entry.account(), a -> new HashMap<>())
                        .merge(outcome.cooldownUntil(), answered, (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        Set<String> needed = new HashSet<>();
        causes.forEach((account, untils) -> untils.keySet().forEach(until -> needed.add(account + "@" + until)));
        // In the order written: the accounts topic has one partition.
        List<AccountState> states = relay.accountStates(all -> all.stream()
                        .map(r -> r.value().account() + "@" + r.value().coolingUntil()).collect(Collectors.toSet())
                        .containsAll(needed))
                .stream().map(ConsumerRecord::value).filter(s -> storm.accounts().contains(s.account())).toList();
        Map<String, List<Window>> windows = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < states.size(); i++) {
            AccountState state = states.get(i);
            if (state.coolingUntil() == null || !seen.add(state.account() + "@" + state.coolingUntil())) {
                continue;
            }
            Instant begin = causes.getOrDefault(state.account(), Map.of()).get(state.coolingUntil());
            assertThat(begin).as("the outcome that cooled %s until %s", state.account(), state.coolingUntil())
                    .isNotNull();
            windows.computeIfAbsent(state.account(), a -> new ArrayList<>())
                    .add(new Window(begin, state.coolingUntil(), endOf(state, states.subList(i + 1, states.size()))));
        }
        assertThat(seen).as("every cooldown the outcomes asked for was published").containsAll(needed);
        return windows;
    }

    /**
     * When a published cooldown ended: at its {@code coolingUntil}, or earlier when a later state
     * of the account cut it short (a success clears a cooldown, and a later outcome sets the
     * account's cooldown anew): from that state's {@code updatedAt} on, the account was free to
     * be called as far as the topic said.
     */
    private static Instant endOf(AccountState cooling, List<AccountState> later) {
        for (AccountState next : later) {
            if (!next.account().equals(cooling.account()) || cooling.coolingUntil().equals(next.coolingUntil())) {
                continue;
            }
            if (next.coolingUntil() == null || next.coolingUntil().isBefore(cooling.coolingUntil())) {
                return next.updatedAt().isBefore(cooling.coolingUntil()) ? next.updatedAt() : cooling.coolingUntil();
            }
            return cooling.coolingUntil();
        }
        return cooling.coolingUntil();
    }

    /**
     * Once the upstream answers again, new requests to both pools are answered promptly (after at
     * most the cooldowns still running), and no instance holds a call or an attempt any more.
     */
    private void assertNothingStuck(Storm storm) {
        storm.accounts().forEach(account -> upstream.script(account, Behaviour.ok()));
        Instant sent = Instant.now();
        Instant deadline = sent.plus(RelayHarness.WAIT);
        List<String> after = concat(send(storm, "after-" + System.nanoTime(), storm.mixedPool(), 3, deadline),
                send(storm, "after-" + System.nanoTime(), storm.failingPool(), 3, deadline));
        Map<String, ChatResult> results = results(after);
        assertThat(after).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).as("%s after the storm", r.id()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(r.completedAt()).as("%s answered promptly", r.id()).isBefore(sent.plus(PROMPTLY));
        });
        MetricsScraper scraper = new MetricsScraper(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (TokenRelay instance : relay.instances()) {
                PrometheusText metrics = scraper.scrape(instance.opsUri().orElseThrow().resolve("/metrics"));
                assertThat(metrics.sum(MetricNames.PROM_CALLS_IN_FLIGHT, labels -> true)).as("calls in flight")
                        .isZero();
                assertThat(metrics.sum(MetricNames.PROM_ATTEMPTS_QUEUED, labels -> true)).as("attempts queued")
                        .isZero();
            }
        });
    }

    // ---- the storms' setup

    private void script(Storm storm, Behaviour failing, Behaviour healthy) {
        storm.accounts().subList(0, 2).forEach(account -> upstream.script(account, failing));
        upstream.script(storm.healthy(), healthy);
    }

    /** Sends {@code count} requests to {@code pool}, streamed in the truncated-stream storm. */
    private static List<String> send(Storm storm, String wave, String pool, int count, Instant deadline) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = storm.name() + "/" + wave + "/" + i;
            ChatRequest request = RelayHarness.request(id, pool, null, deadline);
            if (storm == TRUNCATED) {
                ObjectNode body = request.body().deepCopy().put("stream", true);
                request = new ChatRequest(id, 0, body, pool, null, deadline, null);
            }
            relay.send(request);
            DEADLINES.put(id, deadline);
            ids.add(id);
        }
        return ids;
    }

    /** Waits for the results of {@code ids} and returns those (the harness returns every result it read). */
    private static Map<String, ChatResult> results(List<String> ids) {
        Map<String, ChatResult> all = relay.awaitResults(ids);
        Map<String, ChatResult> mine = new HashMap<>();
        ids.forEach(id -> mine.put(id, all.get(id)));
        return mine;
    }

    private static void assertSucceededOn(String account, List<String> ids, Map<String, ChatResult> results) {
        assertThat(ids).map(results::get).allSatisfy(r -> {
            assertThat(r.status()).as("%s", r.id()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(r.attempts().get(r.attempts().size() - 1).account()).isEqualTo(account);
        });
    }

    private static List<TrailEntry> trails(Map<String, ChatResult> results, Collection<String> ids) {
        return ids.stream().flatMap(id -> results.get(id).attempts().stream()).toList();
    }

    private static List<String> concat(List<String> first, List<String> second) {
        return Stream.concat(first.stream(), second.stream()).toList();
    }

    private static String configuration() {
        StringBuilder pools = new StringBuilder("defaultPool: ").append(TIMEOUTS.mixedPool()).append("\npools:\n");
        StringBuilder accounts = new StringBuilder("accounts:\n");
        for (Storm storm : STORMS) {
            pools.append("  ").append(storm.mixedPool()).append(": { strategy: round-robin, accounts: ")
                    .append(storm.accounts()).append(" }\n");
            pools.append("  ").append(storm.failingPool()).append(": { strategy: round-robin, accounts: ")
                    .append(storm.accounts().subList(0, 2)).append(" }\n");
            for (String account : storm.accounts()) {
                accounts.append("  ").append(account).append(": { provider: openai-chat, baseUrl: \"{{url:")
                        .append(account).append("}}\", responseTimeout: ").append(RESPONSE_TIMEOUT.toMillis())
                        .append("ms }\n");
            }
        }
        return pools + accounts.toString() + """
                policy:
                  defaultCooldown: 1s
                retry:
                  sameAccountRetries: 0
                """;
    }

    /**
     * A published cooldown: when it began (the response that caused it), the {@code coolingUntil}
     * it was published with, and when it ended (see {@link #endOf}).
     */
    private record Window(Instant begin, Instant until, Instant end) {}

    /**
     * One storm's three accounts, chosen so that their keys fall in three different partitions of
     * the attempts topic, and its two pools: all three ({@code mixed}), and the first two
     * ({@code failing}), which misbehave.
     */
    private record Storm(String name, List<String> accounts) {

        Storm(String name) {
            this(name, spread(name));
        }

        String mixedPool() {
            return name + "-mixed";
        }

        String failingPool() {
            return name + "-failing";
        }

        String healthy() {
            return accounts.get(2);
        }

        List<String> poolOf(ChatResult result) {
            return result.id().contains("/failing") ? accounts.subList(0, 2) : accounts;
        }

        private static List<String> spread(String name) {
            Set<Integer> partitions = new HashSet<>();
            List<String> accounts = new ArrayList<>();
            for (int i = 0; accounts.size() < 3; i++) {
                String account = name + "-" + i;
                // The default partitioner's choice for a keyed record: attempts are keyed by account.
                int partition = Utils.toPositive(Utils.murmur2(account.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
                if (partitions.add(partition)) {
                    accounts.add(account);
                }
            }
            return List.copyOf(accounts);
        }
    }
}
