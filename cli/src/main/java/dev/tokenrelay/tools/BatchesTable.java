package dev.tokenrelay.tools;

import dev.tokenrelay.schema.BatchStatus;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The table the {@code batches} command prints: one line per batch, columns aligned. */
public final class BatchesTable {

    static final String NONE = "-";
    private static final List<String> HEADERS = List.of("BATCH", "TOTAL", "SUCCEEDED", "FAILED", "EXPIRED",
            "CANCELLED", "IN PROGRESS", "CREATED", "FINISHED");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private BatchesTable() {}

    /** The table of {@code batches}, in the order given. */
    public static String render(List<BatchStatus> batches) {
        List<List<String>> lines = new ArrayList<>();
        lines.add(HEADERS);
        batches.forEach(batch -> lines.add(cells(batch)));
        return TextTable.render(lines);
    }

    /**
     * The cells of one batch. A failed count includes the rejected requests: both are results that
     * did not succeed for a reason other than time or an operator.
     */
    static List<String> cells(BatchStatus batch) {
        return List.of(batch.batch(),
                batch.total() == null ? NONE : Integer.toString(batch.total()),
                Integer.toString(batch.succeeded()),
                Integer.toString(batch.failed() + batch.rejected()),
                Integer.toString(batch.expired()),
                Integer.toString(batch.cancelled()),
                batch.inProgress() == null ? NONE : Integer.toString(batch.inProgress()),
                batch.createdAt() == null ? NONE : TIME.format(batch.createdAt()),
                batch.finishedAt() == null ? NONE : TIME.format(batch.finishedAt()));
    }
}
