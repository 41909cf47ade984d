package dev.tokenrelay.bench;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the results topic of a backlog run on its own thread ({@code read_committed}), counting
 * rather than keeping: a bit per request index, so that a million results cost a few hundred
 * kilobytes. It also notes when the interactive request's result arrives, and the first result of
 * a call started after a given instant (a restarted processor's first).
 */
final class BacklogResults implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BacklogResults.class);

    private final String idPrefix;
    private final String interactiveId;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    // Written by the reader thread only.
    private final BitSet seen = new BitSet();
    private volatile int distinct;
    private volatile int duplicates;
    private volatile long lastNanos;
    private volatile long interactiveNanos;
    private volatile Instant newCallsFrom;
    private volatile long firstNewNanos;
    private volatile RuntimeException failure;

    /**
     * Starts reading {@code topic} from its beginning.
     *
     * @param idPrefix the backlog's request ids: the prefix, then the index in decimal
     * @param interactiveId the interactive request's id
     */
    BacklogResults(String bootstrapServers, String topic, String idPrefix, String interactiveId) {
        this.idPrefix = idPrefix;
        this.interactiveId = interactiveId;
        consumer = ResultReader.fromStart(bootstrapServers, topic, Measurement.LOAD_PREFIX + "backlog-results", 50);
        thread = new Thread(this::readLoop, Measurement.LOAD_PREFIX + "backlog-results");
        thread.setDaemon(true);
        thread.start();
    }

    /** Distinct results read for the backlog's requests. */
    int distinct() {
        check();
        return distinct;
    }

    /** Results read for a backlog request that already had one. */
    int duplicates() {
        return duplicates;
    }

    /** When the last new backlog result was read ({@link System#nanoTime()}), 0 before the first. */
    long lastNanos() {
        return lastNanos;
    }

    /** When the interactive request's result was read ({@link System#nanoTime()}), 0 until then. */
    long interactiveNanos() {
        check();
        return interactiveNanos;
    }

    /** From now on, notes the first result whose last call started at or after {@code from}. */
    void watchNewCalls(Instant from) {
        firstNewNanos = 0;
        newCallsFrom = from;
    }

    /** When the first result of a call started at or after the watched instant was read, 0 until then. */
    long firstNewNanos() {
        check();
        return firstNewNanos;
    }

    private void readLoop() {
        try {
            while (running.get()) {
                var records = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                for (ConsumerRecord<String, byte[]> record : records) {
                    take(record, now);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("reading results failed: {}", e.toString());
            failure = e;
        }
    }

    private void take(ConsumerRecord<String, byte[]> record, long now) {
        String key = record.key();
        if (key == null) {
            return;
        }
        Instant from = newCallsFrom;
        if (from != null && firstNewNanos == 0) {
            Instant started = lastCallStart(record.value());
            if (started != null && !started.isBefore(from)) {
                firstNewNanos = now;
            }
        }
        if (key.equals(interactiveId)) {
            if (interactiveNanos == 0) {
                interactiveNanos = now;
            }
            return;
        }
        if (!key.startsWith(idPrefix)) {
            return;
        }
        int index;
        try {
            index = Integer.parseInt(key.substring(idPrefix.length()));
        } catch (NumberFormatException e) {
            return;
        }
        if (seen.get(index)) {
            duplicates++;
        } else {
            seen.set(index);
            distinct++;
            lastNanos = now;
        }
    }

    private static Instant lastCallStart(byte[] value) {
        try {
            List<TrailEntry> trail = JsonCodec.decode(value, ChatResult.class).attempts();
            return trail == null || trail.isEmpty() ? null : trail.get(trail.size() - 1).startedAt();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void check() {
        if (failure != null) {
            throw new IllegalStateException("reading results failed: " + failure.getMessage(), failure);
        }
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
}
