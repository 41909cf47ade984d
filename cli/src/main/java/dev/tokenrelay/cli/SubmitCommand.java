package dev.tokenrelay.cli;

import dev.tokenrelay.schema.BatchOpened;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.Priority;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.tools.Cluster;
import dev.tokenrelay.tools.ClusterOptions;
import dev.tokenrelay.tools.ControlWriter;
import dev.tokenrelay.tools.ParsedLine;
import dev.tokenrelay.tools.Progress;
import dev.tokenrelay.tools.RequestFile;
import dev.tokenrelay.tools.RequestSender;
import dev.tokenrelay.tools.ResultFormat;
import dev.tokenrelay.tools.ResultWaiter;
import dev.tokenrelay.tools.ResultWriter;
import dev.tokenrelay.tools.StopOnSignal;
import dev.tokenrelay.tools.ToolException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code submit FILE|-}: sends a JSONL file of requests (tokenrelay requests or OpenAI Batch input
 * lines) to the requests topic, after checking every line; optionally waits for their results.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Send requests from a JSONL file (- for standard input) to the requests topic.",
                "Each line is a tokenrelay request {\"id\", \"body\", ...} or an OpenAI Batch input line "
                        + "{\"custom_id\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\"}. "
                        + "Every line is checked before anything is sent; a bad line is reported with its number.",
                "Progress and the summary go to standard error; with --wait the results go to standard output "
                        + "(or --output)."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  tokenrelay submit --config tokenrelay.yaml batch.jsonl",
                "  tokenrelay submit --config tokenrelay.yaml --priority batch nightly.jsonl",
                "  tokenrelay submit --config tokenrelay.yaml --batch nightly-7 --completion-window 24h nightly.jsonl",
                "  tokenrelay submit --config tokenrelay.yaml --wait --format openai-batch --output out.jsonl "
                        + "--errors errors.jsonl batch.jsonl",
                "%nExit codes: 0 all sent (and, with --wait, every result arrived); 1 a line is invalid, Kafka failed "
                        + "or a result did not arrive; 2 a usage error."})
public final class SubmitCommand implements Callable<Integer> {

