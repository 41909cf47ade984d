package dev.tokenrelay.lanes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.accounts.AccountHealth;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.classify.OutcomeClassifier;
import dev.tokenrelay.classify.UpstreamCall;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.failover.Decision;
import dev.tokenrelay.failover.FailoverDecider;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.results.ResultLog;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decisions of one dispatch task (docs/design.md, section 2), in plain Java: which attempts to
 * start and when (in-flight and per-minute limits, cooldowns, parking, probes of disabled accounts,
 * deadlines), how each call's exchange is classified, and what each outcome emits (the outcome, the
 * account's health, the next attempt or the result). The dispatch stage adapts it to Kafka
 * Streams: it hands attempts over, runs {@link #drain()} on the stream thread, and stores and
 * forwards what this decides.
 *
 * <p>Threads: {@link #recover}, {@link #accept}, {@link #drain()} and {@link #close()} run on the
 * stream thread. A call ends on whatever thread completes it (an HTTP client thread); that path
 * touches only the account's {@link Lane} (thread-safe) and the queue of completions, so a freed
 * slot starts the next queued attempt at once instead of waiting for the stream thread. Time comes
 * from the one injected {@link Clock}, to the millisecond.
 */
public final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** Set while a completing call starts the next one, so a call that ends at once does not recurse. */
    private static final ThreadLocal<Boolean> REFILLING = ThreadLocal.withInitial(() -> false);
    /** Stands for a call that ended before it was sent: there is nothing to abandon. */
    private static final UpstreamCall NOT_STARTED = new UpstreamCall(new CompletableFuture<>(), null, () -> {});

    /** Starts the call of an attempt; may run on the stream thread or on a thread ending another call. */
    @FunctionalInterface
    public interface Calls {
        UpstreamCall start(AccountConfig account, ChatRequest request);
    }

    /** The durable copy of the attempts held here: written before a call starts, cleared when it ends. */
    public interface Store {
        void put(String key, PendingAttempt pending);

        void delete(String key);
    }

    /** Where emissions go, each stamped with the time it was decided at. */
    @FunctionalInterface
    public interface Output {
        void emit(Emission emission, Instant at);
    }

    private final TokenRelayConfig config;
    private final Calls calls;
    private final Store store;
    private final Output output;
    private final PipelineMetrics metrics;
    private final PipelineMetrics.Lanes laneMetrics;
    private final Clock clock;
    private final OutcomeClassifier classifier;
    private final FailoverDecider decider;
    private final AccountHealth health;
    private final AccountStates states;
    private final Map<String, Lane> lanes = new HashMap<>();
    /** Calls started and not yet drained, by key; call-ending threads add to the queue below. */
    private final Map<String, UpstreamCall> inFlight = new ConcurrentHashMap<>();
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    /** Account health this task last wrote; it owns these accounts, so this is newer than the table. */
    private final Map<String, AccountState> written = new HashMap<>();
    /** Deadlines of the attempts held here; entries of attempts already gone are skipped when due. */
    private final TreeSet<Due> deadlines = new TreeSet<>();
    /** What the store holds, by key, so the hot path never reads (and decodes) from the store. */
    private final Map<String, PendingAttempt> held = new HashMap<>();
    private long sequence;
    private volatile boolean closed;

    /**
     * @param table       the accounts' health as every instance sees it (the accounts topic)
     * @param credentials which accounts have no usable credential: they are not chosen
     */
    public Dispatcher(TokenRelayConfig config, AccountStates table, CredentialCheck credentials, Calls calls,
            Store store, Output output, PipelineMetrics metrics, PipelineMetrics.Lanes laneMetrics, Clock clock) {
        this.config = config;
        this.calls = calls;
        this.store = store;
        this.output = output;
        this.metrics = metrics;
        this.laneMetrics = laneMetrics;
        this.clock = clock;
        this.classifier = new OutcomeClassifier(config.policy(), clock);
        this.decider = new FailoverDecider(config, credentials);
        this.health = new AccountHealth(config.policy().disable());
        this.states = account -> written.containsKey(account) ? Optional.of(written.get(account)) : table.get(account);
    }

    /**
     * Takes back what the store held when this task started (after a restart or a rebalance):
     * queued, parked or in flight, in their order of arrival; and starts what may start.
     *
     * @return how many attempts were taken back
     */
    public int recover(Map<String, PendingAttempt> stored) {
        List<Map.Entry<String, PendingAttempt>> pending = new ArrayList<>(stored.entrySet());
        pending.sort(Comparator.comparingLong(entry -> entry.getValue().sequence()));
        for (Map.Entry<String, PendingAttempt> entry : pending) {
            PendingAttempt attempt = entry.getValue();
            held.put(entry.getKey(), attempt.json() == null ? attempt
                    : new PendingAttempt(attempt.attempt(), attempt.sequence()));
            admit(entry.getKey(), attempt.attempt(), attempt.sequence());
            sequence = Math.max(sequence, attempt.sequence() + 1);
        }
        Instant now = now();
        new ArrayList<>(lanes.keySet()).forEach(account -> pump(account, now));
        return pending.size();
    }

    /**
     * An attempt arrived: it is stored, queued (or parked until its start time) in its account's
     * lane, and started if the account has room. A key already held is a duplicate and ignored.
     *
     * @param json the attempt as it arrived, stored as it is so that it is never encoded again
     */
    public void accept(Attempt attempt, byte[] json) {
        if (held.containsKey(attempt.key())) {
            return;
        }
        long seq = sequence++;
        hold(attempt.key(), new PendingAttempt(attempt, seq, json));
        admit(attempt.key(), attempt, seq);
        pump(attempt.account(), now());
    }

    /**
     * The stream thread's turn: finishes the calls that ended (classified outcome, failover, result),
     * ends the waiting attempts whose deadline passed, and starts what the accounts have room for.
     */
    public void drain() {
        Instant now = now();
        Completion completion;
        while ((completion = completions.poll()) != null) {
            if (inFlight.remove(completion.key()) == null) {
                continue;
            }
            PendingAttempt pending = held.get(completion.key());
            if (pending == null) {
                continue;
            }
            finish(completion.key(), pending.attempt(), completion.outcome(), completion.cooldownUntil(), now);
        }
        expireOverdue(now);
        new ArrayList<>(lanes.keySet()).forEach(account -> pump(account, now));
        lanes.forEach((account, lane) -> laneMetrics.update(account, lane.inFlight(), lane.queued()));
    }

    /** Abandons the calls in flight: whichever task owns the partition next re-issues them. */
    public void close() {
        closed = true;
        inFlight.values().forEach(call -> call.cancel().run());
        inFlight.clear();
        laneMetrics.close();
        lanes.clear();
        deadlines.clear();
        held.clear();
        completions.clear();
    }

    /** Puts a stored attempt in its lane: parked until its start time, or queued. */
    private void admit(String key, Attempt attempt, long seq) {
        if (attempt.deadline() != null) {
            deadlines.add(new Due(attempt.deadline().toEpochMilli(), key));
        }
        Lane lane = lane(attempt.account());
        if (attempt.notBefore() != null) {
            lane.park(key, attempt, attempt.notBefore().toEpochMilli(), seq);
        } else {
            lane.enqueue(key, attempt);
        }
    }

    private Lane lane(String account) {
        return lanes.computeIfAbsent(account, id -> {
            AccountConfig accountConfig = config.accounts().get(id);
            return accountConfig == null ? new Lane(1, null)
                    : new Lane(config.maxInFlight(accountConfig), accountConfig.requestsPerMinute(),
                            accountConfig.tokensPerMinute());
        });
    }

    /**
     * Starts what the account has room for. A cooling or disabled account starts nothing: its
     * queued attempts are sent elsewhere, or parked here until the cooldown (or the probe) is due.
     * A disabled account whose probe is due runs one call at a time.
     */
    private void pump(String account, Instant now) {
        Lane lane = lane(account);
        Optional<AccountState> state = states.get(account);
        lane.probing(state.isPresent() && state.get().disabled());
        if (state.isPresent() && (state.get().coolingAt(now) || state.get().disabledAt(now))) {
            // An account disabled by hand has no end to block until: it just starts nothing.
            if (state.get().coolingAt(now)) {
                lane.blockUntil(state.get().coolingUntil().toEpochMilli());
            }
            lane.releaseDue(now.toEpochMilli());
            lane.takeWaiting().forEach(key -> redirect(key, now));
            return;
        }
        Lane.Start next;
        while ((next = lane.tryStart(now.toEpochMilli())) != null) {
            launch(lane, next);
        }
    }

    /** Makes the call of an attempt just taken from its lane. Runs on the stream thread or a call-ending thread. */
    private void launch(Lane lane, Lane.Start start) {
        Attempt attempt = start.attempt();
        AccountConfig account = config.accounts().get(attempt.account());
        UpstreamCall call = NOT_STARTED;
        CompletableFuture<Outcome> outcome;
        if (account == null) {
            outcome = CompletableFuture.completedFuture(
                    Outcome.retryable("unknown_account", null, null, null, Duration.ZERO));
        } else {
            try {
                UpstreamCall started = calls.start(account, attempt.request());
                call = started;
                // Classified on the thread that completes the exchange: reading a large answer
                // never holds up the stream thread.
                outcome = started.exchange().thenApply(exchange -> classifier.classify(exchange, started.reader()));
            } catch (RuntimeException e) {
                // The slot was taken: the attempt must still end, through the usual completion path.
                LOG.debug("call could not be started", e);
                outcome = CompletableFuture.completedFuture(
                        Outcome.fatal("internal_error", 500, e.getClass().getSimpleName()));
            }
        }
        inFlight.put(start.key(), call);
        outcome.thenAccept(ended -> ended(lane, start.key(), ended));
    }

    /**
     * A call ended, on whatever thread completed it: frees its slot, blocks the lane at once if the
     * outcome asks for a cooldown, hands the outcome to the stream thread, and starts the next
     * queued attempt in the freed slot.
     */
    private void ended(Lane lane, String key, Outcome outcome) {
        Instant cooldownUntil = cooldownUntil(outcome, now());
        if (cooldownUntil != null) {
            lane.blockUntil(cooldownUntil.toEpochMilli());
        }
        lane.finished(key, TokenCount.used(outcome));
        completions.add(new Completion(key, outcome, cooldownUntil));
        // A probe's outcome decides, on the stream thread, whether the account takes calls again.
        if (closed || REFILLING.get() || lane.probing()) {
            return;
        }
        REFILLING.set(true);
        try {
            Lane.Start next = lane.tryStart(clock.millis());
            if (next != null) {
                launch(lane, next);
            }
        } finally {
            REFILLING.set(false);
        }
    }

    /** Sends a queued attempt of a cooling account on: elsewhere, back here later, or to its end. */
    private void redirect(String key, Instant now) {
        PendingAttempt pending = held.get(key);
        if (pending == null) {
            return;
        }
        Attempt attempt = pending.attempt();
        Decision decision = decider.redirect(attempt, states, now);
        if (decision instanceof Decision.Continue next && next.next().account().equals(attempt.account())) {
            hold(key, new PendingAttempt(next.next(), pending.sequence()));
            lane(attempt.account()).park(key, next.next(), next.next().notBefore().toEpochMilli(),
                    pending.sequence());
            return;
        }
        emitDecision(attempt, decision, now);
        forget(key, attempt);
    }

    /** Ends the attempts still waiting (queued or parked) when their request's deadline passed. */
    private void expireOverdue(Instant now) {
        while (!deadlines.isEmpty() && deadlines.first().atMs() <= now.toEpochMilli()) {
            String key = deadlines.pollFirst().key();
            PendingAttempt pending = held.get(key);
            // A call that is running (or ended, not yet drained) ends by itself; the failover rule
            // then sees the deadline.
            if (pending != null && lane(pending.attempt().account()).withdraw(key)) {
                Attempt attempt = pending.attempt();
                LOG.atDebug().addKeyValue("requestId", attempt.request().id()).addKeyValue("account", attempt.account())
                        .log("request expired while waiting");
                emitDecision(attempt, FailoverDecider.expired(attempt.request(), attempt.trail(), now), now);
                forget(key, attempt);
            }
        }
    }

    /**
     * @param cooldownUntil the end of the cooldown the outcome asked for, reckoned when the call
     *                      ended, as the lane was blocked: the drain may run much later, and the
     *                      published cooldown must be the one the account is held to
     */
    private void finish(String key, Attempt attempt, Outcome outcome, Instant cooldownUntil, Instant now) {
        try {
            TrailEntry entry = new TrailEntry(attempt.number(), attempt.account(), attempt.pool(), outcome.kind(),
                    outcome.reason(), outcome.httpStatus(), outcome.latency().toMillis(), outcome.startedAt(),
                    outcome.upstreamRequestId());
            JsonNode usage = outcome instanceof Outcome.Success success ? success.usage() : null;
            metrics.attemptFinished(attempt.account(), outcome);
            output.emit(new Emission.ToOutcomes(new AttemptOutcome(attempt.request().id(),
                    attempt.request().generation(), entry, cooldownUntil, usage)), now);
            accountStateChange(attempt.account(), outcome, cooldownUntil, now)
                    .ifPresent(state -> output.emit(new Emission.ToAccounts(state), now));
            Decision decision = decider.decide(attempt, outcome, entry, states, now);
            log(attempt, outcome, decision);
            emitDecision(attempt, decision, now);
        } catch (RuntimeException e) {
            // A bug must not lose the request or stop the processor: end it visibly instead.
            LOG.atWarn().addKeyValue("requestId", attempt.request().id()).addKeyValue("account", attempt.account())
                    .log("attempt could not be completed: {}", e.toString());
            LOG.debug("attempt could not be completed", e);
            emitFinal(attempt, Results.failed(attempt.request(), ResultStatus.FAILED, 500,
                    ErrorInfo.of("internal_error", e.getClass().getSimpleName()), attempt.trail(), now), now);
        }
        forget(key, attempt);
    }

    private void hold(String key, PendingAttempt pending) {
        store.put(key, pending);
        // The JSON is only for the store; the index keeps the decoded attempt.
        held.put(key, pending.json() == null ? pending : new PendingAttempt(pending.attempt(), pending.sequence()));
    }

    /** Drops a finished attempt from the store and from every index over it. */
    private void forget(String key, Attempt attempt) {
        store.delete(key);
        held.remove(key);
        lane(attempt.account()).withdraw(key);
        if (attempt.deadline() != null) {
            deadlines.remove(new Due(attempt.deadline().toEpochMilli(), key));
        }
    }

    private void emitDecision(Attempt attempt, Decision decision, Instant now) {
        if (decision instanceof Decision.Continue next) {
            output.emit(new Emission.ToAttempts(next.next()), now);
        } else {
            emitFinal(attempt, ((Decision.Finish) decision).result(), now);
        }
    }

    private void emitFinal(Attempt attempt, ChatResult result, Instant now) {
        metrics.resultEmitted("dispatch", result);
        if (config.ops().resultLog()) {
            ResultLog.finished(result);
        }
        if (result.status() == ResultStatus.SUCCEEDED) {
            output.emit(new Emission.ToResults(result), now);
        } else {
            Results.unsuccessful(attempt.request(), result, now).forEach(emission -> output.emit(emission, now));
        }
    }

    /**
     * Now, to the millisecond: lanes, cooldowns and parked attempts all compare times in whole
     * milliseconds, and a finer {@code now} would release a parked attempt in the same millisecond
     * its account's cooldown ends, while the account still counts as cooling.
     */
    public Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    private static Instant cooldownUntil(Outcome outcome, Instant now) {
        if (outcome instanceof Outcome.Retryable retryable && retryable.cooldown() != null
                && !retryable.cooldown().isZero()) {
            return now.plus(retryable.cooldown());
        }
        return null;
    }

    /** The account's new health state, if this outcome changes it. */
    private Optional<AccountState> accountStateChange(String account, Outcome outcome, Instant cooldownUntil,
            Instant now) {
        AccountState previous = states.get(account).orElse(null);
        Optional<AccountState> next = health.after(account, previous, outcome, cooldownUntil, now);
        next.ifPresent(state -> {
            written.put(account, state);
            if (!AccountHealth.countsOnly(outcome, cooldownUntil)) {
                metrics.accountChanged(account, AccountHealth.Change.between(previous, state, now));
            }
        });
        return next;
    }

    private static void log(Attempt attempt, Outcome outcome, Decision decision) {
        if (!LOG.isDebugEnabled()) {
            return;
        }
        LOG.atDebug().addKeyValue("requestId", attempt.request().id()).addKeyValue("account", attempt.account())
                .addKeyValue("attempt", attempt.number()).addKeyValue("outcome", outcome.kind())
                .addKeyValue("reason", outcome.reason())
                .log(decision instanceof Decision.Continue next ? "failing over to " + next.next().account()
                        : "request finished");
    }

    /**
     * A call's outcome, handed from the thread that ended it to the stream thread, with the end of
     * the cooldown it blocked the lane until ({@code null}: none).
     */
    private record Completion(String key, Outcome outcome, Instant cooldownUntil) {}

    /** When the attempt stored under {@code key} is due to expire. */
    private record Due(long atMs, String key) implements Comparable<Due> {
        @Override
        public int compareTo(Due other) {
            int byTime = Long.compare(atMs, other.atMs);
            return byTime != 0 ? byTime : key.compareTo(other.key);
        }
    }
}
