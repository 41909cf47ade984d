package dev.tokenrelay.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.accounts.AccountSelector;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.StoreAccountStates;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.dispatch.internal.Lane;
import dev.tokenrelay.dispatch.internal.PendingAttempt;
import dev.tokenrelay.failover.Decision;
import dev.tokenrelay.failover.FailoverDecider;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatch stage (design section 2). It owns the accounts of its partition, so their
 * in-flight limits and queues are plain local state. It never blocks the stream thread:
 * <ul>
 *   <li>{@code process()} writes the attempt to a changelogged store and starts the call if the
 *       account has capacity; the call is asynchronous;</li>
 *   <li>completions land in a thread-safe queue; a wall-clock punctuator drains it on the stream
 *       thread, decides failover, forwards and deletes the store entry;</li>
 *   <li>{@code init()} re-issues whatever the store holds, after a restart or a rebalance.</li>
 * </ul>
 * With exactly-once, the store write commits with the input offset and the forwarded records
 * commit with the delete: no attempt is lost and no result is written twice. The upstream call
 * itself is at-least-once across a crash.
 */
public final class DispatchProcessor implements Processor<String, Attempt, String, Emission> {

    /** Attempts queued or in flight, by {@link Attempt#key()}. */
    public static final String ATTEMPTS_STORE = "dispatch-attempts";

    private static final Logger LOG = LoggerFactory.getLogger(DispatchProcessor.class);

    private final TokenRelayConfig config;
    private final UpstreamCaller caller;
    private final FailoverDecider decider;
    private final Map<String, Lane> lanes = new HashMap<>();
    private final Map<String, UpstreamCaller.Call> inFlight = new HashMap<>();
    /** Accounts whose health this task last wrote; it is their only writer, so this is current. */
    private final Map<String, AccountState> written = new HashMap<>();
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();

    private ProcessorContext<String, Emission> context;
    private KeyValueStore<String, PendingAttempt> store;
    private AccountStates states;
    private Cancellable drainer;
    private long sequence;

    public DispatchProcessor(TokenRelayConfig config, UpstreamCaller caller) {
        this.config = config;
        this.caller = caller;
        this.decider = new FailoverDecider(new AccountSelector(config));
    }

    @Override
    public void init(ProcessorContext<String, Emission> context) {
        this.context = context;
        this.store = context.getStateStore(ATTEMPTS_STORE);
        this.states = new StoreAccountStates(context.getStateStore(StoreAccountStates.STORE));
        reissuePending();
        this.drainer = context.schedule(config.processor().drainInterval(), PunctuationType.WALL_CLOCK_TIME,
                timestamp -> drain());
    }

    @Override
    public void process(Record<String, Attempt> record) {
        Attempt attempt = record.value();
        if (attempt == null) {
            return;
        }
        String key = attempt.key();
        if (store.get(key) != null) {
            return;
        }
        store.put(key, new PendingAttempt(attempt, sequence++));
        Lane lane = lane(attempt.account());
        lane.enqueue(key);
        pump(lane);
    }

    @Override
    public void close() {
        if (drainer != null) {
            drainer.cancel();
        }
        // Abandoned calls are re-issued by whichever task owns the partition next.
        inFlight.values().forEach(UpstreamCaller.Call::cancel);
        inFlight.clear();
        lanes.clear();
        completions.clear();
    }

    private void reissuePending() {
        List<KeyValue<String, PendingAttempt>> pending = new ArrayList<>();
        try (KeyValueIterator<String, PendingAttempt> all = store.all()) {
            all.forEachRemaining(pending::add);
        }
        pending.sort((a, b) -> Long.compare(a.value.sequence(), b.value.sequence()));
        for (KeyValue<String, PendingAttempt> entry : pending) {
            lane(entry.value.attempt().account()).enqueue(entry.key);
            sequence = Math.max(sequence, entry.value.sequence() + 1);
        }
        if (!pending.isEmpty()) {
            LOG.atInfo().addKeyValue("task", context.taskId()).addKeyValue("attempts", pending.size())
                    .log("re-issuing attempts that were queued or in flight");
        }
        lanes.values().forEach(this::pump);
    }

    private Lane lane(String account) {
        return lanes.computeIfAbsent(account, id -> {
            AccountConfig accountConfig = config.accounts().get(id);
            return new Lane(accountConfig == null ? 1 : UpstreamCaller.maxInFlight(config, accountConfig));
        });
    }

