package dev.tokenrelay.cli;

import dev.tokenrelay.tools.Cluster;
import dev.tokenrelay.tools.ClusterOptions;
import dev.tokenrelay.tools.Progress;
import dev.tokenrelay.tools.ResultFilter;
import dev.tokenrelay.tools.ResultFormat;
import dev.tokenrelay.tools.ResultQuery;
import dev.tokenrelay.tools.ResultWriter;
import dev.tokenrelay.tools.StopOnSignal;
import dev.tokenrelay.tools.TimeArguments;
import dev.tokenrelay.tools.ToolException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code results}: the results topic, read with {@code read_committed}, filtered and written as
 * JSONL or as OpenAI Batch output lines.
 */
@Command(name = "results", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Write results from the results topic (read_committed) as JSONL: the results themselves, or OpenAI "
                        + "Batch output lines with --format openai-batch.",
                "Reads from the beginning (or --since) up to where the topic ended when it started; --follow keeps "
                        + "reading new results until Ctrl-C (from now on, unless --from-beginning or --since is given).",
                "Results go to standard output (or --output), those that did not succeed to --errors FILE when "
                        + "given (as OpenAI splits output and error files); the summary goes to standard error."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  tokenrelay results --config tokenrelay.yaml --status failed,expired",
                "  tokenrelay results --config tokenrelay.yaml --since 1h --metadata customer=acme --format openai-batch -o out.jsonl",
                "  tokenrelay results --config tokenrelay.yaml --format openai-batch -o out.jsonl --errors errors.jsonl",
                "  tokenrelay results --config tokenrelay.yaml --follow",
                "%nExit codes: 0 done; 1 Kafka failed or the topic is missing; 2 a usage error."})
public final class ResultsCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--from-beginning", description = "Read from the first result (the default without --follow).")
    boolean fromBeginning;

    @Option(names = "--since", paramLabel = "TIME",
            description = "Read results written since TIME: 2025-01-31T12:00:00Z, or a duration ago such as 90m or 1h.")
    String since;

    @Option(names = {"-f", "--follow"}, description = "Keep reading new results until Ctrl-C.")
    boolean follow;

    @Option(names = "--status", split = ",", paramLabel = "STATUS",
            description = "Only results with this status: succeeded, failed, expired, rejected (repeatable, or comma-separated).")
    List<String> statuses = new ArrayList<>();

    @Option(names = "--id", paramLabel = "ID", description = "Only the result(s) of this request id (repeatable).")
    List<String> ids = new ArrayList<>();

    @Option(names = "--metadata", paramLabel = "KEY=VALUE",
            description = "Only results whose metadata field KEY is VALUE (repeatable: all must match).")
    Map<String, String> metadata = new LinkedHashMap<>();

    @Option(names = "--latest",
            description = "Only the latest generation of each request id (a replayed request's newest result); not with --follow.")
    boolean latest;

    @Option(names = "--format", paramLabel = "jsonl|openai-batch", defaultValue = "jsonl",
            description = "jsonl (the results as on the topic, the default) or openai-batch (OpenAI Batch output lines).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Option(names = "--errors", paramLabel = "FILE",
            description = "Write the results that did not succeed to FILE instead (OpenAI's error file); "
                    + "without it every result goes to the output.")
    Path errors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return results(spec.commandLine().getOut(), err);
        } catch (ToolException e) {
            return e.reportTo(err, "results");
        }
    }

    private int results(PrintWriter out, PrintWriter err) {
        if (fromBeginning && since != null) {
            throw ToolException.usage("--from-beginning and --since both say where to start: give one of them");
        }
        if (latest && follow) {
            throw ToolException.usage("--latest needs the end of the topic, which --follow never reaches: give one of them");
        }
        Instant start = since == null ? null : TimeArguments.instantOrAgo("--since", since, Instant.now());
        ResultFilter filter = new ResultFilter(ResultFilter.statuses("--status", statuses), new HashSet<>(ids), metadata);
        ResultFormat resultFormat = ResultFormat.of(format);
        Cluster kafka = cluster.resolve();
        String topic = kafka.topics().results().name();
        // Checked before the output file is opened, so a wrong configuration does not empty it.
        kafka.requireTopics(topic);
        ResultQuery query = new ResultQuery(kafka, filter, latest);
        try (ResultWriter writer = ResultWriter.open(output, errors, out, resultFormat)) {
            ResultQuery.Summary summary;
            try (StopOnSignal signal = StopOnSignal.install(query::stop)) {
                if (follow) {
                    err.println("results: following " + topic + " at " + kafka.bootstrapServers() + " (Ctrl-C to stop)");
                    err.flush();
                }
                summary = query.run(start, fromBeginning, follow, writer);
                err.printf("results: %d read from %s, %d written to %s%s%s%n", summary.read(), topic, summary.written(),
                        writer.describe(),
                        summary.unreadable() > 0 ? ", " + Progress.count(summary.unreadable(), "unreadable record") + " skipped" : "",
                        summary.stopped() && !follow ? " (stopped before the end)" : "");
                err.flush();
            }
        }
        return 0;
    }
}