    private static final DateTimeFormatter BATCH_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** How many bad lines are listed before the rest are only counted. */
    private static final int LISTED_LINES = 20;
    /** How many missing ids are named. */
    private static final int LISTED_IDS = 10;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "The JSONL file, or - to read standard input.")
    String file;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--priority", paramLabel = "NAME|N", converter = PriorityConverter.class,
            description = "The priority of every request sent: interactive (10), default (0), batch (-10) or an integer "
                    + "from -100 to 100. A line's own priority wins over this option (default: a line's own, else 0).")
    Integer priority;

    @Option(names = "--batch", paramLabel = "NAME",
            description = "The batch of every request sent whose line names none: letters, digits, '.', '_' and '-', "
                    + "at most 128 (default: a new batch id, batch-<UTC yyyyMMdd-HHmmss>-<6 hex>, printed on standard error).")
    String batch;

    @Option(names = "--no-batch", description = "Put the requests in no batch (a line's own batch still holds).")
    boolean noBatch;

    @Option(names = "--completion-window", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Every request sent must be done within DURATION from now, e.g. 2s, 24h: its deadline becomes "
                    + "now + DURATION unless its line names an earlier one. What is not done by then ends expired.")
    Duration completionWindow;

    @Option(names = "--skip-invalid", description = "Send the valid lines and report the invalid ones (default: send nothing when a line is invalid).")
    boolean skipInvalid;

    @Option(names = "--wait", description = "Wait for the result of every request sent, and write the results out.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "With --wait: how long to wait for the results, e.g. 90s, 10m, 1h30m (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--format", paramLabel = "jsonl|openai-batch",
            description = "With --wait: jsonl (the results as on the results topic, the default) or openai-batch (OpenAI Batch output lines).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "With --wait: write the results to FILE instead of standard output.")
    Path output;

    @Option(names = "--errors", paramLabel = "FILE",
            description = "With --wait: write the results that did not succeed to FILE instead (OpenAI's error file).")
    Path errors;

    @Spec
    CommandSpec spec;

    /** Whether progress is drawn in place (a terminal) or written as plain lines. */
    private final boolean terminal = System.console() != null;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return submit(spec.commandLine().getOut(), err);
        } catch (ToolException e) {
            return e.reportTo(err, "submit");
        }
    }

    private int submit(PrintWriter out, PrintWriter err) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw ToolException.usage("--timeout: must be longer than zero, got '" + typedTimeout() + "'");
        }
        ResultFormat resultFormat = format == null ? ResultFormat.JSONL : ResultFormat.of(format);
        if (!await && (format != null || output != null || errors != null)) {
            throw ToolException.usage("--format, --output and --errors describe the results of --wait: add --wait, or leave them out");
        }
        if (batch != null && noBatch) {
            throw ToolException.usage("--batch and --no-batch: give one, or neither");
        }
        if (batch != null && !ChatRequest.isBatchId(batch)) {
            throw ToolException.usage("--batch: " + ChatRequest.batchProblem(batch));
        }
        if (completionWindow != null && (completionWindow.isNegative() || completionWindow.isZero())) {
            throw ToolException.usage("--completion-window: must be longer than zero");
        }
        Cluster kafka = cluster.resolve();
        RequestFile requests = read();
        reportInvalid(requests, err);
        if (requests.accepted().isEmpty()) {
            throw ToolException.failure(requests.lines() == 0 ? name() + " holds no requests (every line is blank)"
                    : "no line of " + name() + " is valid: nothing was sent");
        }
        if (!requests.rejected().isEmpty() && !skipInvalid) {
            throw ToolException.failure(requests.rejected().size() + " of " + requests.lines()
                    + " lines are invalid, so nothing was sent: fix them, or pass --skip-invalid to send the "
                    + (requests.accepted().size() == 1 ? "valid one" : requests.accepted().size() + " valid ones"));
        }
        String requestsTopic = kafka.topics().requests().name();
        String resultsTopic = kafka.topics().results().name();
        String controlTopic = kafka.topics().control().name();
        Instant now = Instant.now();
        String batchId = batchId(now);
        List<String> topics = new ArrayList<>(List.of(requestsTopic));
        if (await) {
            topics.add(resultsTopic);
        }
        kafka.requireTopics(topics.toArray(String[]::new));
        boolean recordBatch = batchId != null && hasControlTopic(kafka, controlTopic, err);
        Instant deadline = completionWindow == null ? null : now.plus(completionWindow);
        List<ChatRequest> toSend = requests.accepted().stream().map(ParsedLine.Accepted::request)
                .map(request -> inBatch(request, batchId, deadline)).toList();
        if (batchId != null) {
            err.println("batch: " + batchId);
            err.flush();
        }
        // Both opened before sending: the waiter reads the results topic from where it ends now, so no
        // result is missed, and an output file that cannot be written stops the command before it sends.
        try (ResultWriter writer = await ? ResultWriter.open(output, errors, out, resultFormat) : null;
                ResultWaiter waiter = await ? ResultWaiter.before(kafka, resultsTopic) : null) {
            RequestSender.Report sent = RequestSender.send(kafka, requestsTopic, toSend,
                    new Progress(err, terminal, "sending"));
            err.printf("submit: %s read, %d sent, %d invalid%s, to %s in %s (%s)%n", Progress.count(requests.lines(), "line"),
                    sent.sent(), requests.rejected().size(), requests.rejected().isEmpty() ? "" : " (skipped)", requestsTopic,
                    Progress.seconds(sent.elapsed()), Progress.rate(sent.sent(), sent.elapsed()));
            err.flush();
            if (!sent.complete()) {
                throw ToolException.failure(sent.failed() + " of " + toSend.size() + " requests were not sent: "
                        + sent.firstError() + ". Sending the file again is safe: the processor drops a request id "
                        + "(and generation) it has already seen");
            }
            if (recordBatch) {
                open(kafka, batchId, sent.written(), now);
            }
            return await ? awaitResults(waiter, writer, sent.written(), err) : 0;
        }
    }

    /**
     * Whether the control topic exists. A processor of an earlier release did not create it: the
     * requests are sent all the same, in their batch, and only the batch's size goes unrecorded.
     */
    private static boolean hasControlTopic(Cluster kafka, String controlTopic, PrintWriter err) {
        try {
            kafka.requireTopics(controlTopic);
            return true;
        } catch (ToolException e) {
            err.println("submit: topic '" + controlTopic + "' does not exist, so the size of the batch is not recorded: "
                    + "batches will show its counts without a total");
            err.flush();
            return false;
        }
    }

    /**
     * Tells the processor how many requests the batch has, once they are all sent: its counts then
     * say how many are in progress and when it is finished.
     */
    private void open(Cluster kafka, String batchId, List<ChatRequest> sent, Instant now) {
        int total = (int) sent.stream().filter(request -> batchId.equals(request.batch())).count();
        try (ControlWriter control = ControlWriter.open(kafka, "tokenrelay-submit")) {
            control.write(batchId, new BatchOpened(batchId, total, now,
                    completionWindow == null ? null : completionWindow.toString()));
        }
    }

    private int awaitResults(ResultWaiter waiter, ResultWriter writer, List<ChatRequest> sent, PrintWriter err) {
        ResultWaiter.Outcome outcome;
        try (StopOnSignal signal = StopOnSignal.install(waiter::stop)) {
            outcome = waiter.await(sent, timeout, writer::write, new Progress(err, terminal, "waiting for results"));
            err.printf("submit: %d of %d results in %s%s, written to %s%n", outcome.arrived(), sent.size(),
                    Progress.seconds(outcome.elapsed()),
                    statuses(outcome.statuses()), writer.describe());
            if (outcome.unreadable() > 0) {
                err.printf("submit: skipped %s of the results topic%n", Progress.count(outcome.unreadable(), "unreadable record"));
            }
            err.flush();
        }
        if (outcome.missing().isEmpty()) {
            return 0;
        }
        String ids = outcome.missing().stream().map(ResultWaiter.Submission::id).sorted().limit(LISTED_IDS)
                .collect(Collectors.joining(", "));
        String more = outcome.missing().size() > LISTED_IDS ? " and " + (outcome.missing().size() - LISTED_IDS) + " more" : "";
        if (outcome.interrupted()) {
            throw ToolException.failure("stopped waiting; no result yet for " + outcome.missing().size() + " of "
                    + sent.size() + " requests: " + ids + more);
        }
        throw ToolException.failure("no result within " + typedTimeout() + " for " + outcome.missing().size() + " of "
                + sent.size() + " requests: " + ids + more + ". Is the processor running? A request whose id and "
                + "generation it has seen before is dropped as a duplicate: give it a new id, or use replay");
    }

    /** The timeout as the user wrote it (or its default), so that messages quote it as written. */
    private String typedTimeout() {
        OptionSpec option = spec.findOption("--timeout");
        List<String> typed = option.originalStringValues();
        return typed.isEmpty() ? option.defaultValue() : typed.get(typed.size() - 1);
    }

    /** The priority given to requests whose line names none. */
    int priority() {
        return priority == null ? Priority.DEFAULT : priority;
    }

    /** The batch of the requests whose line names none: the option, a new id, or none with --no-batch. */
    String batchId(Instant now) {
        if (noBatch) {
            return null;
        }
        return batch != null ? batch : newBatchId(now, ThreadLocalRandom.current());
    }

    /** {@code batch-<yyyyMMdd-HHmmss in UTC>-<6 random hex digits>}. */
    static String newBatchId(Instant now, Random random) {
        return "batch-" + BATCH_TIME.format(now) + "-" + String.format(Locale.ROOT, "%06x", random.nextInt(1 << 24));
    }

    /**
     * {@code request} in {@code batch} unless its line named one, and due by {@code deadline} unless
     * its line named an earlier deadline.
     */
    static ChatRequest inBatch(ChatRequest request, String batch, Instant deadline) {
        ChatRequest result = request;
        if (result.batch() == null && batch != null) {
            result = result.withBatch(batch);
        }
        if (deadline != null && (result.deadline() == null || result.deadline().isAfter(deadline))) {
            result = result.withDeadline(deadline);
        }
        return result;
    }

    /** Reads and checks every line of the file, before anything is sent. */
    RequestFile read() {
        if (file.equals("-")) {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)))) {
                return RequestFile.read(reader, name(), priority());
            } catch (IOException e) {
                throw ToolException.failure("cannot read standard input: " + e.getMessage());
            }
        }
        Path path = Path.of(file);
        if (Files.isDirectory(path)) {
            throw ToolException.usage(file + " is a directory: give a JSONL file, or - for standard input");
        }
        try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            return RequestFile.read(reader, file, priority());
        } catch (NoSuchFileException e) {
            throw ToolException.usage(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw ToolException.usage(file + ": permission denied");
        } catch (IOException e) {
            throw ToolException.failure("cannot read " + file + ": " + e.getMessage());
        }
    }

    private void reportInvalid(RequestFile requests, PrintWriter err) {
        List<ParsedLine.Rejected> rejected = requests.rejected();
        rejected.stream().limit(LISTED_LINES).forEach(line -> err.println(name() + ": " + line));
        if (rejected.size() > LISTED_LINES) {
            err.println(name() + ": ... and " + (rejected.size() - LISTED_LINES) + " more invalid lines");
        }
        err.flush();
    }

    private String name() {
        return file.equals("-") ? "standard input" : file;
    }

    private static String statuses(Map<ResultStatus, Integer> statuses) {
        if (statuses.isEmpty()) {
            return "";
        }
        return statuses.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ", " (", ")"));
    }

    /** {@code --priority}: a name or an integer, refused as a usage error with what is allowed. */
    static final class PriorityConverter implements CommandLine.ITypeConverter<Integer> {

        @Override
        public Integer convert(String text) {
            try {
                return Priority.parse(text);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
