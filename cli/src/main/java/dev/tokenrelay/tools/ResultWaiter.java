package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

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

    private final TopicScan scan;

    private ResultWaiter(TopicScan scan) {
        this.scan = scan;
    }

    /** Opens the results topic and remembers where it ends now; call it before sending. */
    public static ResultWaiter before(Cluster cluster, String resultsTopic, int partitions) {
        TopicScan scan = TopicScan.open(cluster, resultsTopic, partitions, "tokenrelay-submit-wait");
        try {
            Map<TopicPartition, Long> ends = scan.endOffsets();
            scan.from(ends);
            return new ResultWaiter(scan);
        } catch (RuntimeException e) {
            scan.close();
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
        scan.readUntil(pending::isEmpty, Instant.now().plus(timeout), record -> {
            ChatResult result = Records.result(record.value());
            if (result == null) {
                unreadable[0]++;
            } else if (pending.remove(new Submission(result.id(), result.generation()))) {
                statuses.merge(result.status(), 1, Integer::sum);
                onResult.accept(result);
            }
        }, () -> progress.update(total - pending.size(), total, ""));
        progress.finish();
        return new Outcome(total - pending.size(), pending, statuses, unreadable[0], scan.stopped(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Ends the wait from another thread (Ctrl-C). */
    public void stop() {
        scan.stop();
    }

    @Override
    public void close() {
        scan.close();
    }
}
