package dev.tokenrelay.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a results topic on its own thread the way a downstream consumer must ({@code read_committed}),
 * noting when each record became readable. Values are kept as bytes and parsed only after the
 * measured stretch, so that the reader's own work competes as little as possible with the
 * processor for the machine's cores.
 *
 * <p>It keeps its own consumer rather than the project's {@code TopicReader}, because it does
 * something else: it follows the topic live, on its own thread, while the load runs, with a short
 * fetch wait and large polls, and stamps each poll's records with the time the poll returned. It
 * never reads to an end.
 */
final class ResultReader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ResultReader.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger distinct = new AtomicInteger();
    // Written by the reader thread only; read after it has been joined.
    private final List<Arrival> arrivals = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private int duplicates;
    private volatile RuntimeException failure;

    private final String idPrefix;

    /**
     * Starts reading {@code topic} from its beginning.
     *
     * @param name thread and client id, so that the CPU meter can tell the reader apart
     * @param idPrefix only results whose key starts with it are kept (a warm-up's are not)
     */
    ResultReader(String bootstrapServers, String topic, String name, String idPrefix) {
        this.idPrefix = idPrefix;
        // A short fetch wait, so that the reader's fetch cycle adds little to the measured latency.
        consumer = fromStart(bootstrapServers, topic, name, 20);
        thread = new Thread(this::readLoop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A {@code read_committed} consumer of every partition of {@code topic} from its start, in no
     * group, its positions resolved now rather than on the first poll inside a measured stretch.
     */
    static KafkaConsumer<String, byte[]> fromStart(String bootstrapServers, String topic, String clientId,
            int fetchWaitMs) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchWaitMs,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    /** Distinct result keys with the prefix read so far. */
    int distinct() {
        return distinct.get();
    }

    private void readLoop() {
        try {
            while (running.get()) {
                var records = consumer.poll(Duration.ofMillis(50));
                long now = System.nanoTime();
                for (ConsumerRecord<String, byte[]> record : records) {
                    if (record.key() == null || !record.key().startsWith(idPrefix)) {
                        continue;
                    }
                    arrivals.add(new Arrival(record.key(), record.value(), now, record.timestamp()));
                    if (seen.add(record.key())) {
                        distinct.incrementAndGet();
                    } else {
                        duplicates++;
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("reading results failed: {}", e.toString());
            failure = e;
        }
    }

    /** Stops reading and returns what was read, first arrival of each key first. */
    Read finish() throws InterruptedException {
        running.set(false);
        thread.join(10_000);
        if (failure != null) {
            throw new IllegalStateException("reading results failed: " + failure.getMessage(), failure);
        }
        return new Read(List.copyOf(arrivals), duplicates);
    }

    @Override
    public void close() {
        running.set(false);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
    }

    /**
     * One result record as read.
     *
     * @param key the request id
     * @param value the raw value
     * @param readNanos when the poll that returned it ended ({@link System#nanoTime()})
     * @param timestampMs the record's own timestamp
     */
    record Arrival(String key, byte[] value, long readNanos, long timestampMs) {}

    /** Everything read, and how many records repeated a key already read. */
    record Read(List<Arrival> arrivals, int duplicates) {}
}
