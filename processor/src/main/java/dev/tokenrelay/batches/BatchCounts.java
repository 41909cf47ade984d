package dev.tokenrelay.batches;

import dev.tokenrelay.schema.BatchOpened;
import dev.tokenrelay.schema.BatchStatus;
import java.time.Instant;

/** How one event changes the counts of a batch: the decisions of the batch counter, with no Kafka. */
public final class BatchCounts {

    private BatchCounts() {}

    /**
     * The counts of {@code batch} after {@code event}.
     *
     * @param current the counts so far, {@code null} before the first event
     * @param now     the time of the event, for a result with none and for a finish
     */
    public static BatchStatus apply(String batch, BatchStatus current, BatchEvent event, Instant now) {
        BatchStatus status = current != null ? current
                : new BatchStatus(batch, null, 0, 0, 0, 0, 0, null, null, null, null);
        Integer total = status.total();
        Instant createdAt = status.createdAt();
        String window = status.completionWindow();
        int succeeded = status.succeeded();
        int failed = status.failed();
        int expired = status.expired();
        int rejected = status.rejected();
        int cancelled = status.cancelled();
        Instant at = now;
        if (event.opened() != null) {
            BatchOpened opened = event.opened();
            total = opened.total();
            createdAt = opened.createdAt() != null ? opened.createdAt() : createdAt != null ? createdAt : now;
            window = opened.completionWindow();
        } else if (event.result() != null) {
            at = event.at() != null ? event.at() : now;
            createdAt = createdAt != null ? createdAt : at;
            switch (event.result()) {
                case SUCCEEDED -> succeeded++;
                case FAILED -> failed++;
                case EXPIRED -> expired++;
                case REJECTED -> rejected++;
                case CANCELLED -> cancelled++;
            }
        }
        int finished = succeeded + failed + expired + rejected + cancelled;
        // A replayed request is counted again; in progress never goes below zero for it.
        Integer inProgress = total == null ? null : Math.max(0, total - finished);
        Instant finishedAt = null;
        if (total != null && finished >= total) {
            finishedAt = status.finishedAt() != null ? status.finishedAt() : at;
        }
        return new BatchStatus(batch, total, succeeded, failed, expired, rejected, cancelled, inProgress, createdAt,
                finishedAt, window);
    }
}
