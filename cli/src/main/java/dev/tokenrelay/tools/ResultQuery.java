package dev.tokenrelay.tools;

import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.schema.ChatResult;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the results topic and writes the results a {@link ResultFilter} keeps: either up to where
 * the topic ended when the read began, or following new results until {@link #stop()}.
 */
public final class ResultQuery {

    /**
     * What a read did.
     *
     * @param read results read
     * @param written results written
     * @param unreadable records skipped because they are not results
     * @param stopped whether {@link #stop()} ended it
     */
    public record Summary(int read, int written, int unreadable, boolean stopped) {}

    private final Cluster cluster;
    private final ResultFilter filter;
    private final boolean latestOnly;
    private volatile TopicReader<byte[]> reader;
    private volatile boolean stopRequested;

    /**
     * @param latestOnly keep only the highest generation of each request id, written once the end
     *     is reached
     */
    public ResultQuery(Cluster cluster, ResultFilter filter, boolean latestOnly) {
        this.cluster = cluster;
        this.filter = filter;
        this.latestOnly = latestOnly;
    }

    /**
     * Reads and writes.
     *
     * @param since the first time to read from, or {@code null}: the beginning, or with
     *     {@code follow} and {@code !fromBeginning} the end
     * @param fromBeginning with {@code follow}: read what is already there first
     * @param follow keep reading until {@link #stop()}
     */
    public Summary run(Instant since, boolean fromBeginning, boolean follow, ResultWriter writer) {
        String topic = cluster.topics().results().name();
        cluster.requireTopics(topic);
        int[] read = {0};
        int[] unreadable = {0};
        Map<String, ChatResult> newest = new LinkedHashMap<>();
        try (TopicReader<byte[]> opened = cluster.reader(topic, "tokenrelay-results")) {
            reader = opened;
            if (stopRequested) {
                opened.stop();
            }
            Map<TopicPartition, Long> ends = follow ? null : opened.endOffsets();
            if (since != null) {
                opened.fromTime(since);
            } else if (follow && !fromBeginning) {
                opened.fromEnd();
            }
            TopicReader.RecordHandler<byte[]> handler = record -> {
                ChatResult result = Records.result(record.value());
                if (result == null) {
                    unreadable[0]++;
                    return;
                }
                read[0]++;
                if (!filter.test(result)) {
                    return;
                }
                if (latestOnly) {
                    newest.merge(result.id(), result, (kept, next) -> next.generation() >= kept.generation() ? next : kept);
                } else {
                    writer.write(result);
                }
            };
            boolean stopped;
            if (follow) {
                opened.follow(handler);
                stopped = true;
            } else {
                stopped = !opened.readTo(ends, handler, () -> { }, Cluster.READ_STALL);
            }
            newest.values().forEach(writer::write);
            return new Summary(read[0], writer.written(), unreadable[0], stopped);
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        } finally {
            reader = null;
        }
    }

    /** Ends the read in progress (from any thread, e.g. on Ctrl-C); what was read is still written. */
    public void stop() {
        stopRequested = true;
        TopicReader<byte[]> current = reader;
        if (current != null) {
            current.stop();
        }
    }
}
