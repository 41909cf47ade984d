package dev.tokenrelay.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a whole topic from its beginning with {@code read_committed}, as a downstream consumer of
 * tokenrelay's output must (it is written in transactions). No consumer group: nothing is
 * committed, every reader sees everything.
 */
public final class TopicReader<V> implements AutoCloseable {

    private final KafkaConsumer<String, V> consumer;
    private final List<ConsumerRecord<String, V>> records = new ArrayList<>();

    /** A reader of {@code topic} on a cluster that needs no client settings (the embedded broker). */
    public TopicReader(String bootstrapServers, String topic, Deserializer<V> valueDeserializer) {
        this(KafkaClients.plain(bootstrapServers), topic, valueDeserializer);
    }

    /** A reader of {@code topic}, with the client settings of {@code clients}. */
    public TopicReader(KafkaClients clients, String topic, Deserializer<V> valueDeserializer) {
        Map<String, Object> settings = clients.consumer("tokenrelay-reader", Map.of());
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(settings, new StringDeserializer(), valueDeserializer);
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Polls until {@code done} holds for everything read so far, or {@code timeout} passes.
     *
     * @return everything read so far, in the order read
     */
    public List<ConsumerRecord<String, V>> readUntil(Predicate<List<ConsumerRecord<String, V>>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(records) && System.nanoTime() - deadline < 0) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        return List.copyOf(records);
    }

    /** Polls for {@code duration} and returns everything read so far (to check that nothing more arrives). */
    public List<ConsumerRecord<String, V>> readFor(Duration duration) {
        return readUntil(all -> false, duration);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
