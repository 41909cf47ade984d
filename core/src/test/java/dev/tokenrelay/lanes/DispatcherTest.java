package dev.tokenrelay.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.classify.AnswerReader;
import dev.tokenrelay.classify.Conversion;
import dev.tokenrelay.classify.UpstreamCall;
import dev.tokenrelay.classify.UpstreamExchange;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.Priority;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.testing.AccountStatesFixture;
import dev.tokenrelay.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Dispatch's decisions with no broker and no HTTP: attempts go in, the test answers the calls and
 * moves the clock, and what the dispatcher emits comes out. Every case runs in milliseconds and
 * holds however slow the machine, because time moves only when the test moves it.
 */
class DispatcherTest {

    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    private static final String OK = """
            {"id": "c-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
            """;
    private static final String ACCOUNTS = """
            accounts:
              a: {provider: openai-chat, baseUrl: "https://a.example.com/v1", maxInFlight: 2}
              b: {provider: openai-chat, baseUrl: "https://b.example.com/v1", maxInFlight: 2}
            pools:
              main:
                accounts: [a, b]
            defaultPool: main
            """;

    private final ManualClock clock = ManualClock.at(START);
    private final FakeUpstream upstream = new FakeUpstream();
    private final TreeMap<byte[], byte[]> store = new TreeMap<>(Arrays::compareUnsigned);
    private final List<Emission> emitted = new ArrayList<>();
    private final Set<String> cancelled = new HashSet<>();
    private long cancellationsVersion;
    private Dispatcher dispatcher;
    private int requests;

