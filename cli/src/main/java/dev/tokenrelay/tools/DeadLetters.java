package dev.tokenrelay.tools;

import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.schema.DeadLetter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * The dead letters of a topic, read up to where the topic ended when the read began.
 *
 * @param letters the dead letters read, in topic order (per partition); one without a time of its
 *     own ({@code at}) gets its record's timestamp
 * @param unreadable records that are not dead letters (skipped)
 */
public record DeadLetters(List<DeadLetter> letters, int unreadable) {

    public DeadLetters {
        letters = List.copyOf(letters);
    }

    /**
     * Reads {@code topic}.
     *
     * @param since where to start: the first record written at or after it, or {@code null} for the beginning
     */
    public static DeadLetters read(Cluster cluster, String topic, Instant since, Progress progress) {
        List<DeadLetter> letters = new ArrayList<>();
        int[] unreadable = {0};
        try (TopicReader<byte[]> reader = cluster.reader(topic, "tokenrelay-replay")) {
            Map<TopicPartition, Long> ends = reader.endOffsets();
            if (since != null) {
                reader.fromTime(since);
            }
            long total = reader.remaining(ends);
            reader.readTo(ends, record -> {
                DeadLetter letter = Records.deadLetter(record.value());
                if (letter == null) {
                    unreadable[0]++;
                } else if (letter.at() == null) {
                    letters.add(new DeadLetter(letter.requestId(), letter.status(), letter.reason(), letter.request(),
                            letter.originalText(), letter.originalBase64(), letter.source(), letter.attempts(),
                            Instant.ofEpochMilli(record.timestamp())));
                } else {
                    letters.add(letter);
                }
            }, () -> progress.update(letters.size() + unreadable[0], total, ""), Cluster.READ_STALL);
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
        progress.finish();
        return new DeadLetters(letters, unreadable[0]);
    }
}
