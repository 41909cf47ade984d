package dev.tokenrelay.batches;

import dev.tokenrelay.cancel.CancellationsUpdater;
import dev.tokenrelay.cancel.StoreCancellations;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.BatchOpened;
import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.MessageValidator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch and cancellation part of the topology:
 * <pre>
 * results (with a batch) ---+
 *                           +--by batch id--> batch counter --> batches
 * control (batch opened) ---+
 * control (cancel) --> cancellations --> global store, read by intake and dispatch
 * </pre>
 * The control topic has two kinds of records, told apart by their key: a cancellation's key has a
 * colon ({@code batch:<id>}, {@code request:<id>}, {@code metadata:<key>=<value>}), which no batch
 * id has. Kafka Streams reads a topic either as a stream or into a global store, never both, so
 * cancellations are copied to a topic of their own for the global store.
 */
public final class BatchTopology {

    private static final Logger LOG = LoggerFactory.getLogger(BatchTopology.class);

    private BatchTopology() {}

    /**
     * Adds the batch counter and the global store of cancellations to {@code builder}.
     *
     * @param cancelVersion bumped whenever a cancellation reaches the global store
     */
    public static void build(StreamsBuilder builder, Topics topics, AtomicLong cancelVersion) {
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreCancellations.STORE), Topics.KEYS,
                        Topics.CANCELS).withLoggingDisabled(),
                topics.cancellations(),
                Consumed.with(Topics.KEYS, Topics.RAW_CONTROL).withName("cancellations"),
                () -> new CancellationsUpdater(cancelVersion));

        KStream<String, byte[]> control = builder.stream(topics.control(),
                Consumed.with(Topics.KEYS, Topics.RAW_CONTROL).withName("control"));
        control.filter((key, value) -> isCancelKey(key) && value != null && readable(key, value, Cancel.class),
                        Named.as("control-cancels"))
                .to(topics.cancellations(), Produced.with(Topics.KEYS, Topics.RAW_CONTROL).withName("cancellations-out"));
        KStream<String, BatchEvent> opened = control
                .flatMapValues((key, value) -> openedEvent(key, value), Named.as("control-batches-opened"));

        // Read as bytes: most results are in no batch, and decoding each one (its completion
        // included) only to find that out would cost more than the rest of this sub-topology.
        KStream<String, BatchEvent> results = builder.stream(topics.results(),
                        Consumed.with(Topics.KEYS, Serdes.ByteArray()).withName("results"))
                .filter((key, value) -> mayHaveBatch(value), Named.as("results-maybe-in-a-batch"))
                .flatMap((key, value) -> batchEvent(key, value), Named.as("results-by-batch"));

        results.merge(opened, Named.as("batch-events"))
                .repartition(Repartitioned.with(Topics.KEYS, BatchCounter.EVENTS).withName("batch-events-by-batch"))
                .process(BatchCounter.supplier(), Named.as("batch-counter"))
                .to(topics.batches(), Produced.with(Topics.KEYS, Topics.BATCH_STATUSES).withName("batches-out"));
    }

    private static final byte[] BATCH_FIELD = "\"batch\":".getBytes(StandardCharsets.UTF_8);

    /**
     * Whether a result, as tokenrelay writes it (compact JSON), may carry a batch: only a field name
     * has its quotes unescaped, so a result without {@code "batch":} has none. A match may be a
     * field of the metadata; decoding the result then tells.
     */
    static boolean mayHaveBatch(byte[] value) {
        if (value == null) {
            return false;
        }
        outer:
        for (int i = 0; i <= value.length - BATCH_FIELD.length; i++) {
            for (int j = 0; j < BATCH_FIELD.length; j++) {
                if (value[i + j] != BATCH_FIELD[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static List<KeyValue<String, BatchEvent>> batchEvent(String key, byte[] value) {
        try {
            ChatResult result = Topics.RESULTS.deserializer().deserialize(null, value);
            return result == null || result.batch() == null ? List.of()
                    : List.of(KeyValue.pair(result.batch(), BatchEvent.result(result.status(), result.completedAt())));
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("key", key).log("result not counted in its batch: {}", e.getMessage());
            return List.of();
        }
    }

    /** Whether a control record's key is a cancellation's. */
    static boolean isCancelKey(String key) {
        return key != null && key.indexOf(':') >= 0;
    }

    private static List<BatchEvent> openedEvent(String key, byte[] value) {
        if (key == null || value == null || isCancelKey(key)) {
            return List.of();
        }
        try {
            BatchOpened opened = MessageValidator.instance().read(value, BatchOpened.class);
            if (!opened.batch().equals(key)) {
                LOG.atWarn().addKeyValue("key", key).log("control record skipped: its key is not its batch {}",
                        opened.batch());
                return List.of();
            }
            return List.of(BatchEvent.opened(opened));
        } catch (InvalidMessageException | RuntimeException e) {
            LOG.atWarn().addKeyValue("key", key).log("control record skipped: {}", e.getMessage());
            return List.of();
        }
    }

    private static boolean readable(String key, byte[] value, Class<?> type) {
        try {
            MessageValidator.instance().read(value, type);
            return true;
        } catch (InvalidMessageException | RuntimeException e) {
            LOG.atWarn().addKeyValue("key", key).log("control record skipped: {}", e.getMessage());
            return false;
        }
    }
}