    @Test
    void shouldStartNoMoreCallsThanTheInFlightLimitAndFillAFreedSlotWithoutWaitingForTheDrain() {
        // Given account a, limited to 2 calls in flight, and three requests pinned to it
        start(ACCOUNTS);
        Attempt first = accept(pinned("a"));
        accept(pinned("a"));
        Attempt third = accept(pinned("a"));

        // Then two calls start, and the third waits in the queue, held in the store
        assertThat(upstream.open("a")).isEqualTo(2);
        assertThat(stored()).containsKey(third.key());

        // When one call is answered, before the stream thread drains anything
        upstream.answer("a", 200, OK, Map.of());

        // Then the freed slot goes to the third at once
        assertThat(upstream.started("a")).isEqualTo(3);
        assertThat(upstream.open("a")).isEqualTo(2);

        // And the drain writes the first request's result and outcome and clears it from the store
        dispatcher.drain();
        assertThat(results()).singleElement().satisfies(result -> {
            assertThat(result.id()).isEqualTo(first.request().id());
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.completion().at("/choices/0/message/content").asText()).isEqualTo("hello");
        });
        assertThat(emitted).filteredOn(Emission.ToOutcomes.class::isInstance).hasSize(1);
        assertThat(stored()).doesNotContainKey(first.key()).containsKey(third.key());
    }

    @Test
    void shouldBeIdleOnlyWhenNothingIsRunningWaitingOrUndrained() {
        // Given a dispatcher that has seen nothing
        start(ACCOUNTS);
        assertThat(dispatcher.idle()).isTrue();

        // When three requests arrive for a, limited to 2 calls, Then it is busy
        accept(pinned("a"));
        accept(pinned("a"));
        accept(pinned("a"));
        assertThat(dispatcher.idle()).isFalse();

        // When two calls end and are drained, one still runs: busy
        upstream.answer("a", 200, OK, Map.of());
        upstream.answer("a", 200, OK, Map.of());
        dispatcher.drain();
        assertThat(dispatcher.idle()).isFalse();

        // When the last call ends, it is busy until the drain has written its result
        upstream.answer("a", 200, OK, Map.of());
        assertThat(dispatcher.idle()).isFalse();
        dispatcher.drain();
        assertThat(results()).hasSize(3);
        assertThat(dispatcher.idle()).isTrue();
    }

    @Test
    void shouldNotCallACoolingAccountAgainBeforeItsRetryAfterEnds() {
        // Given a pool of one account, a, which answers a request's first call with 429 and Retry-After: 2
        start(ACCOUNTS.replace("defaultPool: main", """
                  solo:
                    accounts: [a]
                defaultPool: main"""));
        accept(inPool("solo"));
        upstream.answer("a", 429, "{\"error\": {\"message\": \"slow down\"}}", Map.of("retry-after", "2"));

        // When the drain decides: the account cools for 2 s, and the retry on it waits for that
        dispatcher.drain();
        AccountState cooling = lastAccountState("a");
        assertThat(cooling.coolingUntil()).isEqualTo(START.plusSeconds(2));
        Attempt retry = nextAttempts().get(0);
        assertThat(retry.account()).isEqualTo("a");
        assertThat(retry.number()).isEqualTo(2);
        accept(retry);

        // Then no call starts a millisecond before the cooldown ends
        clock.advance(Duration.ofMillis(1999));
        dispatcher.drain();
        assertThat(upstream.started("a")).isEqualTo(1);

        // And the retry starts once it has ended, and succeeds
        clock.advance(Duration.ofMillis(2));
        dispatcher.drain();
        assertThat(upstream.started("a")).isEqualTo(2);
        upstream.answer("a", 200, OK, Map.of());
        dispatcher.drain();
        assertThat(results()).singleElement().satisfies(result -> {
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(result.attempts()).extracting(TrailEntry::httpStatus).containsExactly(429, 200);
        });
    }

    @Test
    void shouldSendTheQueuedAttemptsOfACoolingAccountToTheNextAccount() {
        // Given account a with one slot, a call in flight and an unpinned request queued behind it
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b"));
        accept(unpinned());
        Attempt queued = accept(unpinned());

        // When the call in flight meets a 429 that cools a for a minute
        upstream.answer("a", 429, "{}", Map.of("retry-after", "60"));
        dispatcher.drain();

        // Then neither request waits for a: both go on to b, and a is not called again
        assertThat(nextAttempts()).extracting(Attempt::account).containsOnly("b");
        assertThat(nextAttempts()).extracting(attempt -> attempt.request().id()).contains(queued.request().id());
        assertThat(upstream.started("a")).isEqualTo(1);
        assertThat(stored()).isEmpty();
    }

    @Test
    void shouldExpireAnAttemptStillWaitingWhenItsDeadlinePasses() {
        // Given account a with one slot taken, and a request behind it whose deadline is 5 s away
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b"));
        accept(pinned("a"));
        Attempt waiting = accept(withDeadline("a", START.plusSeconds(5)));

        // When the clock reaches a millisecond before the deadline
        clock.advance(Duration.ofMillis(4999));
        dispatcher.drain();

        // Then it still waits
        assertThat(results()).isEmpty();

        // When the deadline passes
        clock.advance(Duration.ofMillis(1));
        dispatcher.drain();

        // Then it ends expired, without a call, and leaves the store
        assertThat(results()).singleElement().satisfies(result -> {
            assertThat(result.id()).isEqualTo(waiting.request().id());
            assertThat(result.status()).isEqualTo(ResultStatus.EXPIRED);
        });
        assertThat(upstream.started("a")).isEqualTo(1);
        assertThat(stored()).doesNotContainKey(waiting.key());
    }

    @Test
    void shouldDisableAFailingAccountAndProbeItWithOneCallWhenTheProbeIsDue() {
        // Given a rule that disables an account after one failure and probes it 10 s later
        start(ACCOUNTS + """
                retry:
                  sameAccountRetries: 0
                policy:
                  defaultCooldown: 1s
                  disable: {afterFailures: 1, within: 1m, probeAfter: 10s}
                """);
        accept(pinned("a"));
        upstream.answer("a", 500, "{}", Map.of());
        dispatcher.drain();
        AccountState disabled = lastAccountState("a");
        assertThat(disabled.disabled()).isTrue();
        assertThat(disabled.probeAt()).isEqualTo(START.plusSeconds(10));

        // When two requests pinned to it arrive while it is disabled
        accept(pinned("a"));
        accept(pinned("a"));
        clock.advance(Duration.ofMillis(9999));
        dispatcher.drain();

        // Then it is not called before the probe
        assertThat(upstream.started("a")).isEqualTo(1);

        // When the probe is due
        clock.advance(Duration.ofMillis(1));
        dispatcher.drain();

        // Then exactly one call probes it, though its limit is 2
        assertThat(upstream.started("a")).isEqualTo(2);
        assertThat(upstream.open("a")).isEqualTo(1);

        // And a successful probe enables it again, and the other request follows
        upstream.answer("a", 200, OK, Map.of());
        dispatcher.drain();
        assertThat(lastAccountState("a").disabled()).isFalse();
        dispatcher.drain();
        assertThat(upstream.started("a")).isEqualTo(3);
    }

    @Test
    void shouldFailOverAServerErrorToTheNextAccountWithTheTrail() {
        // Given an unpinned request on account a, with no retry on the same account
        start(ACCOUNTS + """
                retry:
                  sameAccountRetries: 0
                """);
        accept(unpinned());

        // When a answers 500
        upstream.answer("a", 500, "{\"error\": {\"message\": \"boom\"}}", Map.of());
        dispatcher.drain();

        // Then the next attempt goes to b, carrying a's failure in its trail, and no result is written
        assertThat(nextAttempts()).singleElement().satisfies(next -> {
            assertThat(next.account()).isEqualTo("b");
            assertThat(next.trail()).extracting(TrailEntry::account, TrailEntry::outcome, TrailEntry::httpStatus)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("a", OutcomeKind.RETRYABLE, 500));
        });
        assertThat(results()).isEmpty();
    }

    @Test
    void shouldTakeBackStoredAttemptsInTheOrderTheyArrived() {
        // Given a one-slot account with a call running and two attempts queued behind it
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b"));
        Attempt early = accept(pinned("a"));
        Attempt middle = accept(pinned("a"));
        accept(pinned("a"));

        // When the task closes and starts again over the same store
        dispatcher.close();
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b"));
        int accounts = dispatcher.recover();

        // Then the account's queue is back, and the call that was running is made again first
        assertThat(accounts).isEqualTo(1);
        assertThat(stored()).hasSize(3);
        assertThat(upstream.requests("a")).containsExactly(early.request().id(), early.request().id());
        upstream.answer("a", 200, OK, Map.of());
        dispatcher.drain();
        assertThat(upstream.requests("a")).endsWith(middle.request().id());
    }

    @Test
    void shouldKeepOnlyTheWindowOnTheHeapAndStartTheRestFromTheStoreInArrivalOrder() {
        // Given account a with 2 calls in flight and a window of 3, and 20 requests pinned to it
        start(ACCOUNTS + "processor: {queueWindow: 3}\n");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(accept(pinned("a")).request().id());
        }

        // Then 2 calls run, every attempt is in the store, and the heap holds the running and the window only
        assertThat(upstream.open("a")).isEqualTo(2);
        assertThat(stored()).hasSize(20);
        assertThat(dispatcher.attemptsOnHeap()).isEqualTo(5);
        assertThat(dispatcher.queued("a")).isEqualTo(20);

        // When every call is answered, the drain topping the window up from the store
        while (upstream.open("a") > 0) {
            upstream.answer("a", 200, OK, Map.of());
            dispatcher.drain();
            assertThat(dispatcher.attemptsOnHeap()).isLessThanOrEqualTo(5);
        }

        // Then all 20 were called once, in the order they arrived, and nothing is left
        assertThat(upstream.requests("a")).containsExactlyElementsOf(ids);
        assertThat(results()).hasSize(20);
        assertThat(stored()).isEmpty();
        assertThat(store.keySet()).noneMatch(key -> key[0] == 'D' || key[0] == 'C');
        assertThat(dispatcher.queued("a")).isZero();
    }

    @Test
    void shouldTakeBackOnlyTheWindowAfterARestart() {
        // Given 50 attempts queued for a one-slot account with a window of 2
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 2}\n");
        for (int i = 0; i < 50; i++) {
            accept(pinned("a"));
        }
        dispatcher.close();

        // When the task starts again over the same store
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 2}\n");
        dispatcher.recover();
        dispatcher.drain();

        // Then the heap holds the running call and the window, the store all 50, and new attempts get new places
        assertThat(dispatcher.attemptsOnHeap()).isEqualTo(3);
        assertThat(stored()).hasSize(50);
        Attempt late = accept(pinned("a"));
        assertThat(stored()).hasSize(51).containsKey(late.key());
    }

    @Test
    void shouldParkAnAttemptInTheStoreUntilItsStartTime() {
        // Given an attempt for a that must not start before 3 s from now
        start(ACCOUNTS);
        Attempt later = attempt(pinned("a"));
        Attempt parked = new Attempt(later.request(), 1, "a", "main", List.of(), null, START, null,
                START.plusSeconds(3));
        accept(parked);

        // Then it waits in the store, not on the heap
        assertThat(upstream.started("a")).isZero();
        assertThat(stored()).containsKey(parked.key());
        assertThat(dispatcher.attemptsOnHeap()).isZero();

        // When the clock passes its start time, then the drain starts it
        clock.advance(Duration.ofMillis(2999));
        dispatcher.drain();
        assertThat(upstream.started("a")).isZero();
        clock.advance(Duration.ofMillis(1));
        dispatcher.drain();
        assertThat(upstream.started("a")).isEqualTo(1);
    }

    @Test
    void shouldExpireAttemptsWaitingInTheStoreWithoutReadingThemIntoTheWindow() {
        // Given a one-slot account with a window of 1, a call running and 5 attempts behind it due in 5 s
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 1}\n");
        accept(pinned("a"));
        for (int i = 0; i < 5; i++) {
            accept(withDeadline("a", START.plusSeconds(5)));
        }

        // When the deadline passes
        clock.advance(Duration.ofSeconds(5));
        dispatcher.drain();

        // Then all 5 end expired with no call, and only the running attempt is left
        assertThat(results()).hasSize(5).allSatisfy(result -> assertThat(result.status()).isEqualTo(ResultStatus.EXPIRED));
        assertThat(upstream.started("a")).isEqualTo(1);
        assertThat(stored()).hasSize(1);
        assertThat(store.keySet()).noneMatch(key -> key[0] == 'D');
    }

    @Test
    void shouldStartAnInteractiveRequestBeforeABacklogOfBatchRequestsQueuedInTheStore() {
        // Given a one-slot account with a window of 2, and 30 batch requests queued behind a running call
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 2}\n");
        for (int i = 0; i < 31; i++) {
            accept(withPriority(pinned("a"), Priority.BATCH));
        }

        // When an interactive request arrives, and the running call ends
        Attempt interactive = accept(withPriority(pinned("a"), Priority.INTERACTIVE));
        upstream.answer("a", 200, OK, Map.of());

        // Then the freed slot goes to the interactive request, ahead of all 30
        assertThat(upstream.requests("a")).hasSize(2).last().isEqualTo(interactive.request().id());
        assertThat(dispatcher.attemptsOnHeap()).isLessThanOrEqualTo(4);
    }

    @Test
    void shouldLetTheOldestBatchRequestThroughAfterNineInteractiveOnes() {
        // Given a one-slot account with a batch request queued before 20 interactive ones
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 3}\n");
        accept(pinned("a"));
        Attempt batch = accept(withPriority(pinned("a"), Priority.BATCH));
        for (int i = 0; i < 20; i++) {
            accept(withPriority(pinned("a"), Priority.INTERACTIVE));
        }

        // When twelve calls end one after another
        for (int i = 0; i < 12; i++) {
            upstream.answer("a", 200, OK, Map.of());
            dispatcher.drain();
        }

        // Then the batch request, evicted from a window full of interactive ones, starts after nine or ten of them
        // (the first start passed it over before the drain brought it back to the heap)
        assertThat(upstream.requests("a").indexOf(batch.request().id())).isBetween(10, 11);
    }

    @Test
    void shouldEndTheWaitingAttemptsOfCancelledRequestsWithNoCall() {
        // Given a one-slot account with a window of 2: one call running and 9 attempts waiting, most in the store
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 2}\n");
        Attempt running = accept(pinned("a"));
        List<Attempt> waiting = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            waiting.add(accept(pinned("a")));
        }

        // When all ten are cancelled, and the drain runs
        cancelled.add(running.request().id());
        waiting.forEach(attempt -> cancelled.add(attempt.request().id()));
        cancellationsVersion++;
        dispatcher.drain();

        // Then the nine waiting end cancelled without a call, and the running call goes on
        assertThat(results()).hasSize(9).allSatisfy(result -> {
            assertThat(result.status()).isEqualTo(ResultStatus.CANCELLED);
            assertThat(result.error().type()).isEqualTo("cancelled");
        });
        assertThat(upstream.started("a")).isEqualTo(1);
        assertThat(stored()).containsOnlyKeys(running.key());

        // And when the running call succeeds, its answer is the result
        upstream.answer("a", 200, OK, Map.of());
        dispatcher.drain();
        assertThat(results()).filteredOn(result -> result.id().equals(running.request().id()))
                .singleElement().extracting(ChatResult::status).isEqualTo(ResultStatus.SUCCEEDED);
    }

    @Test
    void shouldNotFailOverACallThatWasRunningWhenItsRequestWasCancelled() {
        // Given an unpinned request whose call on a is running
        start(ACCOUNTS);
        Attempt attempt = accept(unpinned());

        // When it is cancelled, and then a answers 500 (which would fail over to b)
        cancelled.add(attempt.request().id());
        cancellationsVersion++;
        upstream.answer("a", 500, "{}", Map.of());
        dispatcher.drain();

        // Then it ends cancelled with the call in its trail, and b is not called
        assertThat(results()).singleElement().satisfies(result -> {
            assertThat(result.status()).isEqualTo(ResultStatus.CANCELLED);
            assertThat(result.attempts()).extracting(TrailEntry::account).containsExactly("a");
        });
        assertThat(nextAttempts()).isEmpty();
        assertThat(upstream.started("b")).isZero();
    }

    @Test
    void shouldEndAnAttemptOfACancelledRequestOnArrival() {
        // Given a cancelled request
        start(ACCOUNTS);
        Attempt attempt = attempt(pinned("a"));
        cancelled.add(attempt.request().id());

        // When its attempt arrives
        accept(attempt);

        // Then it ends cancelled, with no call and nothing stored
        assertThat(results()).singleElement().extracting(ChatResult::status).isEqualTo(ResultStatus.CANCELLED);
        assertThat(upstream.started("a")).isZero();
        assertThat(stored()).isEmpty();
    }

    @Test
    void shouldKeepTheDeadlinesOfTheWindowOnTheHeapAndThoseOfTheBacklogInTheStore() {
        // Given a one-slot account with a window of 1, and three requests due in 5 s
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 1}\n");
        Attempt running = accept(withDeadline("a", START.plusSeconds(5)));
        Attempt window = accept(withDeadline("a", START.plusSeconds(5)));
        Attempt backlog = accept(withDeadline("a", START.plusSeconds(5)));

        // Then only the attempt waiting in the store has a deadline entry there
        assertThat(store.keySet()).filteredOn(key -> key[0] == 'D').hasSize(1);

        // When the task restarts, so the window is read back from the store, and the deadline passes
        dispatcher.close();
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 1}\n");
        dispatcher.recover();
        dispatcher.drain();
        clock.advance(Duration.ofSeconds(5));
        dispatcher.drain();

        // Then both waiting attempts end expired, with or without an entry, and the running call goes on
        assertThat(results()).extracting(ChatResult::id)
                .containsExactlyInAnyOrder(window.request().id(), backlog.request().id());
        assertThat(stored()).containsOnlyKeys(running.key());
    }

    @Test
    void shouldSendACoolingAccountsBacklogInTheStoreToTheNextAccountAWindowAtATime() {
        // Given account a with one slot and a window of 2, a call in flight and 9 unpinned requests behind it
        start(ACCOUNTS.replace("maxInFlight: 2}\n  b", "maxInFlight: 1}\n  b") + "processor: {queueWindow: 2}\n");
        for (int i = 0; i < 10; i++) {
            accept(unpinned());
        }

        // When the call meets a 429 that cools a for a minute, and the drain runs a few times
        upstream.answer("a", 429, "{}", Map.of("retry-after", "60"));
        for (int i = 0; i < 6; i++) {
            dispatcher.drain();
        }

        // Then all ten go on to b, a is not called again, and nothing is left behind
        assertThat(nextAttempts()).extracting(Attempt::account).hasSize(10).containsOnly("b");
        assertThat(upstream.started("a")).isEqualTo(1);
        assertThat(stored()).isEmpty();
        assertThat(dispatcher.queued("a")).isZero();
    }

    @Test
    void shouldAbandonTheCallsInFlightWhenClosed() {
        // Given two calls in flight
        start(ACCOUNTS);
        accept(pinned("a"));
        accept(pinned("a"));

        // When the task closes (a rebalance, a shutdown)
        dispatcher.close();

        // Then both calls are cancelled, and their attempts stay in the store for the next owner
        assertThat(upstream.cancelled()).isEqualTo(2);
        assertThat(stored()).hasSize(2);
    }

    private void start(String yaml) {
        TokenRelayConfig config;
        try {
            config = ConfigLoader.parse(yaml, "test configuration");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Cancellations cancellations = new Cancellations() {
            @Override
            public Optional<String> cancelled(ChatRequest request) {
                return cancelled.contains(request.id()) ? Optional.of("cancelled by the test") : Optional.empty();
            }

            @Override
            public long version() {
                return cancellationsVersion;
            }
        };
        dispatcher = new Dispatcher(config, new AccountStatesFixture(START), CredentialCheck.allUsable(), cancellations,
                upstream, new Dispatcher.Store() {
                    @Override
                    public void put(byte[] key, byte[] value) {
                        store.put(key, value);
                    }

                    @Override
                    public void delete(byte[] key) {
                        store.remove(key);
                    }

                    @Override
                    public byte[] get(byte[] key) {
                        return store.get(key);
                    }

                    @Override
                    public List<Entry> range(byte[] from, byte[] to, int limit) {
                        return store.subMap(from, true, to, false).entrySet().stream().limit(limit)
                                .map(entry -> new Entry(entry.getKey(), entry.getValue())).toList();
                    }
                }, (emission, at) -> emitted.add(emission), PipelineMetrics.NONE, PipelineMetrics.Lanes.NONE, clock);
    }

    /** The attempts in the store, queued or parked, by {@link Attempt#key()}. */
    private Map<String, Attempt> stored() {
        Map<String, Attempt> attempts = new HashMap<>();
        store.forEach((key, value) -> {
            if (key[0] == 'Q' || key[0] == 'P') {
                Attempt attempt = PendingAttempt.fromBytes(value).attempt();
                attempts.put(attempt.key(), attempt);
            }
        });
        return attempts;
    }

    private Attempt accept(ChatRequest request) {
        return accept(attempt(request));
    }

    private Attempt accept(Attempt attempt) {
        dispatcher.accept(attempt, JsonCodec.encode(attempt));
        return attempt;
    }

    /** The first attempt of {@code request}, on its pinned account or else on a, as intake would make it. */
    private Attempt attempt(ChatRequest request) {
        String account = request.account() != null ? request.account() : "a";
        String pool = request.pool() != null ? request.pool() : "main";
        return new Attempt(request, 1, account, pool, List.of(), null, clock.instant());
    }

    private static ChatRequest withPriority(ChatRequest request, int priority) {
        return request.withPriority(priority);
    }

    private ChatRequest pinned(String account) {
        return request(null, account, null);
    }

    /** A request for the default pool, main; its first attempt goes to a. */
    private ChatRequest unpinned() {
        return request(null, null, null);
    }

    private ChatRequest inPool(String pool) {
        return request(pool, null, null);
    }

    private ChatRequest withDeadline(String pinnedAccount, Instant deadline) {
        return request(null, pinnedAccount, deadline);
    }

    private ChatRequest request(String pool, String pinnedAccount, Instant deadline) {
        ObjectNode body = (ObjectNode) JsonCodec.mapper().valueToTree(Map.of("model", "gpt-4o",
                "messages", List.of(Map.of("role", "user", "content", "Hi"))));
        return new ChatRequest("req-" + ++requests, 0, body, pool, pinnedAccount, deadline, null);
    }

    private List<ChatResult> results() {
        return emitted.stream().filter(Emission.ToResults.class::isInstance)
                .map(emission -> ((Emission.ToResults) emission).result()).toList();
    }

    private List<Attempt> nextAttempts() {
        return emitted.stream().filter(Emission.ToAttempts.class::isInstance)
                .map(emission -> ((Emission.ToAttempts) emission).attempt()).toList();
    }

    private AccountState lastAccountState(String account) {
        return emitted.stream().filter(Emission.ToAccounts.class::isInstance)
                .map(emission -> ((Emission.ToAccounts) emission).state())
                .filter(state -> state.account().equals(account)).reduce((earlier, later) -> later).orElseThrow();
    }

    /** Calls the test answers by hand, oldest first per account. */
    private final class FakeUpstream implements Dispatcher.Calls, AnswerReader {

        private final Map<String, Deque<CompletableFuture<UpstreamExchange>>> open = new HashMap<>();
        private final Map<String, List<String>> requests = new HashMap<>();
        private int cancelled;

        @Override
        public UpstreamCall start(AccountConfig account, ChatRequest request) {
            // Each account's base URL is https://<id>.example.com/v1.
            String id = account.baseUrl().getHost().split("\\.")[0];
            CompletableFuture<UpstreamExchange> exchange = new CompletableFuture<>();
            open.computeIfAbsent(id, key -> new ArrayDeque<>()).add(exchange);
            requests.computeIfAbsent(id, key -> new ArrayList<>()).add(request.id());
            Instant startedAt = clock.instant();
            return new UpstreamCall(exchange, this, () -> {
                cancelled++;
                exchange.complete(new UpstreamExchange.Failure(new CancellationException("cancelled"), startedAt,
                        Duration.ZERO));
            });
        }

        /** Completes the oldest open call of {@code account} with a response, at the clock's time. */
        void answer(String account, int status, String body, Map<String, String> headers) {
            open.get(account).removeIf(CompletableFuture::isDone);
            CompletableFuture<UpstreamExchange> call = open.get(account).poll();
            call.complete(new UpstreamExchange.Response(status, headers, body.getBytes(StandardCharsets.UTF_8),
                    clock.instant(), Duration.ofMillis(100)));
        }

        int open(String account) {
            return open.getOrDefault(account, new ArrayDeque<>()).size();
        }

        int started(String account) {
            return requests.getOrDefault(account, List.of()).size();
        }

        List<String> requests(String account) {
            return requests.getOrDefault(account, List.of());
        }

        int cancelled() {
            return cancelled;
        }

        @Override
        public Conversion readSuccess(byte[] body, String contentType) {
            try {
                return Conversion.completion((ObjectNode) JsonCodec.mapper().readTree(body));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
