package dev.tokenrelay.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One account's window: limits, priority order, no starvation, blocking and withdrawal, also across threads. */
class LaneTest {

    private static final long NOW = Instant.parse("2025-01-01T12:00:00Z").toEpochMilli();

    @Test
    void shouldStartInArrivalOrderUpToTheInFlightLimit() {
        // Given a lane with room for two calls and three attempts queued
        Lane lane = new Lane(2, null);
        enqueue(lane, "r1", attempt("r1"));
        enqueue(lane, "r2", attempt("r2"));
        enqueue(lane, "r3", attempt("r3"));

        // When as many as may start do
        List<String> started = startAll(lane, NOW);

        // Then the first two start, the third waits until a slot frees
        assertThat(started).containsExactly("r1", "r2");
        assertThat(lane.inFlight()).isEqualTo(2);
        assertThat(lane.queued()).isEqualTo(1);
        lane.finished(seq("r1"), null);
        assertThat(startAll(lane, NOW)).containsExactly("r3");
    }

    @Test
    void shouldStartNoMoreThanTheRequestsPerMinuteInAnyMinute() {
        // Given a lane allowing two starts a minute and plenty of in-flight room
        Lane lane = new Lane(100, 2);
        for (int i = 1; i <= 4; i++) {
            enqueue(lane, "r" + i, attempt("r" + i));
        }

        // When attempts start now, later within the minute, and a minute after the first starts
        List<String> now = startAll(lane, NOW);
        List<String> withinTheMinute = startAll(lane, NOW + 59_999);
        List<String> aMinuteLater = startAll(lane, NOW + 60_000);

        // Then two start at once and the next two only when the first starts leave the window
        assertThat(now).containsExactly("r1", "r2");
        assertThat(withinTheMinute).isEmpty();
        assertThat(aMinuteLater).containsExactly("r3", "r4");
    }

    @Test
    void shouldStartNoMoreEstimatedTokensThanTheTokensPerMinuteInAnyMinute() {
        // Given a lane allowing 100 tokens a minute and attempts estimated at 40 tokens each
        Lane lane = new Lane(100, null, 100);
        for (int i = 1; i <= 4; i++) {
            enqueue(lane, "r" + i, attempt("r" + i, 40));
        }

        // When attempts start now and a minute later
        List<String> now = startAll(lane, NOW);
        List<String> aMinuteLater = startAll(lane, NOW + 60_000);

        // Then two fit now (80 tokens, a third would make 120), and the next two once the first left the window
        assertThat(now).containsExactly("r1", "r2");
        assertThat(aMinuteLater).containsExactly("r3", "r4");
    }

    @Test
    void shouldCountWhatACallUsedOnceItEnds() {
        // Given a lane allowing 100 tokens a minute, two calls of 40 estimated tokens running and one waiting
        Lane lane = new Lane(100, null, 100);
        for (int i = 1; i <= 3; i++) {
            enqueue(lane, "r" + i, attempt("r" + i, 40));
        }
        assertThat(startAll(lane, NOW)).containsExactly("r1", "r2");

        // When the two calls end, their responses reporting 10 tokens each
        lane.finished(seq("r1"), 10);
        lane.finished(seq("r2"), 10);

        // Then the third fits in the same minute (10 + 10 + 40)
        assertThat(startAll(lane, NOW + 1_000)).containsExactly("r3");
    }

    @Test
    void shouldStartAnAttemptLargerThanTheWholeLimitWhenNothingElseCounts() {
        // Given a lane allowing 100 tokens a minute, a small attempt and then one estimated at 500
        Lane lane = new Lane(100, null, 100);
        enqueue(lane, "small", attempt("small", 10));
        enqueue(lane, "huge", attempt("huge", 500));

        // When attempts start now and a minute later
        List<String> now = startAll(lane, NOW);
        List<String> aMinuteLater = startAll(lane, NOW + 60_000);

        // Then the huge one waits for an empty window instead of waiting forever
        assertThat(now).containsExactly("small");
        assertThat(aMinuteLater).containsExactly("huge");
    }

