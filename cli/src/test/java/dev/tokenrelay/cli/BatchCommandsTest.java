package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.BatchStatus;
import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.tools.BatchesTable;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The options of {@code batches} and {@code cancel}, and the batches table, with no broker. */
class BatchCommandsTest {

    private static final Instant T0 = Instant.parse("2026-12-07T03:00:00Z");

    @Test
    void shouldWriteOneCancellationPerRequestIdAndOneForABatchOrAMetadataField() {
        // Given cancel with two request ids, with a batch, and with a metadata field and a reason
        CancelCommand ids = parsed(new CancelCommand(), "--bootstrap-servers", "localhost:9092", "r1", "r2");
        CancelCommand batch = parsed(new CancelCommand(), "--bootstrap-servers", "localhost:9092", "--batch", "nightly-7");
        CancelCommand metadata = parsed(new CancelCommand(), "--bootstrap-servers", "localhost:9092",
                "--metadata", "tenant=acme=1", "--reason", "tenant left");

        // When each names its cancellations
        List<Cancel> byId = ids.cancels(T0);
        List<Cancel> byBatch = batch.cancels(T0);
        List<Cancel> byMetadata = metadata.cancels(T0);

        // Then each is keyed by what it names, the metadata value keeping what follows its first '='
        assertThat(byId).extracting(Cancel::key).containsExactly("request:r1", "request:r2");
        assertThat(byBatch).containsExactly(Cancel.ofBatch("nightly-7", null, T0));
        assertThat(byMetadata).containsExactly(Cancel.ofMetadata("tenant", "acme=1", "tenant left", T0));
        assertThat(byMetadata.get(0).key()).isEqualTo("metadata:tenant=acme=1");
    }

    @Test
    void shouldRefuseACancelThatNamesNothingOrTwoKindsOrABadBatch() {
        // Given / When cancel is run with nothing to cancel, with two kinds, or a bad batch id / Then each is a usage error
        assertUsage(Cli.run(new CancelCommand(), "--bootstrap-servers", "localhost:9092"), "name what to cancel");
        assertUsage(Cli.run(new CancelCommand(), "--bootstrap-servers", "localhost:9092", "--batch", "b", "r1"),
                "name what to cancel");
        assertUsage(Cli.run(new CancelCommand(), "--bootstrap-servers", "localhost:9092", "--batch", "no way"),
                "--batch: batch must match");
        assertUsage(Cli.run(new CancelCommand(), "--bootstrap-servers", "localhost:9092", "--metadata", "tenant"),
                "--metadata: KEY=VALUE");
    }

    @Test
    void shouldRefuseAnUnknownBatchesFormat() {
        // Given / When batches is run with --format csv / Then it is a usage error
        assertUsage(Cli.run(new BatchesCommand(), "--bootstrap-servers", "localhost:9092", "--format", "csv"),
                "--format: table or json, got 'csv'");
    }

    @Test
    void shouldRenderTheBatchesAsATableOrAsJsonLines() {
        // Given a finished batch and one of unknown size
        BatchStatus done = new BatchStatus("nightly-7", 4, 1, 1, 1, 0, 1, 0, T0, T0.plusSeconds(90), "PT2S");
        BatchStatus open = new BatchStatus("adhoc", null, 2, 0, 0, 1, 0, null, T0, null, null);

        // When they are rendered as a table and as JSON
        String table = BatchesTable.render(List.of(done, open));
        String json = parsed(new BatchesCommand(), "--bootstrap-servers", "localhost:9092", "--format", "json")
                .render(List.of(done));

        // Then the table has its header and a line per batch (rejected counted as failed), and JSON a line per batch
        assertThat(table.lines().toList()).hasSize(3);
        assertThat(table.lines().findFirst().orElseThrow().split("\\s{2,}")).containsExactly("BATCH", "TOTAL",
                "SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED", "IN PROGRESS", "CREATED", "FINISHED");
        assertThat(table).contains("nightly-7  4      1          1       1        1          0            "
                + "2026-12-07 03:00:00Z  2026-12-07 03:01:30Z");
        assertThat(table.lines().toList().get(2).split("\\s{2,}")).containsExactly("adhoc", "-", "2", "1", "0", "0", "-",
                "2026-12-07 03:00:00Z", "-");
        assertThat(json).startsWith("{\"batch\":\"nightly-7\",\"total\":4,").endsWith("}\n");
    }

    private static <T> T parsed(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private static void assertUsage(Cli.Run run, String message) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains(message).doesNotContain("Exception");
    }
}