    private void pump(Lane lane) {
        String key;
        while ((key = lane.nextToStart()) != null) {
            PendingAttempt pending = store.get(key);
            if (pending != null) {
                start(key, pending.attempt(), lane);
            }
        }
    }

    private void start(String key, Attempt attempt, Lane lane) {
        AccountConfig account = config.accounts().get(attempt.account());
        UpstreamCaller.Call call = account == null
                ? new UpstreamCaller.Call(CompletableFuture.completedFuture(
                        Outcome.retryable("unknown_account", null, null, null, Duration.ZERO)), null)
                : caller.call(account, attempt.request());
        lane.started();
        inFlight.put(key, call);
        call.outcome().thenAccept(outcome -> completions.add(new Completion(key, outcome)));
    }

    private void drain() {
        Set<Lane> freed = new HashSet<>();
        Completion completion;
        while ((completion = completions.poll()) != null) {
            if (inFlight.remove(completion.key()) == null) {
                continue;
            }
            PendingAttempt pending = store.get(completion.key());
            if (pending == null) {
                continue;
            }
            Lane lane = lane(pending.attempt().account());
            lane.finished();
            freed.add(lane);
            finish(completion.key(), pending.attempt(), completion.outcome());
        }
        freed.forEach(this::pump);
    }

    private void finish(String key, Attempt attempt, Outcome outcome) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        try {
            TrailEntry entry = new TrailEntry(attempt.number(), attempt.account(), attempt.pool(), outcome.kind(),
                    outcome.reason(), outcome.httpStatus(), outcome.latency().toMillis(), outcome.startedAt());
            Instant cooldownUntil = cooldownUntil(outcome, now);
            JsonNode usage = outcome instanceof Outcome.Success success ? success.usage() : null;
            emit(new Emission.ToOutcomes(new AttemptOutcome(attempt.request().id(), attempt.request().generation(),
                    entry, cooldownUntil, usage)), now);
            accountStateChange(attempt.account(), outcome, cooldownUntil, now)
                    .ifPresent(state -> emit(new Emission.ToAccounts(state), now));
            Decision decision = decider.decide(attempt, outcome, entry, states, now);
            log(attempt, outcome, decision);
            if (decision instanceof Decision.Continue next) {
                emit(new Emission.ToAttempts(next.next()), now);
            } else {
                emitFinal(attempt, ((Decision.Finish) decision).result(), now);
            }
        } catch (RuntimeException e) {
            // A bug must not lose the request or stop the processor: end it visibly instead.
            LOG.atWarn().addKeyValue("requestId", attempt.request().id()).addKeyValue("account", attempt.account())
                    .log("attempt could not be completed: {}", e.toString());
            LOG.debug("attempt could not be completed", e);
            emitFinal(attempt, Results.failed(attempt.request(), ResultStatus.FAILED, 500,
                    ErrorInfo.of("internal_error", e.getClass().getSimpleName()), attempt.trail(), now), now);
        }
        store.delete(key);
    }

    private void emitFinal(Attempt attempt, ChatResult result, Instant now) {
        if (result.status() == ResultStatus.SUCCEEDED) {
            emit(new Emission.ToResults(result), now);
        } else {
            Results.unsuccessful(attempt.request(), result, now).forEach(emission -> emit(emission, now));
        }
    }

    private void emit(Emission emission, Instant now) {
        context.forward(new Record<>(emission.key(), emission, now.toEpochMilli()));
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
        AccountState previous = written.containsKey(account) ? written.get(account) : states.get(account).orElse(null);
        AccountState next = null;
        if (cooldownUntil != null) {
            int failures = previous == null ? 1 : previous.consecutiveFailures() + 1;
            next = new AccountState(account, cooldownUntil, outcome.reason(), outcome.kind(), outcome.httpStatus(),
                    failures, previous != null && previous.disabled(), now);
        } else if (outcome instanceof Outcome.Success success && success.is2xx() && previous != null
                && (previous.coolingUntil() != null || previous.consecutiveFailures() > 0)) {
            next = new AccountState(account, null, "recovered", outcome.kind(), outcome.httpStatus(), 0,
                    previous.disabled(), now);
        }
        if (next != null) {
            written.put(account, next);
        }
        return Optional.ofNullable(next);
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

    /** A call's outcome, handed from an HTTP client thread to the stream thread. */
    private record Completion(String key, Outcome outcome) {}
}
