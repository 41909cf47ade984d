package dev.tokenrelay.schema;

import java.time.Instant;
import java.util.Objects;

/**
 * A batch as {@code submit} opened it, on the control topic (key: the batch id), written after its
 * requests were sent: it tells the processor how many results the batch waits for.
 *
 * @param batch            the batch id
 * @param total            how many requests were sent in it
 * @param createdAt        when it was submitted
 * @param completionWindow the window it was submitted with (ISO-8601, e.g. {@code PT24H}), or {@code null}
 */
public record BatchOpened(String batch, int total, Instant createdAt, String completionWindow) {

    public BatchOpened {
        Objects.requireNonNull(batch, "batch");
        if (total < 0) {
            throw new IllegalArgumentException("total must be >= 0");
        }
    }
}
