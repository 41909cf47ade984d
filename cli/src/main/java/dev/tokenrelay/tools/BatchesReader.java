package dev.tokenrelay.tools;

import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.BatchStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the compacted batches topic to its end, keeping the latest counts per batch.
 * {@link #readToEnd()} again reads only what came since, so a watch does not re-read the topic.
 */
public final class BatchesReader implements AutoCloseable {

    private final Cluster cluster;
    private final TopicReader<byte[]> reader;
    private final Deserializer<BatchStatus> values = Topics.BATCH_STATUSES.deserializer();
    private final Map<String, BatchStatus> batches = new LinkedHashMap<>();

    /** A reader of the batches topic of {@code cluster}, which must exist. */
    public BatchesReader(Cluster cluster) {
        this.cluster = cluster;
        String topic = cluster.topics().batches().name();
        cluster.requireTopics(topic);
        this.reader = cluster.reader(topic, "tokenrelay-batches");
    }

    /** The latest counts of every batch in the topic, by batch id, in the order first seen. */
    public Map<String, BatchStatus> readToEnd() {
        try {
            reader.readTo(reader.endOffsets(), this::apply, () -> { }, Cluster.READ_STALL);
            return new LinkedHashMap<>(batches);
        } catch (KafkaException e) {
            throw cluster.translate(e, reader.topic());
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            batches.remove(record.key());
            return;
        }
        try {
            BatchStatus status = values.deserialize(record.topic(), record.value());
            if (status != null) {
                batches.put(record.key(), status);
            }
        } catch (RuntimeException unreadable) {
            // A record this version cannot read says nothing new about the batch: keep what is known.
        }
    }

    @Override
    public void close() {
        reader.close();
    }
}
