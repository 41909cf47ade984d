package dev.tokenrelay.dispatch;

import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.cancel.StoreCancellations;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.dispatch.internal.PendingAttemptSerde;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.lanes.Cancellations;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
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
 *   <li>{@code init()} takes the queues back from the store, after a restart or a rebalance, and
 *       re-issues the calls that were in flight.</li>
 * </ul>
 * Nothing waits in memory only: queued and parked attempts are in the store, and the heap holds a
 * window of each account's queue. With exactly-once, the store write commits with the input offset and the
 * forwarded records commit with the delete: no attempt is lost and no result is written twice.
 * The upstream call itself is at-least-once across a crash.
 */
public final class DispatchProcessor implements Processor<String, byte[], String, Emission> {

    /**
     * The accounts' queues: attempts queued, parked or in flight, ordered by account, priority and
     * arrival, with their deadlines (see {@link Dispatcher}).
     */
    public static final String QUEUE_STORE = "dispatch-queue";
    /**
     * Attempts queued, parked or in flight by {@link Attempt#key()}, as releases before the queue
     * kept them: read once at start and moved into the queue, so an upgrade loses none.
     */
    public static final String ATTEMPTS_STORE = "dispatch-attempts";

    private static final Logger LOG = LoggerFactory.getLogger(DispatchProcessor.class);

    private final TokenRelayConfig config;
    private final UpstreamCaller caller;
    private final PipelineMetrics metrics;
    private final AtomicLong cancelVersion;

    private ProcessorContext<String, Emission> context;
    private Dispatcher dispatcher;
    private Cancellable drainer;

    /**
     * The dispatch stage with the store it owns, for {@code KStream#process}. Its time is the
     * caller's clock: the one calls are timed with.
     *
     * @param cancelVersion bumped whenever a cancellation arrives, so the dispatcher looks for what it ends
     */
    public static ProcessorSupplier<String, byte[], String, Emission> supplier(TokenRelayConfig config,
            UpstreamCaller caller, PipelineMetrics metrics, AtomicLong cancelVersion) {
        StoreBuilder<KeyValueStore<Bytes, byte[]>> queue = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(QUEUE_STORE), Serdes.Bytes(), Serdes.ByteArray());
        StoreBuilder<KeyValueStore<String, PendingAttempt>> attempts = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ATTEMPTS_STORE), Topics.KEYS, new PendingAttemptSerde());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, byte[], String, Emission> get() {
                return new DispatchProcessor(config, caller, metrics, cancelVersion);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(queue, attempts);
            }
        };
    }

    DispatchProcessor(TokenRelayConfig config, UpstreamCaller caller, PipelineMetrics metrics, AtomicLong cancelVersion) {
        this.config = config;
        this.caller = caller;
        this.metrics = metrics;
        this.cancelVersion = cancelVersion;
    }

    @Override
    public void init(ProcessorContext<String, Emission> context) {
        this.context = context;
        AccountStates table = new StoreAccountStates(context.getStateStore(StoreAccountStates.STORE));
        Cancellations cancellations = new StoreCancellations(context.getStateStore(StoreCancellations.STORE),
                cancelVersion);
        dispatcher = new Dispatcher(config, table, caller.credentials(), cancellations, caller::call,
                new QueueStore(context.getStateStore(QUEUE_STORE)), this::forward, metrics,
                metrics.lanes(context.taskId().toString()), caller.clock());
        int accounts = dispatcher.recover();
        int moved = moveOlderAttempts(context.getStateStore(ATTEMPTS_STORE));
        if (accounts > 0 || moved > 0) {
            LOG.atInfo().addKeyValue("task", context.taskId()).addKeyValue("accounts", accounts)
                    .addKeyValue("moved", moved).log("resuming the queues of this task");
        }
        drainWhileBusy();
    }

    /**
     * Drains every {@code drainInterval} until the dispatcher is idle, then stops until the next
     * attempt. A task whose accounts have no traffic (most tasks, when few accounts are busy) then
     * costs its stream thread nothing: the drain, and the commit check Kafka Streams runs after
     * every punctuation, each a hundred times a second, were half of an idle processor's CPU.
     */
    private void drainWhileBusy() {
        if (drainer != null || dispatcher.idle()) {
            return;
        }
        drainer = context.schedule(config.processor().drainInterval(), PunctuationType.WALL_CLOCK_TIME, timestamp -> {
            dispatcher.drain();
            if (dispatcher.idle()) {
                drainer.cancel();
                drainer = null;
            }
        });
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
        drainWhileBusy();
    }

    /**
     * Moves what the attempts store of an earlier release holds into the queue, in arrival order,
     * and empties it. Each is taken as if it had just arrived: a call that was running is made again.
     */
    private int moveOlderAttempts(KeyValueStore<String, PendingAttempt> older) {
        List<KeyValue<String, PendingAttempt>> stored = new ArrayList<>();
        try (KeyValueIterator<String, PendingAttempt> all = older.all()) {
            all.forEachRemaining(stored::add);
        }
        stored.sort(Comparator.comparingLong(entry -> entry.value.sequence()));
        for (KeyValue<String, PendingAttempt> entry : stored) {
            PendingAttempt pending = entry.value;
            dispatcher.accept(pending.attempt(), pending.json());
            older.put(entry.key, null);
        }
        return stored.size();
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

    /** The dispatcher's store over a RocksDB store, whose keys sort as unsigned bytes. */
    private record QueueStore(KeyValueStore<Bytes, byte[]> store) implements Dispatcher.Store {
        @Override
        public void put(byte[] key, byte[] value) {
            store.put(Bytes.wrap(key), value);
        }

        @Override
        public void delete(byte[] key) {
            // put(null), not delete(): delete reads the old value only to return it.
            store.put(Bytes.wrap(key), null);
        }

        @Override
        public byte[] get(byte[] key) {
            return store.get(Bytes.wrap(key));
        }

        @Override
        public List<Entry> range(byte[] from, byte[] to, int limit) {
            List<Entry> entries = new ArrayList<>(Math.min(limit, 64));
            Bytes end = Bytes.wrap(to);
            try (KeyValueIterator<Bytes, byte[]> range = store.range(Bytes.wrap(from), end)) {
                while (entries.size() < limit && range.hasNext()) {
                    KeyValue<Bytes, byte[]> next = range.next();
                    // The store's range includes its upper bound; the dispatcher's does not.
                    if (next.key.equals(end)) {
                        break;
                    }
                    entries.add(new Entry(next.key.get(), next.value));
                }
            }
            return entries;
        }
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
