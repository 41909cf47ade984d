package dev.tokenrelay.cli;

import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.tools.Cluster;
import dev.tokenrelay.tools.ClusterOptions;
import dev.tokenrelay.tools.DeadLetterFilter;
import dev.tokenrelay.tools.DeadLetters;
import dev.tokenrelay.tools.Progress;
import dev.tokenrelay.tools.ReplaySelection;
import dev.tokenrelay.tools.RequestSender;
import dev.tokenrelay.tools.ResultFilter;
import dev.tokenrelay.tools.TimeArguments;
import dev.tokenrelay.tools.ToolException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code replay}: failed requests from the dead-letter topic, re-submitted as the next generation
 * of the same request id.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Re-submit failed requests from the dead-letter topic as a new generation of the same request id.",
                "Of the dead letters of one id only the highest generation counts; it is sent again as generation + 1, "
                        + "which the processor's duplicate check lets through exactly once. Replaying the same "
                        + "selection again sends the same generations, which the processor drops: a selection runs once.",
                "Dead letters of input that could not be read hold no request and are only counted. A deadline that "
                        + "has passed is dropped (the processor's default deadline applies).",
                "With --dry-run the requests are written to standard output as JSONL and nothing is sent."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  tokenrelay replay --config tokenrelay.yaml --since 2h --reason status_429 --dry-run",
                "  tokenrelay replay --config tokenrelay.yaml --status expired --to-pool reserve",
                "  tokenrelay replay --config tokenrelay.yaml --account openai-main --unpin",
                "%nExit codes: 0 done (also when nothing matched); 1 Kafka failed or a request was not sent; "
                        + "2 a usage error."})
public final class ReplayCommand implements Callable<Integer> {