    @Test
    void shouldRunOneCallAtATimeWhileProbing() {
        // Given a lane with room for ten calls, put in probing, with three attempts queued
        Lane lane = new Lane(10, null);
        lane.probing(true);
        for (int i = 1; i <= 3; i++) {
            enqueue(lane, "r" + i, attempt("r" + i));
        }

        // When as many as may start do, before and after the probe call ends, and after probing ends
        List<String> probe = startAll(lane, NOW);
        lane.finished(seq("r1"), null);
        List<String> nextProbe = startAll(lane, NOW);
        lane.probing(false);
        List<String> enabled = startAll(lane, NOW);

        // Then one call runs at a time while probing, and the limit is the lane's own again afterwards
        assertThat(probe).containsExactly("r1");
        assertThat(nextProbe).containsExactly("r2");
        assertThat(enabled).containsExactly("r3");
        assertThat(lane.inFlight()).isEqualTo(2);
    }

    @Test
    void shouldStartNothingWhileBlocked() {
        // Given a queued attempt and a lane blocked for a cooldown
        Lane lane = new Lane(10, null);
        enqueue(lane, "r1", attempt("r1"));
        lane.blockUntil(NOW + 2_000);
        lane.blockUntil(NOW + 1_000);

        // When it is asked during and after the block
        List<String> during = startAll(lane, NOW + 1_500);
        List<String> after = startAll(lane, NOW + 2_000);

        // Then the shorter block did not shorten the longer one, and the attempt starts after it
        assertThat(during).isEmpty();
        assertThat(after).containsExactly("r1");
    }

    @Test
    void shouldNeverStartAnAttemptOnceWithdrawn() {
        // Given a queued attempt and a running one
        Lane lane = new Lane(10, null);
        enqueue(lane, "running", attempt("running"));
        assertThat(startAll(lane, NOW)).containsExactly("running");
        enqueue(lane, "queued", attempt("queued"));

        // When each is withdrawn
        boolean queued = lane.withdraw(seq("queued"));
        boolean running = lane.withdraw(seq("running"));

        // Then the waiting one is gone for good and the running one is reported as not waiting
        assertThat(queued).isTrue();
        assertThat(running).isFalse();
        assertThat(startAll(lane, NOW + 5_000)).isEmpty();
        assertThat(lane.queued()).isZero();
        assertThat(lane.inFlight()).isEqualTo(1);
    }

    @Test
    void shouldKeepTheInFlightLimitWhenManyThreadsStartAndFinishCalls() throws Exception {
        // Given a lane with room for 8 calls and 20,000 attempts queued
        int limit = 8;
        int attempts = 20_000;
        Lane lane = new Lane(limit, null);
        for (int i = 0; i < attempts; i++) {
            lane.enqueue(QueueOrder.of(0, i), attempt("r" + i));
        }
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);

