package dev.tokenrelay.batches;

import dev.tokenrelay.schema.BatchOpened;
import dev.tokenrelay.schema.ResultStatus;
import java.time.Instant;

/**
 * What the batch counter takes in, keyed by batch id on its repartition topic: one result of a
 * request in the batch, or the batch as {@code submit} opened it. Exactly one of {@code result} and
 * {@code opened} is set.
 *
 * @param result the status of a result
 * @param at     when the result was decided
 * @param opened the batch as opened
 */
public record BatchEvent(ResultStatus result, Instant at, BatchOpened opened) {

    /** A result of status {@code status}, decided at {@code at}. */
    public static BatchEvent result(ResultStatus status, Instant at) {
        return new BatchEvent(status, at, null);
    }

    /** The batch opened. */
    public static BatchEvent opened(BatchOpened opened) {
        return new BatchEvent(null, null, opened);
    }
}
