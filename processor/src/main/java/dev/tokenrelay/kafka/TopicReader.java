package dev.tokenrelay.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The one reader of a whole topic: every partition, {@code read_committed} (tokenrelay writes its
 * output in transactions), without a consumer group (nothing is committed; every reader sees
 * everything). It starts at the beginning, or at a time, the end or given offsets, and reads to
 * the end offsets taken when the read began ({@link #readTo}), until a condition holds
 * ({@link #readUntil}), or for as long as it is not stopped ({@link #follow}).
 *
 * <p>Failures of the Kafka client reach the caller as the client's {@link KafkaException}s, for it
 * to word; a read that stops getting closer to its end throws {@link StalledException}.
 * {@link #stop()} may be called from another thread (a shutdown hook on Ctrl-C): the read in
 * progress returns as soon as it notices.
 *
 * @param <V> the values read; tools read bytes, so that a record they cannot read is theirs to
 *     count and skip instead of a poll that fails forever
 */
public final class TopicReader<V> implements AutoCloseable {

    /** Handles one record. */
    @FunctionalInterface
    public interface RecordHandler<V> {
        void accept(ConsumerRecord<String, V> record);
    }

    /** A bounded read made no progress for as long as it was allowed to. */
    public static final class StalledException extends KafkaException {

        private final String topic;
        private final Duration stall;

        StalledException(String topic, Duration stall) {
            super("reading " + topic + " made no progress for " + stall.toSeconds() + " s");
            this.topic = topic;
            this.stall = stall;
        }

        /** The topic read. */
        public String topic() {
            return topic;
        }

        /** How long it went without progress. */
        public Duration stall() {
            return stall;
        }
    }

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration DEFAULT_API_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final Duration apiTimeout;
    private final KafkaConsumer<String, V> consumer;
    private final List<ConsumerRecord<String, V>> records = new ArrayList<>();
    private List<TopicPartition> partitions;
    private volatile boolean stopped;

    /** A reader of {@code topic} from its beginning, on a cluster that needs no client settings (the embedded broker). */
    public TopicReader(String bootstrapServers, String topic, Deserializer<V> valueDeserializer) {
        this(KafkaClients.plain(bootstrapServers), topic, valueDeserializer);
    }

    /** A reader of {@code topic} from its beginning, with the client settings of {@code clients}. */
    public TopicReader(KafkaClients clients, String topic, Deserializer<V> valueDeserializer) {
        this(clients.consumer("tokenrelay-reader", Map.of()), topic, valueDeserializer, DEFAULT_API_TIMEOUT);
        fromBeginning();
    }

    /**
     * A reader of {@code topic} that starts at its beginning. It does not talk to the cluster
     * until it is used: then it looks up the topic's partitions.
     *
     * @param consumerSettings the client settings (address, security, client id...); the reader
     *     adds {@code read_committed}, no auto commit, and start at the earliest offset
     * @param apiTimeout how long one call to the cluster may take
     * @throws KafkaException when the settings do not make a consumer (e.g. a host name that does
     *     not resolve)
     */
    public TopicReader(Map<String, Object> consumerSettings, String topic, Deserializer<V> valueDeserializer,
            Duration apiTimeout) {
        Map<String, Object> settings = new HashMap<>(consumerSettings);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.topic = topic;
        this.apiTimeout = apiTimeout;
        this.consumer = new KafkaConsumer<>(settings, new StringDeserializer(), valueDeserializer);
    }

    /** The topic read. */
    public String topic() {
        return topic;
    }

    /**
     * The topic's partitions, looked up (and assigned, at the beginning) on first use.
     *
     * @throws UnknownTopicOrPartitionException when the topic does not exist
     */
    public List<TopicPartition> partitions() {
        if (partitions == null) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, apiTimeout);
            if (infos == null || infos.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic '" + topic + "' does not exist");
            }
            List<TopicPartition> found = infos.stream().map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(found);
            consumer.seekToBeginning(found);
            partitions = found;
        }
        return partitions;
    }

    /** The offset after the last committed record of every partition, now. */
    public Map<TopicPartition, Long> endOffsets() {
        return Map.copyOf(consumer.endOffsets(partitions(), apiTimeout));
    }

    /** Reads from the first record of every partition. */
    public void fromBeginning() {
        consumer.seekToBeginning(partitions());
    }

    /** Reads only records written from now on. */
    public void fromEnd() {
        from(endOffsets());
    }

    /** Reads from the given offsets. */
    public void from(Map<TopicPartition, Long> offsets) {
        partitions();
        offsets.forEach(consumer::seek);
    }

    /**
     * Reads from the first record of every partition whose timestamp is at or after {@code time};
     * a partition with none is read from its end.
     */
    public void fromTime(Instant time) {
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions().forEach(partition -> query.put(partition, time.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, apiTimeout);
        Map<TopicPartition, Long> ends = endOffsets();
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = found.get(partition);
            consumer.seek(partition, offset != null ? offset.offset() : ends.get(partition));
        }
    }

    /** How many offsets lie between where the reader is and {@code ends} (an upper bound of the records left). */
    public long remaining(Map<TopicPartition, Long> ends) {
        long remaining = 0;
        for (TopicPartition partition : partitions()) {
            remaining += Math.max(0, ends.getOrDefault(partition, 0L) - consumer.position(partition, apiTimeout));
        }
        return remaining;
    }

    /**
     * Reads until every partition has reached {@code ends} (the end offsets taken when the read
     * began, so records written meanwhile do not keep it going).
     *
     * @param afterPoll run after every poll, e.g. to update a progress display
     * @param stall how long the read may go without getting closer to {@code ends}
     * @return {@code false} when {@link #stop()} ended it early
     * @throws StalledException when it got no closer to the end for {@code stall} (the broker went away)
     */
    public boolean readTo(Map<TopicPartition, Long> ends, RecordHandler<V> handler, Runnable afterPoll, Duration stall) {
        long lastRemaining = Long.MAX_VALUE;
        long stallDeadline = System.nanoTime() + stall.toNanos();
        while (!stopped) {
            long remaining;
            try {
                remaining = remaining(ends);
            } catch (WakeupException e) {
                return false;
            }
            if (remaining == 0) {
                return true;
            }
            if (remaining < lastRemaining) {
                lastRemaining = remaining;
                stallDeadline = System.nanoTime() + stall.toNanos();
            } else if (System.nanoTime() - stallDeadline > 0) {
                throw new StalledException(topic, stall);
            }
            if (!poll(handler)) {
                return false;
            }
            afterPoll.run();
        }
        return false;
    }

    /**
     * Reads until {@code done} holds, {@code timeout} passes or {@link #stop()} is called.
     *
     * @param afterPoll run after every poll, e.g. to update a progress display
     * @return whether {@code done} holds
     */
    public boolean readUntil(BooleanSupplier done, Duration timeout, RecordHandler<V> handler, Runnable afterPoll) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean() && !stopped && System.nanoTime() - deadline < 0) {
            if (!poll(handler)) {
                break;
            }
            afterPoll.run();
        }
        return done.getAsBoolean();
    }

    /**
     * Reads, keeping every record, until {@code done} holds for everything read so far, {@code timeout}
     * passes or {@link #stop()} is called.
     *
     * @return everything read so far, in the order read
     */
    public List<ConsumerRecord<String, V>> readUntil(Predicate<List<ConsumerRecord<String, V>>> done, Duration timeout) {
        readUntil(() -> done.test(records), timeout, records::add, () -> { });
        return List.copyOf(records);
    }

    /** Reads for {@code duration} and returns everything read so far (to check that nothing more arrives). */
    public List<ConsumerRecord<String, V>> readFor(Duration duration) {
        return readUntil(all -> false, duration);
    }

    /** Reads new records as they come, until {@link #stop()} is called. */
    public void follow(RecordHandler<V> handler) {
        while (!stopped && poll(handler)) {
            // Each poll hands its records to the handler; nothing else to do between polls.
        }
    }

    /** Ends the read in progress, from any thread. */
    public void stop() {
        stopped = true;
        consumer.wakeup();
    }

    /** Whether {@link #stop()} was called. */
    public boolean stopped() {
        return stopped;
    }

    /** One poll; {@code false} when woken up by {@link #stop()}. */
    private boolean poll(RecordHandler<V> handler) {
        try {
            partitions();
            for (ConsumerRecord<String, V> record : consumer.poll(POLL)) {
                handler.accept(record);
            }
            return true;
        } catch (WakeupException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
        } catch (KafkaException e) {
            // Closing a reader that committed nothing cannot lose anything.
        }
    }
}