        // When four threads each start what they can and finish each call, as HTTP threads do
        ExecutorService threads = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            workers.add(threads.submit(() -> {
                go.await();
                Lane.Start start;
                while ((start = lane.tryStart(NOW)) != null) {
                    peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                    calls.incrementAndGet();
                    running.decrementAndGet();
                    lane.finished(start.sequence(), null);
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> worker : workers) {
            worker.get(30, TimeUnit.SECONDS);
        }
        threads.shutdown();

        // Then every attempt was called exactly once and never more than the limit at once
        assertThat(calls.get()).isEqualTo(attempts);
        assertThat(peak.get()).isBetween(1, limit);
        assertThat(lane.inFlight()).isZero();
        assertThat(lane.queued()).isZero();
    }

    @Test
    void shouldStartHigherPrioritiesFirstAndArrivalOrderWithinOne() {
        // Given a lane with one slot and attempts of three priorities queued in mixed order
        Lane lane = new Lane(1, null);
        enqueue(lane, "batch-1", -10, attempt("batch-1"));
        enqueue(lane, "default-1", 0, attempt("default-1"));
        enqueue(lane, "interactive-1", 10, attempt("interactive-1"));
        enqueue(lane, "batch-2", -10, attempt("batch-2"));
        enqueue(lane, "interactive-2", 10, attempt("interactive-2"));

        // When each call ends before the next starts
        List<String> order = startOneByOne(lane, 5);

        // Then the higher priority goes first, and arrival order holds within a priority
        assertThat(order).containsExactly("interactive-1", "interactive-2", "default-1", "batch-1", "batch-2");
    }

    @Test
    void shouldStartTheOldestAttemptAfterNineStartsPassedItOver() {
        // Given a batch attempt queued first, then a stream of interactive ones
        Lane lane = new Lane(1, null);
        enqueue(lane, "batch", -10, attempt("batch"));
        for (int i = 1; i <= 20; i++) {
            enqueue(lane, "interactive-" + i, 10, attempt("interactive-" + i));
        }

        // When calls start one after another
        List<String> order = startOneByOne(lane, 11);

        // Then nine interactive attempts pass it over, and the tenth start is the batch attempt
        assertThat(order.subList(0, 9)).allMatch(id -> id.startsWith("interactive-"));
        assertThat(order.get(9)).isEqualTo("batch");
        assertThat(order.get(10)).isEqualTo("interactive-10");
    }

    @Test
    void shouldEvictTheLastAttemptBeforeABound() {
        // Given three attempts of one priority and one of a lower priority
        Lane lane = new Lane(1, null);
        enqueue(lane, "r1", attempt("r1"));
        enqueue(lane, "r2", attempt("r2"));
        enqueue(lane, "r3", attempt("r3"));
        enqueue(lane, "low", -10, attempt("low"));

        // When the last one before r3's place is evicted
        QueueOrder evicted = lane.evictBefore(QueueOrder.of(0, seq("r3")));

        // Then r2 leaves the window, the others stay, and what comes before a bound is counted
        assertThat(evicted.sequence()).isEqualTo(seq("r2"));
        assertThat(lane.queued()).isEqualTo(3);
        assertThat(lane.countBefore(QueueOrder.of(0, seq("r3") + 1))).isEqualTo(2);
        assertThat(startOneByOne(lane, 3)).containsExactly("r1", "r3", "low");
    }

    private final Map<String, Long> sequences = new HashMap<>();

    private void enqueue(Lane lane, String id, Attempt attempt) {
        enqueue(lane, id, 0, attempt);
    }

    private void enqueue(Lane lane, String id, int priority, Attempt attempt) {
        long sequence = sequences.size();
        sequences.put(id, sequence);
        lane.enqueue(QueueOrder.of(priority, sequence), attempt);
    }

    private long seq(String id) {
        return sequences.get(id);
    }

    private static List<String> startAll(Lane lane, long nowMs) {
        List<String> ids = new ArrayList<>();
        Lane.Start start;
        while ((start = lane.tryStart(nowMs)) != null) {
            ids.add(start.attempt().request().id());
        }
        return ids;
    }

    /** Starts up to {@code count} calls, each ending before the next starts. */
    private static List<String> startOneByOne(Lane lane, int count) {
        List<String> ids = new ArrayList<>();
        Lane.Start start;
        while (ids.size() < count && (start = lane.tryStart(NOW)) != null) {
            ids.add(start.attempt().request().id());
            lane.finished(start.sequence(), null);
        }
        return ids;
    }

    private static Attempt attempt(String id) {
        return attempt(id, 1);
    }

    /** An attempt whose request is estimated at {@code tokens}: an empty prompt and that max_tokens. */
    private static Attempt attempt(String id, int tokens) {
        ChatRequest request = new ChatRequest(id, 0,
                JsonNodeFactory.instance.objectNode().put("model", "m").put("max_tokens", tokens), null, null, null, null);
        return new Attempt(request, 1, "a", "main", List.of(), null, Instant.ofEpochMilli(NOW));
    }
}
