package dev.tokenrelay.batches;

import dev.tokenrelay.kafka.JsonSerde;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.BatchStatus;
import java.time.Instant;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Counts the results of each batch in a changelogged store and forwards the new counts on every
 * event, for the batches topic. With exactly-once the store write, the output and the input offset
 * commit together: a result is counted once.
 */
public final class BatchCounter implements Processor<String, BatchEvent, String, BatchStatus> {

    /** The counts of every batch this task owns, by batch id. */
    public static final String STORE = "batch-counts";
    /** The serde of the events, on the repartition topic. */
    public static final JsonSerde<BatchEvent> EVENTS = new JsonSerde<>(BatchEvent.class);

    private ProcessorContext<String, BatchStatus> context;
    private KeyValueStore<String, BatchStatus> counts;

    /** The counter with the store it owns, for {@code KStream#process}. */
    public static ProcessorSupplier<String, BatchEvent, String, BatchStatus> supplier() {
        StoreBuilder<KeyValueStore<String, BatchStatus>> store = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(STORE), Topics.KEYS, Topics.BATCH_STATUSES);
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, BatchEvent, String, BatchStatus> get() {
                return new BatchCounter();
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(store);
            }
        };
    }

    @Override
    public void init(ProcessorContext<String, BatchStatus> context) {
        this.context = context;
        this.counts = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, BatchEvent> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        BatchStatus next = BatchCounts.apply(record.key(), counts.get(record.key()), record.value(),
                Instant.ofEpochMilli(record.timestamp()));
        counts.put(record.key(), next);
        context.forward(record.withValue(next));
    }
}
