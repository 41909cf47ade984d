package dev.tokenrelay.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.accounts.AccountHealth;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.dispatch.internal.PendingAttemptSerde;
import dev.tokenrelay.failover.Decision;
import dev.tokenrelay.failover.FailoverDecider;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.lanes.Lane;
import dev.tokenrelay.lanes.PendingAttempt;
import dev.tokenrelay.lanes.TokenCount;
import dev.tokenrelay.ops.PipelineMetrics;
import dev.tokenrelay.ops.ResultLog;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatch stage (design section 2). It owns the accounts of its partition, so their
 * in-flight and per-minute limits, queues and cooldowns are state of this task alone, shared only
 * with the HTTP threads of its own calls. It never blocks
 * the stream thread:
 * <ul>
 *   <li>{@code process()} writes the attempt to a changelogged store and starts the call if the
 *       account has capacity and is not cooling; the call is asynchronous;</li>
 *   <li>when a call ends, the HTTP client thread frees its slot and starts the account's next
 *       queued attempt at once (the {@link Lane} is thread-safe), so a slot never waits for the
 *       stream thread; an outcome with a cooldown blocks the lane first;</li>
 *   <li>completions land in a thread-safe queue; a wall-clock punctuator drains it on the stream
 *       thread, decides failover, forwards and deletes the store entry; the same punctuator
 *       releases parked attempts whose time has come and expires those past their deadline;</li>
 *   <li>{@code init()} re-issues whatever the store holds, after a restart or a rebalance.</li>
 * </ul>
 * Nothing waits in memory only: queued and parked attempts are in the store, the lanes are an
 * index over it. With exactly-once, the store write commits with the input offset and the
 * forwarded records commit with the delete: no attempt is lost and no result is written twice.
 * The upstream call itself is at-least-once across a crash.
 */
public final class DispatchProcessor implements Processor<String, byte[], String, Emission> {

    /** Attempts queued, parked or in flight, by {@link Attempt#key()}. */
    public static final String ATTEMPTS_STORE = "dispatch-attempts";

    private static final Logger LOG = LoggerFactory.getLogger(DispatchProcessor.class);
    /** Set while a completing call starts the next one, so a call that ends at once does not recurse. */
    private static final ThreadLocal<Boolean> REFILLING = ThreadLocal.withInitial(() -> false);

    private final TokenRelayConfig config;
    private final UpstreamCaller caller;
    private final FailoverDecider decider;
    private final AccountHealth health;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final Map<String, Lane> lanes = new HashMap<>();
    /** Calls started and not yet drained, by key; HTTP client threads add to it. */
    private final Map<String, UpstreamCaller.Call> inFlight = new ConcurrentHashMap<>();
    /** Account health this task last wrote; it owns these accounts, so this is newer than the table. */
    private final Map<String, AccountState> written = new HashMap<>();
    /** Deadlines of the attempts held here; entries of attempts already gone are skipped when due. */
    private final TreeSet<Due> deadlines = new TreeSet<>();
    /**
     * What the store holds, by key, so the hot path never reads (and decodes) from RocksDB; the
     * store stays the durable copy this is rebuilt from.
     */
    private final Map<String, PendingAttempt> held = new HashMap<>();
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();

    private ProcessorContext<String, Emission> context;
    private KeyValueStore<String, PendingAttempt> store;
    private AccountStates states;
    private Cancellable drainer;
    private PipelineMetrics.Lanes laneMetrics = PipelineMetrics.Lanes.NONE;
    private long sequence;
    private volatile boolean closed;

