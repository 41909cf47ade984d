package dev.tokenrelay.bench;

import dev.tokenrelay.bench.BenchReport.InFlight;
import dev.tokenrelay.bench.BenchReport.PhaseFigures;
import dev.tokenrelay.bench.BenchReport.ProcessFigures;
import dev.tokenrelay.chaos.ChildJvm;
import dev.tokenrelay.ops.scrape.MetricsScraper;
import dev.tokenrelay.tools.JvmOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The like-for-like mode of the benchmark ({@code bench --processes}): the broker ({@code tokenrelay
 * broker}) and the simulated upstream ({@code tokenrelay simulate}) each in a process of their
 * own, started and warmed up first (the broker also with an exactly-once pipe run, not counted);
 * then the processor as {@code bin/tokenrelay run} starts it, in a fresh JVM with the start
 * script's JVM options; the load generator, the result reader and the pipe in this JVM. The
 * processor's CPU and memory are read from {@code /proc/<pid>}, so that every thread it has counts.
 */
final class Processes {

    static final int PIPE_RUNS = 3;

    private static final Pattern BROKER = Pattern.compile("broker listening on (\\S+?),");
    private static final Pattern STATS = Pattern.compile("stats on (http://\\S+/stats)");
    private static final Pattern ACCOUNT = Pattern.compile("(?m)^account (\\S+) (\\S+)$");
    private static final Pattern OPS_URI = Pattern.compile("tokenrelay: metrics on (http://\\S+)/metrics");
    private static final String WARM_ACCOUNT = "warm";
    private static final int WARM_RECORDS = 2_000;
    private static final int WARM_CALLS = 200;
    private static final int WARM_ROUNDS = 10;
    /** Requests through the throwaway processor that warms the broker up (at most --requests). */
    private static final int WARM_RELAY_REQUESTS = 20_000;
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);
    private static final long SAMPLE_MILLIS = 100;

    private final Benchmark benchmark;
    private final BenchSettings settings;
    private final Consumer<String> progress;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private URI stats;
    private final List<String> jvmOptions;

    private Processes(Benchmark benchmark, BenchSettings settings, Consumer<String> progress) {
        this.benchmark = benchmark;
        this.settings = settings;
        this.progress = progress;
        // As bin/tokenrelay starts it: the shipped options, then the run's own (a later option wins).
        this.jvmOptions = JvmOptions.with(settings.processorJvmOptions());
    }

    static BenchReport run(Benchmark benchmark, BenchSettings settings, Consumer<String> progress)
            throws InterruptedException {
        return new Processes(benchmark, settings, progress).run();
    }

    private BenchReport run() throws InterruptedException {
        Path dir = Benchmark.createTempDirectory();
        List<ChildJvm> children = new ArrayList<>();
        try {
            progress.accept("starting the broker and the simulated upstream, each in a JVM of its own, in " + dir);
            List<String> accounts = Stream.concat(benchmark.primaries().stream(), Stream.of(Benchmark.SPARE)).toList();
            // The broker stands for the user's cluster: the JVM's defaults. The simulator stands for a
            // remote service and should take as little of this machine as it can: the start script's
            // options, which spare it C2's compilations while the processor is measured.
            ChildJvm broker = start(children, dir.resolve("broker"), "broker", List.of(), "broker", "--data-dir",
                    dir.resolve("broker").resolve("kafka").toString(), "--port", "0");
            List<String> simulate = new ArrayList<>(List.of("simulate", "--latency", settings.latency().toMillis() + "ms",
                    "--accounts", String.join(",", accounts)));
            if (settings.failureRate() > 0) {
                simulate.addAll(List.of("--failing", String.join(",", benchmark.primaries()), "--failure-rate",
                        Double.toString(settings.failureRate()), "--seed", Long.toString(settings.seed()),
                        "--scripted-calls", Integer.toString(FailureMix.callsPerAccount(settings.requests(),
                                settings.accounts()))));
            }
            ChildJvm simulator = start(children, dir.resolve("simulator"), "simulator", JvmOptions.shipped(),
                    simulate.toArray(String[]::new));
            String bootstrap = broker.awaitOutput(BROKER, Benchmark.START_TIMEOUT);
            stats = URI.create(simulator.awaitOutput(STATS, Benchmark.START_TIMEOUT));
            Map<String, String> urls = accountUrls(dir.resolve("simulator").resolve("simulator.out"));
            progress.accept("broker (pid %d) on %s, simulated upstream (pid %d); warming them up"
                    .formatted(broker.pid(), bootstrap, simulator.pid()));
            warmBroker(bootstrap);
            warmSimulator(urls.get(WARM_ACCOUNT));
            // The processor's traffic is transactional: one pipe run, not counted, has the broker
            // compile its transaction paths before the processor is measured, as a broker that has
            // served exactly-once applications for a while has.
            progress.accept("warming the broker's transactions up with a pipe run (not counted)");
            benchmark.runPipe(bootstrap, dir, Benchmark.PIPE_ID + "-warm");
            warmWithProcessor(children, bootstrap, urls.get(WARM_ACCOUNT), dir);

            Relay relay = runRelay(children, bootstrap, urls, dir, broker, simulator);

            List<PhaseFigures> pipes = new ArrayList<>();
            if (settings.pipe()) {
                // Here in the bench's JVM, against the broker's process, after the processor has stopped.
                for (int i = 1; i <= PIPE_RUNS; i++) {
                    progress.accept("pipe: run %d of %d".formatted(i, PIPE_RUNS));
                    pipes.add(benchmark.runPipe(bootstrap, dir, Benchmark.PIPE_ID + "-" + i));
                }
            }
            PhaseFigures best = pipes.stream().max(Comparator.comparingDouble(PhaseFigures::perSecond)).orElse(null);
            ProcessFigures figures = relay.figures(pipes, jvmOptions);
            return benchmark.report(relay.phase(), relay.inFlight(), best, null, figures);
        } finally {
            for (int i = children.size() - 1; i >= 0; i--) {
                ChildProcessors.stopQuietly(children.get(i), STOP_TIMEOUT, progress);
            }
            Benchmark.deleteQuietly(dir);
        }
    }

    /** What the processor's run measured, before the pipe's runs are known. */
    private record Relay(PhaseFigures phase, InFlight inFlight, long pid, double readyMillis, Double firstResultMillis,
            double cpuMillis, Double steadyCpuPerRequest, double startupCpuMillis, long rssPeak, Integer exitCode,
            double brokerCpuMillis, double simulatorCpuMillis, double loadCpuMillis, boolean resultLog,
            Map<String, Long> cpuByKind, Map<String, Long> logEntries) {

        ProcessFigures figures(List<PhaseFigures> pipes, List<String> jvmOptions) {
            List<Double> whole = pipes.stream().map(PhaseFigures::perSecond).toList();
            List<Double> steady = pipes.stream().map(PhaseFigures::steadyPerSecond).toList();
            return new ProcessFigures(pid, jvmOptions, resultLog, readyMillis, firstResultMillis,
                    cpuMillis,
                    phase.completed() == 0 ? 0 : cpuMillis / phase.completed(), steadyCpuPerRequest, startupCpuMillis,
                    rssPeak, exitCode, brokerCpuMillis, simulatorCpuMillis, loadCpuMillis, ProcessCpu.ticksPerSecond(),
                    whole, steady, spread(whole), cpuByKind, logEntries);
        }
    }

    /** (best - worst) / best; {@code null} without runs or with a best of 0. */
    static Double spread(List<Double> runs) {
        double best = runs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        double worst = runs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        return best == 0 ? null : (best - worst) / best;
    }

    private Relay runRelay(List<ChildJvm> children, String bootstrap, Map<String, String> urls, Path dir,
            ChildJvm broker, ChildJvm simulator) throws InterruptedException {
        Path processorDir = dir.resolve("processor");
        String requestsTopic = Benchmark.RELAY_ID + ".requests";
        String resultsTopic = Benchmark.RELAY_ID + ".results";
        Path config = processorConfig(Benchmark.RELAY_ID, processorDir, bootstrap, urls::get, settings.resultLog());
        progress.accept("tokenrelay: starting `tokenrelay run` in a fresh JVM, options " + String.join(" ", jvmOptions));
        long startNanos = System.nanoTime();
        ChildJvm processor = ChildJvm.start(processorDir, "run", jvmOptions, "run", "--config", config.toString());
        children.add(processor);
        ProcessSampler sampler = new ProcessSampler(processor.pid());
        sampler.start();
        try {
            URI opsUri = awaitReady(processor);
            double readyMillis = (System.nanoTime() - startNanos) / 1e6;
            progress.accept("tokenrelay: ready %.1f s after its JVM started (pid %d)".formatted(readyMillis / 1000,
                    processor.pid()));
            awaitGroup(bootstrap, Benchmark.RELAY_ID);
            progress.accept("tokenrelay: running %d requests (upstream latency %s, %d x %d in flight)".formatted(
                    settings.requests(), BenchText.duration(settings.latency()), settings.accounts(), settings.inFlight()));
            try (LoadGenerator load = LoadGenerator.create(bootstrap, "bench-", settings.requests(), settings.promptChars())) {
                long[] before = cpu(broker, simulator);
                Map<String, ThreadKinds.Sample> threadsBefore = ThreadKinds.sample(processor.pid(), Benchmark.RELAY_ID);
                Measurement.Measured measured = Measurement.run(bootstrap, load, requestsTopic, resultsTopic,
                        settings.rate(), settings.timeout(), this::openCalls, name -> CpuMeter.Component.LOAD);
                long[] after = cpu(broker, simulator);
                Map<String, Long> cpuByKind = ThreadKinds.between(threadsBefore,
                        ThreadKinds.sample(processor.pid(), Benchmark.RELAY_ID));
                sampler.stop();
                Map<String, Long> logEntries = TopicLogs.endOffsets(bootstrap, Benchmark.RELAY_ID);
                Map<String, Map<String, Double>> streamThreads = streamThreads(opsUri);
                PhaseFigures phase = Analysis.phase("tokenrelay", Benchmark.RELAY_ID,
                        settings.streamsConfig().getOrDefault("processing.guarantee", "exactly_once_v2"), load.ids(),
                        load.requestBytes(), measured, "none in this JVM: the processor runs in a process of its own "
                                + "(see processes)", streamThreads);
                List<ResultReader.Arrival> arrivals = measured.read().arrivals();
                long first = measured.sentNanos()[0];
                long last = arrivals.stream().mapToLong(ResultReader.Arrival::readNanos).max().orElse(first);
                double cpuMillis = sampler.cpuBetween(first, last) / 1e6;
                Window steady = Analysis.steadyWindow(measured);
                Double steadyPerRequest = steady == null || steady.completions() == 0 ? null
                        : sampler.cpuBetween(steady.startNanos(), steady.endNanos()) / 1e6 / steady.completions();
                double startupMillis = sampler.cpuAt(first) / 1e6;
                Double firstResultMillis = arrivals.isEmpty() ? null : (arrivals.get(0).readNanos() - startNanos) / 1e6;
                Map<String, int[]> seen = readStats();
                int peak = benchmark.primaries().stream().mapToInt(a -> seen.getOrDefault(a, new int[2])[1]).sum();
                InFlight inFlight = new InFlight(settings.inFlight() * settings.accounts(), peak, settings.inFlight(),
                        seen.getOrDefault(Benchmark.SPARE, new int[2])[1],
                        Analysis.meanInside(steady, measured.sampleNanos(), measured.openCalls()));
                progress.accept("tokenrelay: %d of %d results, stopping it with SIGTERM".formatted(phase.completed(),
                        phase.requests()));
                Integer exitCode = stop(processor);
                return new Relay(phase, inFlight, processor.pid(), readyMillis, firstResultMillis, cpuMillis,
                        steadyPerRequest, startupMillis, sampler.rssPeak(), exitCode, (after[0] - before[0]) / 1e6,
                        (after[1] - before[1]) / 1e6, (after[2] - before[2]) / 1e6, settings.resultLog(), cpuByKind,
                        logEntries);
            }
        } finally {
            sampler.stop();
        }
    }

    /** CPU so far of the broker, the simulator and this JVM, in nanoseconds (0 when unreadable). */
    private static long[] cpu(ChildJvm broker, ChildJvm simulator) {
        return new long[] {ProcessCpu.cpuNanos(broker.pid()).orElse(0), ProcessCpu.cpuNanos(simulator.pid()).orElse(0),
                ProcessCpu.cpuNanos(ProcessHandle.current().pid()).orElse(0)};
    }

    private Integer stop(ChildJvm processor) {
        try {
            return processor.stop(STOP_TIMEOUT);
        } catch (IllegalStateException e) {
            progress.accept(e.getMessage());
            return null;
        }
    }

    // ---- the simulator's process

    private int openCalls() {
        Map<String, int[]> seen = readStats();
        return benchmark.primaries().stream().mapToInt(a -> seen.getOrDefault(a, new int[2])[0]).sum();
    }

    /** Each account's open calls and peak concurrency; empty when the simulator does not answer. */
    private Map<String, int[]> readStats() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(stats).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return parseStats(response.body());
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /** The simulator's {@code /stats}: {@code <account> <open calls> <peak concurrency>} per line. */
    static Map<String, int[]> parseStats(String text) {
        Map<String, int[]> stats = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length == 3) {
                try {
                    stats.put(parts[0], new int[] {Integer.parseInt(parts[1]), Integer.parseInt(parts[2])});
                } catch (NumberFormatException e) {
                    // Not a stats line.
                }
            }
        }
        return stats;
    }

    private static Map<String, String> accountUrls(Path out) {
        try {
            Map<String, String> urls = new HashMap<>();
            Matcher matcher = ACCOUNT.matcher(Files.readString(out));
            while (matcher.find()) {
                urls.put(matcher.group(1), matcher.group(2));
            }
            return urls;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the simulator's accounts: " + e.getMessage(), e);
        }
    }

    // ---- warming up

    /** Produces and reads back a few thousand records, so that the broker's first fetches and appends are behind it. */
    private void warmBroker(String bootstrap) throws InterruptedException {
        BenchTopics topics = BenchTopics.of("bench-warm", settings.partitions());
        Benchmark.createTopics(bootstrap, topics);
        try (LoadGenerator load = LoadGenerator.create(bootstrap, "warm-", WARM_RECORDS, settings.promptChars());
                ResultReader reader = new ResultReader(bootstrap, topics.requests(), Measurement.LOAD_PREFIX + "warm-reader",
                        load.idPrefix())) {
            load.prepare(topics.requests());
            load.produce(topics.requests(), 0);
            long deadline = System.nanoTime() + Benchmark.START_TIMEOUT.toNanos();
            while (reader.distinct() < WARM_RECORDS) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker's warm-up did not finish within "
                            + Benchmark.START_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(10);
            }
        }
    }

    /**
     * Runs a throwaway processor (application {@code bench-warm-relay}, topics of its own, every account
     * the simulator's one that answers at once) through a share of the requests, then stops it: the
     * broker then has compiled the paths of the processor's traffic (transactions over changelogs and
     * many partitions), as a cluster that has served tokenrelay has, rather than compiling them while
     * the measured processor runs.
     */
    private void warmWithProcessor(List<ChildJvm> children, String bootstrap, String warmUrl, Path dir)
            throws InterruptedException {
        // Not named after RELAY_ID: the run counts the writes to topics whose names start with it.
        String applicationId = "bench-warm-relay";
        Path warmDir = dir.resolve("processor-warm");
        Path config = processorConfig(applicationId, warmDir, bootstrap, account -> warmUrl, false);
        int requests = Math.min(settings.requests(), WARM_RELAY_REQUESTS);
        progress.accept("warming the broker up for the processor's traffic: %d requests through a throwaway processor"
                .formatted(requests));
        ChildJvm warm = ChildJvm.start(warmDir, "run", jvmOptions, "run", "--config", config.toString());
        children.add(warm);
        try (LoadGenerator load = LoadGenerator.create(bootstrap, "warm-relay-", requests, settings.promptChars())) {
            awaitReady(warm);
            awaitGroup(bootstrap, applicationId);
            Measurement.Measured measured = Measurement.run(bootstrap, load, applicationId + ".requests",
                    applicationId + ".results", 0, settings.timeout(), () -> 0, name -> CpuMeter.Component.LOAD);
            if (measured.read().arrivals().size() < requests) {
                progress.accept("the throwaway processor's warm-up was cut short after %s with %d of %d results"
                        .formatted(BenchText.duration(settings.timeout()), measured.read().arrivals().size(), requests));
            }
        } finally {
            stop(warm);
            children.remove(warm);
        }
    }

    /**
     * A processor's configuration in {@code dir}: the run's, with the user's defaults but two, any free
     * port for the ops endpoint and the result log as asked.
     */
    private Path processorConfig(String applicationId, Path dir, String bootstrap, Function<String, String> baseUrl,
            boolean resultLog) {
        String ops = "ops:\n  port: 0\n" + (resultLog ? "" : "  resultLog: false\n");
        return write(dir.resolve("tokenrelay.yaml"), benchmark.relayConfig(applicationId, bootstrap, baseUrl,
                dir.resolve("state"), ops));
    }

    /** Waits for a processor's {@code /health/ready}. */
    private URI awaitReady(ChildJvm processor) throws InterruptedException {
        URI opsUri = URI.create(processor.awaitOutput(OPS_URI, Benchmark.START_TIMEOUT));
        ChildProcessors.awaitReady(http, processor, opsUri.resolve("/health/ready"), Benchmark.START_TIMEOUT);
        return opsUri;
    }

    /**
     * The processor's stream threads, from its {@code /metrics}: their shares of time and the
     * records each read from each topic; empty when the endpoint does not answer.
     */
    private Map<String, Map<String, Double>> streamThreads(URI opsUri) {
        try {
            return StreamsThreadMetrics.fromPrometheus(new MetricsScraper(Duration.ofSeconds(10))
                    .scrape(opsUri.resolve("/metrics")), Benchmark.RELAY_ID);
        } catch (MetricsScraper.ScrapeException e) {
            progress.accept("tokenrelay: no stream-thread figures: " + e.getMessage());
            return Map.of();
        }
    }

    /** Waits until the application's consumer group has its stream threads and every input partition assigned. */
    private void awaitGroup(String bootstrap, String applicationId) throws InterruptedException {
        GroupReadiness.await(bootstrap, applicationId, settings.relayMembers(), Map.of(
                applicationId + ".requests", settings.partitions(), applicationId + ".attempts", settings.partitions()),
                Benchmark.START_TIMEOUT);
    }

    /** Calls the simulator's account that answers at once, ten rounds of a couple of hundred at the same time. */
    private void warmSimulator(String baseUrl) throws InterruptedException {
        HttpRequest call = HttpRequest.newBuilder(URI.create(baseUrl + "/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"bench-model\",\"messages\":[{\"role\":\"user\",\"content\":\"warm\"}]}"))
                .build();
        // Rounds of calls at once, so the server's compiled paths are those of many open connections.
        for (int round = 0; round < WARM_ROUNDS; round++) {
            List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
            for (int i = 0; i < WARM_CALLS; i++) {
                calls.add(http.sendAsync(call, HttpResponse.BodyHandlers.discarding()));
            }
            try {
                CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                        .get(Benchmark.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("the simulator's warm-up failed: " + e, e);
            }
        }
    }

    // ---- processes

    private static ChildJvm start(List<ChildJvm> children, Path dir, String name, List<String> jvmOptions,
            String... args) {
        ChildJvm child = ChildJvm.start(dir, name, jvmOptions, args);
        children.add(child);
        return child;
    }

    private static Path write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The processor's CPU and resident memory every 100 ms from its start, on a thread of its own,
     * so that CPU can be read at any instant of the run (by interpolation) and the memory's peak is seen.
     */
    static final class ProcessSampler {
        private final long pid;
        private final List<long[]> samples = new ArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;
        private long rssPeak;

        ProcessSampler(long pid) {
            this.pid = pid;
            this.thread = new Thread(this::loop, Measurement.LOAD_PREFIX + "process-sampler");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            if (running) {
                running = false;
                thread.interrupt();
                thread.join(5_000);
                sample();
            }
        }

        synchronized long rssPeak() {
            return rssPeak;
        }

        /** CPU used between two instants ({@link System#nanoTime()}), in nanoseconds. */
        synchronized long cpuBetween(long fromNanos, long toNanos) {
            return Math.max(0, cpuAt(toNanos) - cpuAt(fromNanos));
        }

        /** CPU used by the process from its start to an instant, interpolated between the samples around it. */
        synchronized long cpuAt(long nanos) {
            return interpolate(samples, nanos);
        }

        private void loop() {
            while (running) {
                sample();
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void sample() {
            long now = System.nanoTime();
            OptionalLong cpu = ProcessCpu.cpuNanos(pid);
            OptionalLong rss = ProcessMemory.residentBytes(pid);
            synchronized (this) {
                if (cpu.isPresent()) {
                    samples.add(new long[] {now, cpu.getAsLong()});
                }
                rssPeak = Math.max(rssPeak, rss.orElse(0));
            }
        }
    }

    /**
     * The value at {@code nanos} of a series of {@code {time, value}} samples in time order:
     * linear between the two around it, the first or last value outside them, 0 without samples.
     */
    static long interpolate(List<long[]> samples, long nanos) {
        if (samples.isEmpty()) {
            return 0;
        }
        long[] previous = samples.get(0);
        if (nanos <= previous[0]) {
            return previous[1];
        }
        for (long[] next : samples) {
            if (next[0] >= nanos) {
                double share = next[0] == previous[0] ? 1 : (double) (nanos - previous[0]) / (next[0] - previous[0]);
                return previous[1] + Math.round((next[1] - previous[1]) * share);
            }
            previous = next;
        }
        return previous[1];
    }
}
