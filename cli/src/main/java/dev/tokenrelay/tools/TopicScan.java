package dev.tokenrelay.tools;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every partition of one topic with {@code read_committed}, without a consumer group (no
 * offsets are committed; every run sees everything), from a chosen position: the beginning, a
 * time, the end, or given offsets. Values are handed over as bytes, so a record that cannot be read
 * is the caller's to count and skip instead of a poll that fails forever.
 *
 * <p>{@link #stop()} may be called from another thread (a shutdown hook on Ctrl-C): the read in
 * progress returns as soon as it notices.
 */
public final class TopicScan implements AutoCloseable {

    /** Handles one record. */
    @FunctionalInterface
    public interface RecordHandler {
        void accept(ConsumerRecord<String, byte[]> record);
    }

    private static final Duration POLL = Duration.ofMillis(200);
    /** How long a bounded read may go without getting closer to its end before it gives up. */
    private static final Duration STALL = Duration.ofSeconds(30);

    private final Cluster cluster;
    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions;
    private volatile boolean stopped;

    private TopicScan(Cluster cluster, String topic, KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions) {
        this.cluster = cluster;
        this.topic = topic;
        this.consumer = consumer;
        this.partitions = partitions;
    }

    /**
     * Opens a reader of {@code topic}, which must exist with {@code partitionCount} partitions
     * (see {@link Cluster#requireTopics}). It starts at the beginning unless told otherwise.
     */
    public static TopicScan open(Cluster cluster, String topic, int partitionCount, String clientId) {
        KafkaConsumer<String, byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(cluster.consumerConfig(clientId), new StringDeserializer(),
                    new ByteArrayDeserializer());
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (int partition = 0; partition < partitionCount; partition++) {
            partitions.add(new TopicPartition(topic, partition));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return new TopicScan(cluster, topic, consumer, partitions);
    }

    /** The topic read. */
    public String topic() {
        return topic;
    }

    /** The offset after the last committed record of every partition, now. */
    public Map<TopicPartition, Long> endOffsets() {
        try {
            return Map.copyOf(consumer.endOffsets(partitions, Cluster.API_TIMEOUT));
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
    }

    /** Reads from the first record of every partition. */
    public void fromBeginning() {
        consumer.seekToBeginning(partitions);
    }

    /** Reads only records written from now on. */
    public void fromEnd() {
        from(endOffsets());
    }

    /** Reads from the given offsets. */
    public void from(Map<TopicPartition, Long> offsets) {
        offsets.forEach(consumer::seek);
    }

    /**
     * Reads from the first record of every partition whose timestamp is at or after {@code time};
     * a partition with none is read from its end.
     */
    public void fromTime(Instant time) {
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(partition -> query.put(partition, time.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found;
        try {
            found = consumer.offsetsForTimes(query, Cluster.API_TIMEOUT);
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
        Map<TopicPartition, Long> ends = endOffsets();
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = found.get(partition);
            consumer.seek(partition, offset != null ? offset.offset() : ends.get(partition));
        }
    }

    /** How many offsets lie between where the reader is and {@code ends} (an upper bound of the records left). */
    public long remaining(Map<TopicPartition, Long> ends) {
        try {
            long remaining = 0;
            for (TopicPartition partition : partitions) {
                remaining += Math.max(0, ends.getOrDefault(partition, 0L) - consumer.position(partition, Cluster.API_TIMEOUT));
            }
            return remaining;
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
    }

    /**
     * Reads until every partition has reached {@code ends} (the end offsets taken when the read
     * began, so records written meanwhile do not keep it going).
     *
     * @param afterPoll run after every poll, to update a progress display
     * @return {@code false} when {@link #stop()} ended it early
     * @throws ToolException when it gets no closer to the end for 30 s (the broker went away)
     */
    public boolean readTo(Map<TopicPartition, Long> ends, RecordHandler handler, Runnable afterPoll) {
        long lastRemaining = Long.MAX_VALUE;
        Instant stallDeadline = Instant.now().plus(STALL);
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
                stallDeadline = Instant.now().plus(STALL);
            } else if (Instant.now().isAfter(stallDeadline)) {
                throw ToolException.failure("reading " + topic + " at " + cluster.bootstrapServers()
                        + " made no progress for " + STALL.toSeconds() + " s: is the broker still reachable?");
            }
            if (!poll(handler)) {
                return false;
            }
            afterPoll.run();
        }
        return false;
    }

    /**
     * Reads until {@code done} holds, {@code deadline} passes or {@link #stop()} is called.
     *
     * @return whether {@code done} holds
     */
    public boolean readUntil(BooleanSupplier done, Instant deadline, RecordHandler handler, Runnable afterPoll) {
        while (!done.getAsBoolean() && !stopped && Instant.now().isBefore(deadline)) {
            if (!poll(handler)) {
                break;
            }
            afterPoll.run();
        }
        return done.getAsBoolean();
    }

    /** Reads new records as they come, until {@link #stop()} is called. */
    public void follow(RecordHandler handler) {
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
    private boolean poll(RecordHandler handler) {
        try {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                handler.accept(record);
            }
            return true;
        } catch (WakeupException e) {
            return false;
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
    }

    @Override
    public void close() {
        try {
            consumer.close(Duration.ofSeconds(2));
        } catch (KafkaException e) {
            // Closing a reader that read nothing worth committing cannot lose anything.
        }
    }
}
