package dev.tokenrelay.cli;

import dev.tokenrelay.schema.BatchStatus;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.tools.BatchesReader;
import dev.tokenrelay.tools.BatchesTable;
import dev.tokenrelay.tools.Cluster;
import dev.tokenrelay.tools.ClusterOptions;
import dev.tokenrelay.tools.StopOnSignal;
import dev.tokenrelay.tools.ToolException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code batches [ID]}: the counts of every batch (or of one), from the compacted batches topic the
 * processor keeps. {@code --watch} redraws them.
 */
@Command(name = "batches", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show every batch, or batch ID: its total, how many succeeded, failed (rejected included), "
                + "expired and were cancelled, how many are in progress, when it was created and finished.",
                "The counts come from the batches topic, which the processor updates on every result of a batch."},
        footerHeading = "%nExamples:%n",
        footer = {"  tokenrelay batches --config tokenrelay.yaml",
                "  tokenrelay batches --config tokenrelay.yaml --watch nightly-7",
                "%nExit codes: 0 the batches were shown; 1 Kafka could not be read, or batch ID is unknown; "
                        + "2 a usage error."})
public final class BatchesCommand implements Callable<Integer> {

    /** How often {@code --watch} redraws. */
    static final long WATCH_MILLIS = 2_000;
    private static final String CLEAR_SCREEN = "\033[H\033[2J";

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "Show this batch only.")
    String batch;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--watch", description = "Redraw every 2 s until Ctrl-C, or until batch ID is finished.")
    boolean watch;

    @Option(names = "--format", paramLabel = "table|json", defaultValue = "table",
            description = "table (the default) or json: one batch's counts as on the batches topic, a line per batch.")
    String format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return show(spec.commandLine().getOut(), err);
        } catch (ToolException e) {
            return e.reportTo(err, "batches");
        }
    }

    private int show(PrintWriter out, PrintWriter err) throws InterruptedException {
        if (!format.equals("table") && !format.equals("json")) {
            throw ToolException.usage("--format: table or json, got '" + format + "'");
        }
        Cluster kafka = cluster.resolve();
        CountDownLatch stop = new CountDownLatch(1);
        boolean clear = watch && System.console() != null && format.equals("table");
        try (BatchesReader reader = new BatchesReader(kafka);
                StopOnSignal signal = StopOnSignal.install(stop::countDown)) {
            while (true) {
                List<BatchStatus> shown = selected(reader.readToEnd());
                if (batch != null && shown.isEmpty() && !watch) {
                    throw ToolException.failure("no batch '" + batch + "' in " + kafka.topics().batches().name());
                }
                if (clear) {
                    out.print(CLEAR_SCREEN);
                }
                out.print(render(shown));
                out.flush();
                boolean finished = batch != null && !shown.isEmpty() && shown.get(0).done();
                if (!watch || finished || stop.await(WATCH_MILLIS, TimeUnit.MILLISECONDS)) {
                    return 0;
                }
            }
        }
    }

    private List<BatchStatus> selected(Map<String, BatchStatus> all) {
        if (batch == null) {
            return new ArrayList<>(all.values());
        }
        BatchStatus one = all.get(batch);
        return one == null ? List.of() : List.of(one);
    }

    /** The batches as the chosen format writes them. */
    String render(List<BatchStatus> batches) {
        if (format.equals("table")) {
            return BatchesTable.render(batches);
        }
        StringBuilder lines = new StringBuilder();
        batches.forEach(status -> lines.append(new String(JsonCodec.encode(status), StandardCharsets.UTF_8)).append('\n'));
        return lines.toString();
    }
}
