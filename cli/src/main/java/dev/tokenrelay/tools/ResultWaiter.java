package dev.tokenrelay.tools;

import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.KafkaException;

/**
 * Waits for the results of requests just submitted. It takes the results topic's end offsets
 * <em>before</em> the requests are sent and reads from there, so it sees every result of the
 * submission (each is written after its request) and nothing older, whatever the clocks say; a
 * result counts only for the generation that was submitted.
 */
public final class ResultWaiter implements AutoCloseable {

    /**
     * One submission: a request id and its generation.
     *
     * @param id the request id
     * @param generation the generation submitted
     */
    public record Submission(String id, int generation) {

        static Submission of(ChatRequest request) {
            return new Submission(request.id(), request.generation());
        }
    }

    /**
     * How the wait ended.
     *
     * @param arrived how many of the awaited results arrived
     * @param missing the submissions whose result did not arrive in time
     * @param statuses the arrived results by status
     * @param unreadable records of the results topic that could not be read (skipped)
     * @param interrupted whether the wait was stopped (Ctrl-C) before it ended
     * @param elapsed how long it waited
     */
    public record Outcome(int arrived, Set<Submission> missing, Map<ResultStatus, Integer> statuses, int unreadable,
            boolean interrupted, Duration elapsed) {

        public Outcome {
            missing = Set.copyOf(missing);
            // Kept in the enum's order, so summaries always list the statuses the same way.
            statuses = statuses.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(statuses));
        }
    }

    private final Cluster cluster;
    private final TopicReader<byte[]> reader;

    private ResultWaiter(Cluster cluster, TopicReader<byte[]> reader) {
        this.cluster = cluster;
        this.reader = reader;
    }

    /** Opens the results topic and remembers where it ends now; call it before sending. */
    public static ResultWaiter before(Cluster cluster, String resultsTopic) {
        TopicReader<byte[]> reader = cluster.reader(resultsTopic, "tokenrelay-submit-wait");
        try {
            reader.fromEnd();
            return new ResultWaiter(cluster, reader);
        } catch (KafkaException e) {
            reader.close();
            throw cluster.translate(e, resultsTopic);
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /**
     * Reads results until every one of {@code requests} has one, {@code timeout} passes, or
     * {@link #stop()} is called; hands each awaited result to {@code onResult} as it arrives.
     */
    public Outcome await(Collection<ChatRequest> requests, Duration timeout, Consumer<ChatResult> onResult,
            Progress progress) {
        Set<Submission> pending = new HashSet<>();
        requests.forEach(request -> pending.add(Submission.of(request)));
        int total = pending.size();
        long start = System.nanoTime();
        Map<ResultStatus, Integer> statuses = new EnumMap<>(ResultStatus.class);
        int[] unreadable = {0};
        try {
            reader.readUntil(pending::isEmpty, timeout, record -> {
                ChatResult result = Records.result(record.value());
                if (result == null) {
                    unreadable[0]++;
                } else if (pending.remove(new Submission(result.id(), result.generation()))) {
                    statuses.merge(result.status(), 1, Integer::sum);
                    onResult.accept(result);
                }
            }, () -> progress.update(total - pending.size(), total, ""));
        } catch (KafkaException e) {
            throw cluster.translate(e, reader.topic());
        }
        progress.finish();
        return new Outcome(total - pending.size(), pending, statuses, unreadable[0], reader.stopped(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Ends the wait from another thread (Ctrl-C). */
    public void stop() {
        reader.stop();
    }

    @Override
    public void close() {
        reader.close();
    }
}