    private static final int LISTED = 10;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--since", paramLabel = "TIME",
            description = "Only dead letters written since TIME: 2025-01-31T12:00:00Z, or a duration ago such as 2h.")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Only dead letters written before TIME (same forms).")
    String until;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Only dead letters whose reason contains TEXT, in any case (e.g. status_429, timeout, expired).")
    String reason;

    @Option(names = "--status", split = ",", paramLabel = "STATUS",
            description = "Only requests that ended with this status: failed, expired, rejected (repeatable, or comma-separated).")
    List<String> statuses = new ArrayList<>();

    @Option(names = "--account", paramLabel = "ACCOUNT",
            description = "Only requests that tried this account (in their trail) or were pinned to it.")
    String account;

    @Option(names = "--pool", paramLabel = "POOL", description = "Only requests that went to this pool.")
    String pool;

    @Option(names = "--id", paramLabel = "ID", description = "Only this request id (repeatable).")
    List<String> ids = new ArrayList<>();

    @Option(names = "--dry-run", description = "Write the requests that would be sent to standard output; send nothing.")
    boolean dryRun;

    @Option(names = "--unpin", description = "Drop the pinned account, so the requests may go to any account of their pool.")
    boolean unpin;

    @Option(names = "--to-pool", paramLabel = "POOL",
            description = "Send the requests to this pool instead of their own (also drops the pinned account).")
    String toPool;

    @Spec
    CommandSpec spec;

    /** Whether progress is drawn in place (a terminal) or written as plain lines. */
    private final boolean terminal = System.console() != null;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return replay(spec.commandLine().getOut(), err);
        } catch (ToolException e) {
            return e.reportTo(err, "replay");
        }
    }

    private int replay(PrintWriter out, PrintWriter err) {
        Instant now = Instant.now();
        Instant from = since == null ? null : TimeArguments.instantOrAgo("--since", since, now);
        Instant to = until == null ? null : TimeArguments.instantOrAgo("--until", until, now);
        if (from != null && to != null && !from.isBefore(to)) {
            throw ToolException.usage("--since (" + from + ") must be before --until (" + to + ")");
        }
        if (reason != null && reason.isBlank()) {
            throw ToolException.usage("--reason: give the text to look for, e.g. --reason status_429");
        }
        Cluster kafka = cluster.resolve();
        String defaultPool = kafka.config().map(TokenRelayConfig::defaultPool).orElse(null);
        if (toPool != null) {
            kafka.config().ifPresent(config -> {
                if (!config.pools().containsKey(toPool)) {
                    throw ToolException.usage("--to-pool: unknown pool '" + toPool + "' (pools: "
                            + String.join(", ", config.pools().keySet()) + ")");
                }
            });
        }
        DeadLetterFilter filter = new DeadLetterFilter(from, to, reason, ResultFilter.statuses("--status", statuses),
                account, pool, new HashSet<>(ids), defaultPool);
        String deadLetterTopic = kafka.topics().deadLetter().name();
        String requestsTopic = kafka.topics().requests().name();
        if (dryRun) {
            kafka.requireTopics(deadLetterTopic);
        } else {
            kafka.requireTopics(deadLetterTopic, requestsTopic);
        }

        DeadLetters read = DeadLetters.read(kafka, deadLetterTopic, from,
                new Progress(err, terminal, "reading dead letters"));
        ReplaySelection selection = ReplaySelection.select(read.letters(), filter,
                new ReplaySelection.Changes(unpin, toPool), now);
        reportSelection(read, selection, deadLetterTopic, err);
        List<ChatRequest> requests = selection.replays().stream().map(ReplaySelection.Replay::request).toList();
        if (requests.isEmpty()) {
            err.println("replay: nothing to re-submit");
            err.flush();
            return 0;
        }
        if (dryRun) {
            requests.forEach(request -> out.println(new String(JsonCodec.encode(request), StandardCharsets.UTF_8)));
            out.flush();
            err.printf("replay: dry run: would re-submit %s to %s (%s); nothing was sent%n",
                    Progress.count(requests.size(), "request"),
                    requestsTopic, submissions(requests));
            err.flush();
            return 0;
        }
        RequestSender.Report sent = RequestSender.send(kafka, requestsTopic, requests, new Progress(err, terminal, "sending"));
        err.printf("replay: re-submitted %d of %d requests to %s in %s (%s)%n", sent.sent(), requests.size(), requestsTopic,
                Progress.seconds(sent.elapsed()), submissions(sent.written()));
        err.println("replay: the processor runs each id#generation once: replaying this selection again sends the same "
                + "generations, which it drops as duplicates");
        err.flush();
        if (!sent.complete()) {
            throw ToolException.failure(sent.failed() + " requests were not sent: " + sent.firstError()
                    + ". Replaying the same selection again is safe: what was sent is dropped as a duplicate");
        }
        return 0;
    }

    private void reportSelection(DeadLetters read, ReplaySelection selection, String topic, PrintWriter err) {
        long dropped = selection.replays().stream().filter(ReplaySelection.Replay::deadlineDropped).count();
        err.printf("replay: %s read from %s%s, %d to re-submit%s%s%n", Progress.count(read.letters().size(), "dead letter"), topic,
                selection.inRange() == read.letters().size() ? "" : " (" + selection.inRange() + " in the time range)",
                selection.replays().size(),
                selection.superseded() > 0 ? ", " + selection.superseded() + " set aside for a higher generation of the same id" : "",
                read.unreadable() > 0 ? ", " + Progress.count(read.unreadable(), "unreadable record") + " skipped" : "");
        if (!selection.unreplayable().isEmpty()) {
            err.printf("replay: cannot replay %s without a request (input that could not be read):%n",
                    Progress.count(selection.unreplayable().size(), "matching dead letter"));
            selection.unreplayable().stream().limit(LISTED).forEach(letter -> err.println("  " + describe(letter)));
            if (selection.unreplayable().size() > LISTED) {
                err.println("  ... and " + (selection.unreplayable().size() - LISTED) + " more");
            }
        }
        if (dropped > 0) {
            err.printf("replay: dropped the deadline of %s, as it has passed (the processor's default deadline "
                    + "applies)%n", Progress.count(dropped, "request"));
        }
        err.flush();
    }

    private static String describe(DeadLetter letter) {
        String id = letter.requestId() == null ? "(no id)" : letter.requestId();
        String where = letter.source() == null ? ""
                : " at " + letter.source().topic() + "/" + letter.source().partition() + "@" + letter.source().offset();
        return id + where + ": " + letter.reason();
    }

    private static String submissions(List<ChatRequest> requests) {
        String listed = requests.stream().limit(LISTED).map(r -> r.id() + "#" + r.generation())
                .collect(Collectors.joining(", "));
        return requests.size() > LISTED ? listed + ", ... " + (requests.size() - LISTED) + " more" : listed;
    }
}
