package dev.tokenrelay.cli;

import dev.tokenrelay.bench.BacklogReport;
import dev.tokenrelay.bench.BacklogSettings;
import dev.tokenrelay.bench.Backlog;
import dev.tokenrelay.bench.BenchReport;
import dev.tokenrelay.bench.BenchSettings;
import dev.tokenrelay.bench.BenchText;
import dev.tokenrelay.bench.Benchmark;
import dev.tokenrelay.schema.JsonCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: runs requests through the real topology against a simulated upstream on an
 * embedded broker, with the pipe and Little's law as references, and prints what it measured.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measure tokenrelay: an embedded broker and a simulated upstream on 127.0.0.1, the real topology, "
                    + "and two references in the same run: the pipe (the same topics and hops with an immediate "
                    + "answer: Kafka's speed limit on this machine) and Little's law (in-flight limit / latency).",
            "Progress goes to stderr, the figures to stdout."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--requests", defaultValue = "10000", paramLabel = "N",
            description = "Requests to run through tokenrelay and through the pipe (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--latency", defaultValue = "1s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Upstream latency of every call, e.g. 0, 250ms, 1s (default: ${DEFAULT-VALUE}).")
    Duration latency;

    @Option(names = "--failure-rate", defaultValue = "0", paramLabel = "SHARE",
            description = "Share of calls to the primary accounts answered 429, 500 or with an empty completion "
                    + "(in turn), so the request fails over; 0 to 0.99 (default: ${DEFAULT-VALUE}).")
    double failureRate;

    @Option(names = "--in-flight", defaultValue = "256", paramLabel = "N",
            description = "In-flight limit (maxInFlight) of each primary account (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--accounts", defaultValue = "1", paramLabel = "N",
            description = "Primary accounts sharing the load, round-robin; failed attempts fail over to the next "
                    + "one, then to a spare account (default: ${DEFAULT-VALUE}).")
    int accounts;

    @Option(names = "--partitions", defaultValue = "4", paramLabel = "N",
            description = "Partitions of every topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--stream-threads", defaultValue = "2", paramLabel = "N",
            description = "Kafka Streams threads of each application (default: ${DEFAULT-VALUE}).")
    int streamThreads;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Longest each phase may run before it is cut short (default: 2m; 10m with --backlog).")
    Duration timeout;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "N",
            description = "Requests run through each application before it is measured, not counted; 0 measures "
                    + "from a cold start, JIT compilation and connection set-up included (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "PER_SECOND",
            description = "Produce requests at this rate; 0 produces them all at once (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--prompt-chars", defaultValue = "512", paramLabel = "N",
            description = "Length of each request's user message (default: ${DEFAULT-VALUE}).")
    int promptChars;

    @Option(names = "--pipe", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the pipe reference after tokenrelay (default: on; --no-pipe skips it).")
    boolean pipe;

    @Option(names = "--naive", description = "Also run the naive way: the call made synchronously inside process().")
    boolean naive;

    @Option(names = "--naive-time", defaultValue = "20s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long the naive way runs (default: ${DEFAULT-VALUE}).")
    Duration naiveTime;

    @Option(names = "--result-log", negatable = true, description = "Keep the processor's log line per result (off by "
            + "default in the one-JVM run: it would bury the figures, and console output costs the stream thread CPU; "
            + "on by default with --processes, as run has it).")
    Boolean resultLog;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the failure mix (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--streams-config", paramLabel = "KEY=VALUE",
            description = "A Kafka Streams property for tokenrelay and the references alike, e.g. "
                    + "commit.interval.ms=50; repeatable.")
    Map<String, String> streamsConfig = new LinkedHashMap<>();

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON to FILE.")
    Path json;

    @Option(names = "--detail", description = "Also print the busiest threads of each phase with their CPU time, "
            + "and tokenrelay's timeline second by second.")
    boolean detail;

    @Option(names = "--processes", description = "Like-for-like mode: the broker and the simulated upstream in processes "
            + "of their own, started and warmed up first, the processor as bin/tokenrelay run starts it (its JVM "
            + "options from bin/jvm.options) in a fresh JVM, the load generator and the pipe (run three times, best used) in this JVM. Adds the processor "
            + "process's CPU, resident memory and time from its start to the first result.")
    boolean processes;

    @Option(names = "--separate-intake", description = "Run tokenrelay with processor.separateIntake: intake in a "
            + "Kafka Streams client of its own, on one stream thread of its own, apart from dispatch's --stream-threads.")
    boolean separateIntake;

    @Option(names = "--processor-jvm-option", paramLabel = "OPTION",
            description = "With --processes: a JVM option for the processor's process, after the ones the start script "
                    + "ships (a later one wins), e.g. -XX:StartFlightRecording=filename=run.jfr; repeatable.")
    List<String> processorJvmOptions = new ArrayList<>();

    @Option(names = "--backlog", description = "Backlog mode: hand a processor in a JVM of its own --requests at once "
            + "(priority batch) for one account, and report its memory while they wait, the time to admit them, an "
            + "interactive request's wait, and a restart. The options of the usual run that do not apply are refused.")
    boolean backlog;

    @Option(names = "--processor-heap", defaultValue = "512m", paramLabel = "SIZE",
            description = "With --backlog: the processor JVM's maximum heap, as -Xmx takes it (default: ${DEFAULT-VALUE}).")
    String processorHeap;

    @Option(names = "--drain", description = "With --backlog: wait for every result at the end and count duplicates "
            + "and lost requests (for small --requests: the account serves --in-flight / --latency a second).")
    boolean drain;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (backlog) {
            return callBacklog(err);
        }
        BenchSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            err.println("tokenrelay: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        BenchReport report = Benchmark.run(settings, progress(err));
        PrintWriter out = spec.commandLine().getOut();
        out.println();
        BenchText.print(out, report, detail);
        if (!writeJson(report, out, err)) {
            return Main.EXIT_FAILURE;
        }
        boolean complete = report.relay().completed() == report.relay().requests()
                && (report.pipe() == null || report.pipe().completed() == report.pipe().requests());
        return complete ? 0 : Main.EXIT_FAILURE;
    }

    /**
     * The settings of a run, one-JVM or {@code --processes}.
     *
     * @throws IllegalArgumentException naming the option at fault, also one that does not apply
     */
    BenchSettings settings() {
        if (drain || !processorHeap.equals("512m")) {
            throw new IllegalArgumentException((drain ? "--drain" : "--processor-heap") + " applies to --backlog only");
        }
        return new BenchSettings(requests, latency, failureRate, inFlight, accounts, partitions, streamThreads,
                timeout == null ? Duration.ofMinutes(2) : timeout, warmup, rate, promptChars, pipe, naive, naiveTime,
                resultLog == null ? processes : resultLog, seed, streamsConfig, processes, separateIntake,
                processorJvmOptions);
    }

    /**
     * The settings of a backlog run.
     *
     * @throws IllegalArgumentException naming the option at fault, also one that does not apply
     */
    BacklogSettings backlogSettings() {
        List<String> refused = new ArrayList<>();
        if (processes) {
            refused.add("--processes");
        }
        if (failureRate != 0) {
            refused.add("--failure-rate");
        }
        if (accounts != 1) {
            refused.add("--accounts");
        }
        if (warmup != 0) {
            refused.add("--warmup");
        }
        if (rate != 0) {
            refused.add("--rate");
        }
        if (naive) {
            refused.add("--naive");
        }
        if (!streamsConfig.isEmpty()) {
            refused.add("--streams-config");
        }
        if (!processorJvmOptions.isEmpty()) {
            refused.add("--processor-jvm-option");
        }
        if (separateIntake) {
            refused.add("--separate-intake");
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", refused) + (refused.size() == 1 ? " does" : " do")
                    + " not apply to --backlog");
        }
        return new BacklogSettings(requests, latency, inFlight, partitions, streamThreads,
                timeout == null ? BacklogSettings.DEFAULT_TIMEOUT : timeout, promptChars, processorHeap, drain);
    }

    private Integer callBacklog(PrintWriter err) throws InterruptedException {
        BacklogSettings settings;
        try {
            settings = backlogSettings();
        } catch (IllegalArgumentException e) {
            err.println("tokenrelay: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        BacklogReport report = Backlog.run(settings, progress(err));
        PrintWriter out = spec.commandLine().getOut();
        out.println();
        BenchText.print(out, report);
        if (!writeJson(report, out, err)) {
            return Main.EXIT_FAILURE;
        }
        return report.complete() ? 0 : Main.EXIT_FAILURE;
    }

    /** Progress lines on standard error, each with the seconds since the run started. */
    private static Consumer<String> progress(PrintWriter err) {
        long start = System.nanoTime();
        return line -> {
            err.printf("[%6.1f s] %s%n", (System.nanoTime() - start) / 1e9, line);
            err.flush();
        };
    }

    /** Writes the figures to {@code --json} when it is given; false when the file cannot be written. */
    private boolean writeJson(Object report, PrintWriter out, PrintWriter err) {
        if (json == null) {
            return true;
        }
        try {
            JsonCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
        } catch (IOException e) {
            err.println("tokenrelay: cannot write " + json + ": " + e.getMessage());
            return false;
        }
        out.println();
        out.println("figures written to " + json);
        return true;
    }
}
