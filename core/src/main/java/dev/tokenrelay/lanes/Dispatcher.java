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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decisions of one dispatch task (docs/design.md, section 2), in plain Java: which attempts to
 * start and when (priorities, in-flight and per-minute limits, cooldowns, parking, probes of
 * disabled accounts, deadlines), how each call's exchange is classified, and what each outcome
 * emits (the outcome, the account's health, the next attempt or the result). The dispatch stage
 * adapts it to Kafka Streams: it hands attempts over, runs {@link #drain()} on the stream thread,
 * and stores and forwards what this decides.
 *
 * <p>Memory: the queues live in the task's {@link Store}, ordered by account, priority and
 * arrival ({@link QueueKeys}). The heap holds, per account, a window of at most
 * {@link TokenRelayConfig#queueWindow} attempts ready to start (plus the oldest attempt of each
 * lower priority, for the no-starvation rule of {@link Lane}) and the calls running; the drain
 * tops the window up from the store. Parked attempts and deadlines are store entries ordered by
 * time, read as they fall due. So a backlog of any size costs disk, not heap, and a restart reads
 * only the window back.
 *
 * <p>Threads: {@link #recover}, {@link #accept}, {@link #drain()} and {@link #close()} run on the
 * stream thread, the only one that touches the store. A call ends on whatever thread completes it
 * (an HTTP client thread); that path touches only the account's {@link Lane} (thread-safe) and the
 * queue of completions, so a freed slot starts the next attempt of the window at once instead of
 * waiting for the stream thread. Time comes from the one injected {@link Clock}, to the millisecond.
 */
public final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** Set while a completing call starts the next one, so a call that ends at once does not recurse. */
    private static final ThreadLocal<Boolean> REFILLING = ThreadLocal.withInitial(() -> false);
    /** Stands for a call that ended before it was sent: there is nothing to abandon. */
    private static final UpstreamCall NOT_STARTED = new UpstreamCall(new CompletableFuture<>(), null, () -> {});
    /** Sequences reserved in the store at a time: one write per this many attempts keeps them unique. */
    private static final long SEQUENCE_BLOCK = 1 << 16;
    /** The most parked or expired entries one drain reads, so that a burst is spread over drains. */
    private static final int DUE_PER_DRAIN = 512;
    /** The most entries one read of an account's queue returns. */
    private static final int READ_BATCH = 256;

    /** Starts the call of an attempt; may run on the stream thread or on a thread ending another call. */
    @FunctionalInterface
    public interface Calls {
        UpstreamCall start(AccountConfig account, ChatRequest request);
    }

    /**
     * The task's durable, ordered store: keys sort as unsigned bytes (as RocksDB sorts them).
     * Only the stream thread uses it.
     */
    public interface Store {
        void put(byte[] key, byte[] value);

        void delete(byte[] key);

        /** The value under {@code key}, or {@code null}. */
        byte[] get(byte[] key);

        /** At most {@code limit} entries with {@code from <= key < to}, in key order. */
        List<Entry> range(byte[] from, byte[] to, int limit);

        /** One key and its value. */
        record Entry(byte[] key, byte[] value) {}
    }

    /** Where emissions go, each stamped with the time it was decided at. */
    @FunctionalInterface
    public interface Output {
        void emit(Emission emission, Instant at);
    }

    private final TokenRelayConfig config;
    private final Cancellations cancellations;
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
    private final Map<String, Backlog> backlogs = new HashMap<>();
    /** Calls started and not yet drained, by sequence; call-ending threads add to the queue below. */
    private final Map<Long, UpstreamCall> inFlight = new ConcurrentHashMap<>();
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    /** Account health this task last wrote; it owns these accounts, so this is newer than the table. */
    private final Map<String, AccountState> written = new HashMap<>();
    /** The attempts on the heap (in a window, running, or ended and not yet drained), by sequence. */
    private final Map<Long, Held> held = new HashMap<>();
    /** The deadlines of the attempts on the heap; those waiting in the store have entries there. */
    private final TreeSet<Due> heapDeadlines = new TreeSet<>();
    /** Attempts of a cooling account that wait for it, by sequence, with when to decide again. */
    private final Map<Long, Long> waitingForCooldown = new HashMap<>();
    private long sequence;
    private long reserved;
    /** No parked entry in the store is due before this time; {@link Long#MAX_VALUE}: none is known. */
    private long nextParkedMs = Long.MAX_VALUE;
    /** No deadline entry in the store is due before this time; {@link Long#MAX_VALUE}: none is known. */
    private long nextDeadlineMs = Long.MAX_VALUE;
    /** The cancellations last looked for in what this task holds. */
    private long cancellationsSeen;
    /** Where the look through the store for newly cancelled attempts stands; {@code null}: none under way. */
    private byte[] cancelSweep;
    private volatile boolean closed;

    /** A dispatcher for which nothing is ever cancelled. */
    public Dispatcher(TokenRelayConfig config, AccountStates table, CredentialCheck credentials, Calls calls,
            Store store, Output output, PipelineMetrics metrics, PipelineMetrics.Lanes laneMetrics, Clock clock) {
        this(config, table, credentials, Cancellations.NONE, calls, store, output, metrics, laneMetrics, clock);
    }

    /**
     * @param table         the accounts' health as every instance sees it (the accounts topic)
     * @param credentials   which accounts have no usable credential: they are not chosen
     * @param cancellations which requests were cancelled: their waiting attempts end with no call
     */
    public Dispatcher(TokenRelayConfig config, AccountStates table, CredentialCheck credentials,
            Cancellations cancellations, Calls calls, Store store, Output output, PipelineMetrics metrics,
            PipelineMetrics.Lanes laneMetrics, Clock clock) {
        this.config = config;
        this.cancellations = cancellations;
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
     * every account's queue, its parked attempts and deadlines, in their order; and starts what may
     * start. Only the accounts' windows are read, so this takes as long for a million queued
     * attempts as for a hundred.
     *
     * @return how many accounts have attempts queued
     */
    public int recover() {
        byte[] reservedBefore = store.get(QueueKeys.SEQUENCE);
        sequence = reservedBefore == null ? 0 : QueueKeys.longOf(reservedBefore);
        reserved = sequence;
        String account = null;
        List<Store.Entry> next;
        while (!(next = store.range(QueueKeys.queuedAfter(account), QueueKeys.queuedEnd(), 1)).isEmpty()) {
            account = QueueKeys.accountOf(next.get(0).key());
            Backlog backlog = backlog(account);
            backlog.onDisk = true;
            byte[] count = store.get(QueueKeys.count(account));
            backlog.count = count == null ? 0 : QueueKeys.longOf(count);
        }
        nextParkedMs = firstTime(QueueKeys.PARKED, QueueKeys.first(QueueKeys.PARKED));
        nextDeadlineMs = firstTime(QueueKeys.DEADLINE, QueueKeys.first(QueueKeys.DEADLINE));
        int accounts = backlogs.size();
        Instant now = now();
        releaseParked(now);
        new ArrayList<>(backlogs.keySet()).forEach(id -> {
            refill(id);
            pump(id, now);
        });
        return accounts;
    }

    /**
     * An attempt arrived: it is stored in its account's queue (or parked until its start time), put
     * in the account's window if it belongs there, and started if the account has room.
     *
     * @param json the attempt as it arrived, stored as it is so that it is never encoded again
     */
    public void accept(Attempt attempt, byte[] json) {
        Instant now = now();
        Optional<String> cancelled = cancellations.cancelled(attempt.request());
        if (cancelled.isPresent()) {
            emitFinal(attempt, cancelledResult(attempt, attempt.trail(), cancelled.get(), now), now);
            return;
        }
        long seq = nextSequence();
        backlog(attempt.account()).counted(1);
        if (attempt.notBefore() != null && attempt.notBefore().isAfter(now)) {
            park(new PendingAttempt(attempt, seq, json));
            return;
        }
        QueueOrder order = QueueOrder.of(priorityOf(attempt), seq);
        byte[] key = QueueKeys.queued(attempt.account(), order);
        store.put(key, new PendingAttempt(attempt, seq, json).toBytes());
        place(attempt, order, key, false);
        pump(attempt.account(), now);
    }

    /**
     * The stream thread's turn: finishes the calls that ended (classified outcome, failover,
     * result), releases parked attempts that are due, ends those whose deadline passed, tops the
     * windows up from the store and starts what the accounts have room for.
     */
    public void drain() {
        Instant now = now();
        Completion completion;
        while ((completion = completions.poll()) != null) {
            if (inFlight.remove(completion.sequence()) == null) {
                continue;
            }
            Held pending = held.get(completion.sequence());
            if (pending == null) {
                continue;
            }
            finish(completion.sequence(), pending.attempt(), completion.outcome(), completion.cooldownUntil(), now);
        }
        releaseParked(now);
        expireOverdue(now);
        endCancelled(now);
        for (String account : new ArrayList<>(lanes.keySet())) {
            refill(account);
            pump(account, now);
        }
        backlogs.forEach((account, backlog) -> {
            if (backlog.countChanged) {
                if (backlog.count == 0) {
                    store.delete(QueueKeys.count(account));
                } else {
                    store.put(QueueKeys.count(account), QueueKeys.longValue(backlog.count));
                }
                backlog.countChanged = false;
            }
        });
        lanes.forEach((account, lane) -> laneMetrics.update(account, lane.inFlight(),
                (int) Math.min(Integer.MAX_VALUE, Math.max(0, queued(account) - lane.inFlight()))));
    }

    /** Abandons the calls in flight: whichever task owns the partition next re-issues them. */
    public void close() {
        closed = true;
        inFlight.values().forEach(call -> call.cancel().run());
        inFlight.clear();
        laneMetrics.close();
        lanes.clear();
        backlogs.clear();
        held.clear();
        heapDeadlines.clear();
        waitingForCooldown.clear();
        completions.clear();
    }

    /**
     * Attempts of the account held by this task: queued, parked or running, on the heap or in the
     * store. Counted as they come and go, and kept in the store between drains; after a crash it
     * may be off by the attempts of the last commit interval.
     */
    public long queued(String account) {
        Backlog backlog = backlogs.get(account);
        return backlog == null ? 0 : backlog.count;
    }

    /**
     * Whether a drain would find nothing to do until the next attempt arrives: no call running or
     * ended undrained, no attempt waiting, parked or counted in the store, and every count written.
     * The stream thread may then stop draining until the next attempt arrives.
     */
    public boolean idle() {
        return inFlight.isEmpty() && completions.isEmpty() && held.isEmpty() && heapDeadlines.isEmpty()
                && waitingForCooldown.isEmpty() && nextParkedMs == Long.MAX_VALUE
                && backlogs.values().stream().allMatch(backlog -> backlog.count == 0 && !backlog.countChanged);
    }

    /** How many attempts are on the heap: in windows, running, or ended and not yet drained. */
    int attemptsOnHeap() {
        return held.size();
    }

    /**
     * Puts a queued attempt on the heap if it belongs in its account's window; else it waits in the
     * store, its deadline with it.
     *
     * @param deadlineStored whether its deadline may already have an entry in the store
     */
    private void place(Attempt attempt, QueueOrder order, byte[] key, boolean deadlineStored) {
        String account = attempt.account();
        Backlog backlog = backlog(account);
        Lane lane = lane(account);
        if (order.compareTo(backlog.from) < 0) {
            hold(attempt, order, key, deadlineStored);
            int window = window(account);
            while (lane.countBefore(backlog.from) > window) {
                QueueOrder evicted = lane.evictBefore(backlog.from);
                Held gone = held.remove(evicted.sequence());
                waitingForCooldown.remove(evicted.sequence());
                if (gone.attempt().deadline() != null) {
                    heapDeadlines.remove(new Due(deadlineMs(gone.attempt()), evicted.sequence()));
                    if (!gone.deadlineStored()) {
                        indexDeadline(gone.attempt(), evicted.sequence(), gone.key());
                    }
                }
                backlog.from = evicted;
                backlog.onDisk = true;
            }
        } else if (!backlog.onDisk && lane.countBefore(backlog.from) < window(account)) {
            hold(attempt, order, key, deadlineStored);
            backlog.from = order.next();
        } else {
            backlog.onDisk = true;
            if (!deadlineStored) {
                indexDeadline(attempt, order.sequence(), key);
            }
        }
    }

    /**
     * Puts an attempt in its window. Its deadline is watched on the heap while it is there: an
     * attempt that starts soon costs no deadline entry in the store.
     */
    private void hold(Attempt attempt, QueueOrder order, byte[] key, boolean deadlineStored) {
        held.put(order.sequence(), new Held(attempt, key, deadlineStored));
        if (attempt.deadline() != null) {
            heapDeadlines.add(new Due(deadlineMs(attempt), order.sequence()));
        }
        lane(attempt.account()).enqueue(order, attempt);
    }

    /**
     * Tops the account's window up from its queue in the store, and makes sure the oldest attempt
     * of every lower priority is on the heap too, so that the lane can keep its no-starvation rule.
     */
    private void refill(String account) {
        Backlog backlog = backlogs.get(account);
        if (backlog == null || !backlog.onDisk) {
            return;
        }
        Lane lane = lane(account);
        byte[] end = QueueKeys.queueEnd(account);
        int wanted = window(account) - lane.countBefore(backlog.from);
        while (wanted > 0 && backlog.onDisk) {
            List<Store.Entry> entries = store.range(QueueKeys.queued(account, backlog.from), end,
                    Math.min(READ_BATCH, wanted + 16));
            for (Store.Entry entry : entries) {
                if (wanted == 0) {
                    break;
                }
                QueueOrder order = QueueKeys.orderOf(entry.key());
                backlog.from = order.next();
                if (!held.containsKey(order.sequence()) && load(order, entry)) {
                    wanted--;
                }
            }
            if (wanted > 0 && entries.size() < Math.min(READ_BATCH, wanted + 16)) {
                backlog.onDisk = false;
            }
        }
        if (!backlog.onDisk) {
            return;
        }
        // The oldest attempt of each lower priority, for the lane's no-starvation rule.
        QueueOrder band = backlog.from.nextRank();
        while (band != null) {
            List<Store.Entry> head = store.range(QueueKeys.queued(account, band), end, 1);
            if (head.isEmpty()) {
                break;
            }
            QueueOrder order = QueueKeys.orderOf(head.get(0).key());
            if (!held.containsKey(order.sequence())) {
                load(order, head.get(0));
            }
            band = order.nextRank();
        }
    }

    /** Decodes a queued entry onto the heap; one that does not decode is dead-lettered and dropped. */
    private boolean load(QueueOrder order, Store.Entry entry) {
        PendingAttempt pending;
        try {
            pending = PendingAttempt.fromBytes(entry.value());
        } catch (IllegalArgumentException e) {
            LOG.atWarn().addKeyValue("sequence", order.sequence()).log("stored attempt dropped: {}", e.getMessage());
            store.delete(entry.key());
            return false;
        }
        if (endIfCancelled(pending.attempt(), pending.sequence(), entry.key(), now())) {
            return false;
        }
        // An attempt that was on the heap before a restart has no deadline entry; one that waited in the store has.
        hold(pending.attempt(), order, entry.key(), true);
        return true;
    }

    /**
     * Looks for newly cancelled requests in what this task holds: at once in the windows, then
     * through the store a batch of entries per drain, so a cancelled backlog ends without waiting
     * for its turn and without one long pause of the stream thread.
     */
    private void endCancelled(Instant now) {
        long version = cancellations.version();
        if (version != cancellationsSeen) {
            cancellationsSeen = version;
            lanes.forEach((account, lane) -> lane.waitingOrder().forEach(order -> {
                Held pending = held.get(order.sequence());
                if (pending != null) {
                    Optional<String> cancelled = cancellations.cancelled(pending.attempt().request());
                    if (cancelled.isPresent() && lane.withdraw(order.sequence())) {
                        emitFinal(pending.attempt(), cancelledResult(pending.attempt(), pending.attempt().trail(),
                                cancelled.get(), now), now);
                        forget(order.sequence(), pending.attempt());
                    }
                }
            }));
            cancelSweep = QueueKeys.first(QueueKeys.PARKED);
        }
        if (cancelSweep == null) {
            return;
        }
        List<Store.Entry> entries = store.range(cancelSweep, QueueKeys.queuedEnd(), DUE_PER_DRAIN);
        for (Store.Entry entry : entries) {
            cancelSweep = successor(entry.key());
            boolean queued = entry.key()[0] == QueueKeys.QUEUED;
            if (queued && held.containsKey(QueueKeys.orderOf(entry.key()).sequence())) {
                continue;
            }
            try {
                PendingAttempt pending = PendingAttempt.fromBytes(entry.value());
                endIfCancelled(pending.attempt(), pending.sequence(), entry.key(), now);
            } catch (IllegalArgumentException e) {
                LOG.atDebug().log("stored attempt not readable while looking for cancellations: {}", e.getMessage());
            }
        }
        if (entries.size() < DUE_PER_DRAIN) {
            cancelSweep = null;
        }
    }

    /** Ends a stored attempt that is not on the heap if its request was cancelled. */
    private boolean endIfCancelled(Attempt attempt, long seq, byte[] key, Instant now) {
        Optional<String> cancelled = cancellations.cancelled(attempt.request());
        if (cancelled.isEmpty()) {
            return false;
        }
        store.delete(key);
        if (attempt.deadline() != null) {
            store.delete(QueueKeys.deadline(deadlineMs(attempt), seq));
        }
        backlog(attempt.account()).counted(-1);
        emitFinal(attempt, cancelledResult(attempt, attempt.trail(), cancelled.get(), now), now);
        return true;
    }

    private static ChatResult cancelledResult(Attempt attempt, List<TrailEntry> trail, String why, Instant now) {
        return Results.failed(attempt.request(), ResultStatus.CANCELLED, 499, ErrorInfo.of("cancelled", why),
                trail, now);
    }

    /** The smallest key after {@code key}. */
    private static byte[] successor(byte[] key) {
        return Arrays.copyOf(key, key.length + 1);
    }

    /** Parks an attempt in the store until its start time. */
    private void park(PendingAttempt pending) {
        long notBeforeMs = pending.attempt().notBefore().toEpochMilli();
        nextParkedMs = Math.min(nextParkedMs, notBeforeMs);
        byte[] key = QueueKeys.parked(notBeforeMs, pending.sequence());
        store.put(key, pending.toBytes());
        indexDeadline(pending.attempt(), pending.sequence(), key);
    }

    /** Moves the parked attempts whose time has come into their accounts' queues. */
    private void releaseParked(Instant now) {
        if (now.toEpochMilli() < nextParkedMs) {
            return;
        }
        List<Store.Entry> due = due(QueueKeys.PARKED, now.toEpochMilli(), next -> nextParkedMs = next);
        for (Store.Entry entry : due) {
            store.delete(entry.key());
            PendingAttempt pending;
            try {
                pending = PendingAttempt.fromBytes(entry.value());
            } catch (IllegalArgumentException e) {
                LOG.atWarn().log("parked attempt dropped: {}", e.getMessage());
                continue;
            }
            Attempt attempt = pending.attempt();
            if (endIfCancelled(attempt, pending.sequence(), entry.key(), now)) {
                continue;
            }
            QueueOrder order = QueueOrder.of(priorityOf(attempt), pending.sequence());
            byte[] key = QueueKeys.queued(attempt.account(), order);
            store.put(key, entry.value());
            indexDeadline(attempt, pending.sequence(), key);
            place(attempt, order, key, true);
        }
    }

    private void indexDeadline(Attempt attempt, long seq, byte[] key) {
        if (attempt.deadline() != null) {
            nextDeadlineMs = Math.min(nextDeadlineMs, deadlineMs(attempt));
            store.put(QueueKeys.deadline(deadlineMs(attempt), seq), key);
        }
    }

    /**
     * The entries of {@code kind} (parked or deadline) due by {@code nowMs}, at most
     * {@link #DUE_PER_DRAIN}, handing {@code next} the time the next one is due.
     */
    private List<Store.Entry> due(byte kind, long nowMs, LongConsumer next) {
        List<Store.Entry> due = store.range(QueueKeys.first(kind), QueueKeys.dueBy(kind, nowMs), DUE_PER_DRAIN);
        next.accept(due.size() == DUE_PER_DRAIN ? nowMs : firstTime(kind, QueueKeys.dueBy(kind, nowMs)));
        return due;
    }

    /**
     * When the first entry of {@code kind} (parked or deadline) from {@code from} on is due, or
     * {@link Long#MAX_VALUE} when there is none. A drain reads the store for due entries only once
     * this time has come: a read that starts where finished attempts left their deletions behind
     * walks over every one of them until RocksDB compacts them away.
     */
    private long firstTime(byte kind, byte[] from) {
        List<Store.Entry> first = store.range(from, QueueKeys.first((byte) (kind + 1)), 1);
        return first.isEmpty() ? Long.MAX_VALUE : QueueKeys.timeOf(first.get(0).key());
    }

    /** The deadline rounded up to the millisecond: an attempt never expires before its deadline. */
    private static long deadlineMs(Attempt attempt) {
        Instant deadline = attempt.deadline();
        return deadline.toEpochMilli() + (deadline.getNano() % 1_000_000 == 0 ? 0 : 1);
    }

    private long nextSequence() {
        if (sequence >= reserved) {
            reserved = sequence + SEQUENCE_BLOCK;
            store.put(QueueKeys.SEQUENCE, QueueKeys.longValue(reserved));
        }
        return sequence++;
    }

    private Lane lane(String account) {
        return lanes.computeIfAbsent(account, id -> {
            AccountConfig accountConfig = config.accounts().get(id);
            return accountConfig == null ? new Lane(1, null)
                    : new Lane(config.maxInFlight(accountConfig), accountConfig.requestsPerMinute(),
                            accountConfig.tokensPerMinute());
        });
    }

    private Backlog backlog(String account) {
        lane(account);
        return backlogs.computeIfAbsent(account, id -> new Backlog());
    }

    private int window(String account) {
        AccountConfig accountConfig = config.accounts().get(account);
        return accountConfig == null ? 1 : config.queueWindow(accountConfig);
    }

    /**
     * Starts what the account has room for. A cooling or disabled account starts nothing: the
     * attempts of its window are sent elsewhere or wait here until the cooldown (or the probe) is
     * due. A disabled account whose probe is due runs one call at a time.
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
            lane.waitingOrder().forEach(order -> redirect(lane, order.sequence(), now));
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
        inFlight.put(start.sequence(), call);
        outcome.thenAccept(ended -> ended(lane, start.sequence(), ended));
    }

    /**
     * A call ended, on whatever thread completed it: frees its slot, blocks the lane at once if the
     * outcome asks for a cooldown, hands the outcome to the stream thread, and starts the next
     * attempt of the window in the freed slot.
     */
    private void ended(Lane lane, long seq, Outcome outcome) {
        Instant cooldownUntil = cooldownUntil(outcome, now());
        if (cooldownUntil != null) {
            lane.blockUntil(cooldownUntil.toEpochMilli());
        }
        lane.finished(seq, TokenCount.used(outcome));
        completions.add(new Completion(seq, outcome, cooldownUntil));
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

    /**
     * Sends a waiting attempt of a cooling account on: elsewhere, or to its end. One that is to
     * wait for this account stays where it is (the lane is blocked until the cooldown ends) and is
     * not decided again until then.
     */
    private void redirect(Lane lane, long seq, Instant now) {
        Held pending = held.get(seq);
        Long decideAgainAt = waitingForCooldown.get(seq);
        if (pending == null || (decideAgainAt != null && decideAgainAt > now.toEpochMilli())) {
            return;
        }
        Attempt attempt = pending.attempt();
        Decision decision = decider.redirect(attempt, states, now);
        if (decision instanceof Decision.Continue next && next.next().account().equals(attempt.account())) {
            Instant notBefore = next.next().notBefore();
            waitingForCooldown.put(seq, notBefore == null ? now.toEpochMilli() : notBefore.toEpochMilli());
            return;
        }
        if (lane.withdraw(seq)) {
            emitDecision(attempt, decision, now);
            forget(seq, attempt);
        }
    }

    /** Ends the attempts still waiting (queued or parked) when their request's deadline passed. */
    private void expireOverdue(Instant now) {
        while (!heapDeadlines.isEmpty() && heapDeadlines.first().atMs() <= now.toEpochMilli()) {
            long seq = heapDeadlines.pollFirst().sequence();
            Held pending = held.get(seq);
            // A call that is running (or ended, not yet drained) ends by itself; the failover rule
            // then sees the deadline.
            if (pending != null && lane(pending.attempt().account()).withdraw(seq)) {
                expire(pending.attempt(), now);
                forget(seq, pending.attempt());
            }
        }
        if (now.toEpochMilli() < nextDeadlineMs) {
            return;
        }
        List<Store.Entry> overdue = due(QueueKeys.DEADLINE, now.toEpochMilli(), next -> nextDeadlineMs = next);
        for (Store.Entry due : overdue) {
            long seq = QueueKeys.sequenceOf(due.key());
            Held pending = held.get(seq);
            if (pending != null) {
                // A call that is running (or ended, not yet drained) ends by itself; the failover
                // rule then sees the deadline.
                if (lane(pending.attempt().account()).withdraw(seq)) {
                    expire(pending.attempt(), now);
                    forget(seq, pending.attempt());
                } else {
                    store.delete(due.key());
                }
                continue;
            }
            store.delete(due.key());
            byte[] stored = store.get(due.value());
            if (stored == null) {
                continue;
            }
            store.delete(due.value());
            try {
                Attempt attempt = PendingAttempt.fromBytes(stored).attempt();
                backlog(attempt.account()).counted(-1);
                expire(attempt, now);
            } catch (IllegalArgumentException e) {
                LOG.atWarn().log("stored attempt dropped: {}", e.getMessage());
            }
        }
    }

    private void expire(Attempt attempt, Instant now) {
        LOG.atDebug().addKeyValue("requestId", attempt.request().id()).addKeyValue("account", attempt.account())
                .log("request expired while waiting");
        emitDecision(attempt, FailoverDecider.expired(attempt.request(), attempt.trail(), now), now);
    }

    /**
     * @param cooldownUntil the end of the cooldown the outcome asked for, reckoned when the call
     *                      ended, as the lane was blocked: the drain may run much later, and the
     *                      published cooldown must be the one the account is held to
     */
    private void finish(long seq, Attempt attempt, Outcome outcome, Instant cooldownUntil, Instant now) {
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
            if (decision instanceof Decision.Continue next) {
                // A call that was running when its request was cancelled finishes; it is not tried again.
                Optional<String> cancelled = cancellations.cancelled(attempt.request());
                if (cancelled.isPresent()) {
                    decision = new Decision.Finish(cancelledResult(attempt, next.next().trail(),
                            cancelled.get() + " while a call was running", now));
                }
            }
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
        forget(seq, attempt);
    }

    /** Drops a finished attempt from the store and from the heap. */
    private void forget(long seq, Attempt attempt) {
        Held pending = held.remove(seq);
        if (pending != null) {
            store.delete(pending.key());
        }
        lane(attempt.account()).withdraw(seq);
        waitingForCooldown.remove(seq);
        backlog(attempt.account()).counted(-1);
        if (attempt.deadline() != null) {
            heapDeadlines.remove(new Due(deadlineMs(attempt), seq));
            if (pending == null || pending.deadlineStored()) {
                store.delete(QueueKeys.deadline(deadlineMs(attempt), seq));
            }
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

    /** The priority of an attempt's request: a higher one starts first within its account's queue. */
    private static int priorityOf(Attempt attempt) {
        return attempt.request().priority();
    }

    /**
     * A call's outcome, handed from the thread that ended it to the stream thread, with the end of
     * the cooldown it blocked the lane until ({@code null}: none).
     */
    private record Completion(long sequence, Outcome outcome, Instant cooldownUntil) {}

    /**
     * An attempt on the heap, with its key in the store and whether its deadline may have an entry
     * there too.
     */
    private record Held(Attempt attempt, byte[] key, boolean deadlineStored) {}

    /** When the attempt with {@code sequence}, on the heap, is due to expire. */
    private record Due(long atMs, long sequence) implements Comparable<Due> {
        @Override
        public int compareTo(Due other) {
            int byTime = Long.compare(atMs, other.atMs);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }

    /**
     * Where an account's window stands in its queue in the store. Every queued attempt before
     * {@code from} is on the heap (in the window, running, or ended and not yet drained); those from
     * it on may wait in the store only, when {@code onDisk}.
     */
    private static final class Backlog {
        QueueOrder from = QueueOrder.FIRST;
        boolean onDisk;
        long count;
        boolean countChanged;

        void counted(int change) {
            count = Math.max(0, count + change);
            countChanged = true;
        }
    }
}
