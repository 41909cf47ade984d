package dev.tokenrelay.dispatch;

import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.dispatch.internal.PendingAttemptSerde;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.lanes.Dispatcher;
import dev.tokenrelay.lanes.PendingAttempt;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
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
 * The dispatch stage (docs/design.md, section 2), as Kafka Streams runs it: the decisions are the
 * {@link Dispatcher}'s; this processor gives it its store, its clock and the upstream, and
 * forwards what it emits. It owns the accounts of its partition, so their limits, queues and
 * cooldowns are state of this task alone. It never blocks the stream thread:
 * <ul>
 *   <li>{@code process()} hands the attempt over: it is written to a changelogged store and its
 *       call started, asynchronously, if the account has room and is not cooling;</li>
 *   <li>a wall-clock punctuator runs {@link Dispatcher#drain()} on the stream thread: finished
 *       calls are decided and forwarded and their store entries deleted; parked attempts whose time
 *       has come are released and those past their deadline expire;</li>
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

    private final TokenRelayConfig config;
    private final UpstreamCaller caller;
    private final PipelineMetrics metrics;

    private ProcessorContext<String, Emission> context;
    private Dispatcher dispatcher;
    private Cancellable drainer;

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
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Emission> context) {
        this.context = context;
        KeyValueStore<String, PendingAttempt> store = context.getStateStore(ATTEMPTS_STORE);
        AccountStates table = new StoreAccountStates(context.getStateStore(StoreAccountStates.STORE));
        dispatcher = new Dispatcher(config, table, caller.credentials(), caller::call, new Dispatcher.Store() {
            @Override
            public void put(String key, PendingAttempt pending) {
                store.put(key, pending);
            }

            @Override
            public void delete(String key) {
                // put(null), not delete(): delete reads and decodes the old value only to return it.
                store.put(key, null);
            }
        }, this::forward, metrics, metrics.lanes(context.taskId().toString()), caller.clock());
        Map<String, PendingAttempt> stored = new HashMap<>();
        try (KeyValueIterator<String, PendingAttempt> all = store.all()) {
            all.forEachRemaining(entry -> stored.put(entry.key, entry.value));
        }
        int recovered = dispatcher.recover(stored);
        if (recovered > 0) {
            LOG.atInfo().addKeyValue("task", context.taskId()).addKeyValue("attempts", recovered)
                    .log("re-issuing attempts that were queued, parked or in flight");
        }
        this.drainer = context.schedule(config.processor().drainInterval(), PunctuationType.WALL_CLOCK_TIME,
                timestamp -> dispatcher.drain());
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
        dispatcher.accept(attempt, record.value());
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
        Instant now = dispatcher.now();
        forward(new Emission.ToDeadLetter(key, Results.unreadable(null, reason, record.value(), source, now)), now);
    }

    private void forward(Emission emission, Instant at) {
        context.forward(new Record<>(emission.key(), emission, at.toEpochMilli()));
    }

    @Override
    public void close() {
        if (drainer != null) {
            drainer.cancel();
        }
        if (dispatcher != null) {
            // Abandoned calls are re-issued by whichever task owns the partition next.
            dispatcher.close();
        }
    }
}
