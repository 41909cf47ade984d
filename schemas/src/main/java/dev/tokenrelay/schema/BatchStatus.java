package dev.tokenrelay.schema;

import java.time.Instant;
import java.util.Objects;

/**
 * The value of the batches topic (key: the batch id): how far a batch has got, as the processor
 * counts the results of its requests. The topic is compacted, so it holds the latest count of
 * every batch.
 *
 * @param batch            the batch id
 * @param total            how many requests {@code submit} sent in the batch; {@code null} while it is not
 *                         known (the batch was not opened by {@code submit}, or its record has not arrived yet)
 * @param succeeded        results {@code succeeded} so far
 * @param failed           results {@code failed} so far
 * @param expired          results {@code expired} so far
 * @param rejected         results {@code rejected} so far
 * @param cancelled        results {@code cancelled} so far
 * @param inProgress       requests without a result yet, {@code total} less the results; {@code null} while
 *                         {@code total} is not known
 * @param createdAt        when the batch was opened, else when its first result was counted
 * @param finishedAt       when the last of its {@code total} results was counted; {@code null} until then
 * @param completionWindow the window the batch was submitted with (ISO-8601, e.g. {@code PT24H}), or {@code null}
 */
public record BatchStatus(String batch, Integer total, int succeeded, int failed, int expired, int rejected,
        int cancelled, Integer inProgress, Instant createdAt, Instant finishedAt, String completionWindow) {

    public BatchStatus {
        Objects.requireNonNull(batch, "batch");
    }

    /** How many results were counted, whatever their status. */
    public int finished() {
        return succeeded + failed + expired + rejected + cancelled;
    }

    /** Whether every request of a batch of known size has its result. */
    public boolean done() {
        return finishedAt != null;
    }
}