    /**
     * The dispatch stage with the store it owns, for {@code KStream#process}. Its time is the
     * caller's clock: the one calls are timed with.
     */
    public static ProcessorSupplier<String, byte[], String, Emission> supplier(TokenRelayConfig config,
            UpstreamCaller caller, PipelineMetrics metrics) {
        StoreBuilder<KeyValueStore<String, PendingAttempt>> attempts = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ATTEMPTS_STORE), Topics.KEYS, new PendingAttemptSerde());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, byte[], String, Emission> get() {
                return new DispatchProcessor(config, caller, metrics);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(attempts);
            }
        };
    }

    DispatchProcessor(TokenRelayConfig config, UpstreamCaller caller, PipelineMetrics metrics) {
        this.config = config;
        this.caller = caller;
        this.decider = new FailoverDecider(config, caller.credentials());
        this.health = new AccountHealth(config.policy().disable());
        this.metrics = metrics;
        this.clock = caller.clock();
    }

    @Override
    public void init(ProcessorContext<String, Emission> context) {
        this.context = context;
        this.store = context.getStateStore(ATTEMPTS_STORE);
        AccountStates table = new StoreAccountStates(context.getStateStore(StoreAccountStates.STORE));
        this.states = account -> written.containsKey(account) ? Optional.of(written.get(account)) : table.get(account);
        this.laneMetrics = metrics.lanes(context.taskId().toString());
        reissuePending();
        this.drainer = context.schedule(config.processor().drainInterval(), PunctuationType.WALL_CLOCK_TIME,
                timestamp -> drain());
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        Attempt attempt;
        try {
            attempt = JsonCodec.decode(record.value(), Attempt.class);
        } catch (RuntimeException e) {
            unreadable(record, e);
            return;
        }
        if (held.containsKey(attempt.key())) {
            return;
        }
        long seq = sequence++;
        hold(attempt.key(), new PendingAttempt(attempt, seq, record.value()));
        admit(attempt.key(), attempt, seq);
        pump(attempt.account(), now());
    }

    /** An attempts record that is not an attempt: only a foreign producer or a bug writes one. */
    private void unreadable(Record<String, byte[]> record, RuntimeException e) {
        String reason = "unreadable attempt: " + e.getMessage();
        LOG.atWarn().addKeyValue("key", record.key()).log("attempt dead-lettered: {}", reason);
        LOG.debug("attempt dead-lettered", e);
        DeadLetter.SourceRecord source = context.recordMetadata()
                .map(meta -> new DeadLetter.SourceRecord(meta.topic(), meta.partition(), meta.offset()))
                .orElse(null);
        String key = record.key() == null ? "unknown" : record.key();
        emit(new Emission.ToDeadLetter(key, Results.unreadable(null, reason, record.value(), source, now())), now());
    }

    @Override
    public void close() {
        closed = true;
        if (drainer != null) {
            drainer.cancel();
        }
        // Abandoned calls are re-issued by whichever task owns the partition next.
        inFlight.values().forEach(UpstreamCaller.Call::cancel);
        inFlight.clear();
        laneMetrics.close();
        lanes.clear();
        deadlines.clear();
        held.clear();
        completions.clear();
    }

    private void reissuePending() {
        List<KeyValue<String, PendingAttempt>> pending = new ArrayList<>();
        try (KeyValueIterator<String, PendingAttempt> all = store.all()) {
            all.forEachRemaining(pending::add);
        }
        pending.sort((a, b) -> Long.compare(a.value.sequence(), b.value.sequence()));
        for (KeyValue<String, PendingAttempt> entry : pending) {
            held.put(entry.key, entry.value);
            admit(entry.key, entry.value.attempt(), entry.value.sequence());
            sequence = Math.max(sequence, entry.value.sequence() + 1);
        }
        if (!pending.isEmpty()) {
            LOG.atInfo().addKeyValue("task", context.taskId()).addKeyValue("attempts", pending.size())
                    .log("re-issuing attempts that were queued, parked or in flight");
        }
        Instant now = now();
        new ArrayList<>(lanes.keySet()).forEach(account -> pump(account, now));
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
                    : new Lane(UpstreamCaller.maxInFlight(config, accountConfig), accountConfig.requestsPerMinute(),
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

    /** Makes the call of an attempt just taken from its lane. Runs on the stream thread or an HTTP client thread. */
    private void launch(Lane lane, Lane.Start start) {
        Attempt attempt = start.attempt();
        AccountConfig account = config.accounts().get(attempt.account());
        UpstreamCaller.Call call;
        try {
            call = account == null
                    ? UpstreamCaller.Call.done(Outcome.retryable("unknown_account", null, null, null, Duration.ZERO))
                    : caller.call(account, attempt.request());
        } catch (RuntimeException e) {
            // The slot was taken: the attempt must still end, through the usual completion path.
            LOG.debug("call could not be started", e);
            call = UpstreamCaller.Call.done(Outcome.fatal("internal_error", 500, e.getClass().getSimpleName()));
        }
        inFlight.put(start.key(), call);
        call.outcome().thenAccept(outcome -> ended(lane, start.key(), outcome));
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

    private void drain() {
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
                    outcome.reason(), outcome.httpStatus(), outcome.latency().toMillis(), outcome.startedAt());
            JsonNode usage = outcome instanceof Outcome.Success success ? success.usage() : null;
            metrics.attemptFinished(attempt.account(), outcome);
            emit(new Emission.ToOutcomes(new AttemptOutcome(attempt.request().id(), attempt.request().generation(),
                    entry, cooldownUntil, usage)), now);
            accountStateChange(attempt.account(), outcome, cooldownUntil, now)
                    .ifPresent(state -> emit(new Emission.ToAccounts(state), now));
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
        // put(null), not delete(): delete reads and decodes the old value only to return it.
        store.put(key, null);
        held.remove(key);
        lane(attempt.account()).withdraw(key);
        if (attempt.deadline() != null) {
            deadlines.remove(new Due(attempt.deadline().toEpochMilli(), key));
        }
    }

    private void emitDecision(Attempt attempt, Decision decision, Instant now) {
        if (decision instanceof Decision.Continue next) {
            emit(new Emission.ToAttempts(next.next()), now);
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
            emit(new Emission.ToResults(result), now);
        } else {
            Results.unsuccessful(attempt.request(), result, now).forEach(emission -> emit(emission, now));
        }
    }

    private void emit(Emission emission, Instant now) {
        context.forward(new Record<>(emission.key(), emission, now.toEpochMilli()));
    }

    /**
     * Now, to the millisecond: lanes, cooldowns and parked attempts all compare times in whole
     * milliseconds, and a finer {@code now} would release a parked attempt in the same millisecond
     * its account's cooldown ends, while the account still counts as cooling.
     */
    private Instant now() {
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
     * A call's outcome, handed from an HTTP client thread to the stream thread, with the end of the
     * cooldown it blocked the lane until ({@code null}: none).
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
