package dev.tokenrelay.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.bench.BenchReport.InFlight;
import dev.tokenrelay.bench.BenchReport.Machine;
import dev.tokenrelay.bench.BenchReport.NaiveFigures;
import dev.tokenrelay.bench.BenchReport.PhaseFigures;
import dev.tokenrelay.broker.EmbeddedKafkaBroker;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.TopicAdmin;
import dev.tokenrelay.results.ResultLog;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.logging.log4j.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark: an embedded broker and a simulated upstream in this JVM, then tokenrelay's real
 * topology, the pipe and optionally the naive way, one after the other on the same broker, each
 * with its own application id and topics.
 *
 * <p>Every request goes to 127.0.0.1 only, and every phase is bounded in requests and time.
 */
public final class Benchmark {

    static final String RELAY_ID = "bench-relay";
    static final String PIPE_ID = "bench-pipe";
    static final String NAIVE_ID = "bench-naive";
    static final String POOL = "bench";
    static final String SPARE = "spare";
    static final String NAIVE_ACCOUNT = "naive";

    private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    // The JVM's own Java threads: neither a component nor the benchmark.
    private static final Set<String> JVM_THREADS = Set.of("Reference Handler", "Finalizer", "Signal Dispatcher",
            "Common-Cleaner", "Attach Listener", "Notification Thread", "process reaper", "DestroyJavaVM");

    private final BenchSettings settings;
    private final Consumer<String> progress;
    private final List<String> primaries;

    /** The primary accounts, in order. */
    List<String> primaries() {
        return primaries;
    }

    Benchmark(BenchSettings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
        this.primaries = IntStream.rangeClosed(1, settings.accounts()).mapToObj(i -> "primary-" + i).toList();
    }

    /**
     * Runs the benchmark.
     *
     * @param progress told what is happening, one line at a time
     * @return every figure measured
     */
    public static BenchReport run(BenchSettings settings, Consumer<String> progress) throws InterruptedException {
        if (settings.processes()) {
            return Processes.run(new Benchmark(settings, progress), settings, progress);
        }
        return new Benchmark(settings, progress).run();
    }

    private BenchReport run() throws InterruptedException {
        if (!settings.resultLog()) {
            // Tens of thousands of result lines would bury the figures, and writing them to a console
            // would be measured as processor work; run users can turn the logger down the same way.
            turnDown(ResultLog.LOGGER);
        }
        Path dir = createTempDirectory();
        try {
            progress.accept("starting an embedded Kafka broker and the simulated upstream in " + dir);
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                    SimulatedUpstream upstream = SimulatedUpstream.start(0, SimulatedUpstream.Recording.COUNTS)) {
                scriptAccounts(upstream);
                String bootstrap = broker.bootstrapServers();
                RelayRun relay = runRelay(bootstrap, upstream, dir);
                PhaseFigures pipe = settings.pipe() ? runPipe(bootstrap, dir, PIPE_ID) : null;
                NaiveFigures naive = settings.naive() ? runNaive(bootstrap, upstream, dir) : null;
                return report(relay, pipe, naive);
            }
        } finally {
            deleteQuietly(dir);
        }
    }

    private BenchReport report(RelayRun relay, PhaseFigures pipe, NaiveFigures naive) {
        return report(relay.figures(), relay.inFlight(), pipe, naive, null);
    }

    BenchReport report(PhaseFigures relay, InFlight inFlight, PhaseFigures pipe, NaiveFigures naive,
            BenchReport.ProcessFigures processes) {
        double bound = settings.littleBound();
        boolean finite = Double.isFinite(bound);
        return new BenchReport(settings, machine(), relay, inFlight, finite ? bound : null,
                finite ? relay.perSecond() / bound : null,
                finite ? relay.steadyPerSecond() / bound : null,
                pipe,
                pipe == null || pipe.perSecond() == 0 ? null : relay.perSecond() / pipe.perSecond(),
                pipe == null || pipe.steadyPerSecond() == 0 ? null
                        : relay.steadyPerSecond() / pipe.steadyPerSecond(),
                naive, processes);
    }

    // ---- tokenrelay

    private record RelayRun(PhaseFigures figures, InFlight inFlight) {}

    private RelayRun runRelay(String bootstrap, SimulatedUpstream upstream, Path dir) throws InterruptedException {
        TokenRelayConfig config;
        try {
            config = ConfigLoader.parse(relayConfig(RELAY_ID, bootstrap, upstream::baseUrl, dir.resolve("streams"), ""),
                    "bench configuration");
        } catch (ConfigException e) {
            throw new IllegalArgumentException("the benchmark's configuration is invalid: " + e.getMessage(), e);
        }
        progress.accept("tokenrelay: starting application " + RELAY_ID);
        try (LoadGenerator load = LoadGenerator.create(bootstrap, "bench-", settings.requests(), settings.promptChars());
                TokenRelay relay = TokenRelay.start(config, bootstrap, Clock.systemUTC())) {
            if (!relay.awaitRunning(START_TIMEOUT)) {
                throw new IllegalStateException("tokenrelay did not start: its state is " + relay.state());
            }
            GroupReadiness.await(bootstrap, RELAY_ID, settings.relayMembers(), Map.of(
                    config.topics().requests().name(), settings.partitions(),
                    config.topics().attempts().name(), settings.partitions()), START_TIMEOUT);
            if (settings.warmup() > 0) {
                warmUp("tokenrelay", bootstrap, config.topics().requests().name(), config.topics().results().name());
                // Start the measured stretch with fresh counters (peak concurrency) and scripts.
                upstream.reset();
                scriptAccounts(upstream);
            }
            progress.accept("tokenrelay: running %d requests (upstream latency %s, %d x %d in flight)".formatted(
                    settings.requests(), BenchText.duration(settings.latency()), settings.accounts(), settings.inFlight()));
            Measurement.Measured measured = Measurement.run(bootstrap, load, config.topics().requests().name(),
                    config.topics().results().name(), settings.rate(), settings.timeout(),
                    () -> primaries.stream().mapToInt(upstream::inFlight).sum(),
                    components(name -> name.contains(RELAY_ID) || name.startsWith("httpclient-")
                            || name.startsWith("rocksdb:")));
            String guarantee = config.kafka().streams().getOrDefault(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                    StreamsConfig.EXACTLY_ONCE_V2);
            PhaseFigures figures = Analysis.phase("tokenrelay", RELAY_ID, guarantee, load.ids(), load.requestBytes(),
                    measured, "Java threads named after the application id (stream threads, global stream thread, "
                            + "state updater, their producer, consumer and admin client threads), HttpClient's "
                            + "threads (httpclient-*) and RocksDB's native threads (rocksdb:*)",
                    StreamsThreadMetrics.read(RELAY_ID));
            int peak = primaries.stream().mapToInt(upstream::peakConcurrency).sum();
            InFlight inFlight = new InFlight(settings.inFlight() * settings.accounts(), peak, settings.inFlight(),
                    upstream.peakConcurrency(SPARE), Analysis.meanInside(Analysis.steadyWindow(measured),
                            measured.sampleNanos(), measured.openCalls()));
            progress.accept("tokenrelay: %d of %d results, stopping".formatted(figures.completed(), figures.requests()));
            return new RelayRun(figures, inFlight);
        }
    }

    private void scriptAccounts(SimulatedUpstream upstream) {
        Behaviour ok = Behaviour.echo().after(settings.latency());
        Random random = new Random(settings.seed());
        int perAccount = FailureMix.callsPerAccount(settings.requests(), settings.accounts());
        for (String account : primaries) {
            if (settings.failureRate() == 0) {
                upstream.script(account, ok);
            } else {
                upstream.script(account, FailureMix.script(settings.failureRate(), perAccount, settings.latency(), random));
            }
        }
        upstream.script(SPARE, ok);
        upstream.script(NAIVE_ACCOUNT, ok);
    }

    /**
     * tokenrelay's configuration for the run.
     *
     * @param applicationId the application id, which names the topics too
     * @param baseUrl an account's base URL on the simulated upstream
     * @param extra YAML sections appended as they are
     */
    String relayConfig(String applicationId, String bootstrap, Function<String, String> baseUrl, Path stateDir,
            String extra) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("kafka:\n")
                .append("  bootstrapServers: ").append(quote(bootstrap)).append('\n')
                .append("  applicationId: ").append(applicationId).append('\n')
                .append("  streams:\n")
                .append("    state.dir: ").append(quote(stateDir.toString())).append('\n')
                .append("    num.stream.threads: ").append(quote(Integer.toString(settings.streamThreads()))).append('\n');
        settings.streamsConfig().forEach((key, value) ->
                yaml.append("    ").append(quote(key)).append(": ").append(quote(value)).append('\n'));
        yaml.append("topics:\n");
        for (String topic : List.of("requests", "attempts", "results", "outcomes", "deadLetter")) {
            yaml.append("  %s: {name: %s, partitions: %d}\n".formatted(topic, applicationId + "." + topic,
                    settings.partitions()));
        }
        yaml.append("  accounts: {name: %s, partitions: 1}\n".formatted(applicationId + ".accounts"));
        yaml.append("defaultPool: ").append(POOL).append('\n')
                .append("pools:\n")
                .append("  ").append(POOL).append(": {accounts: [").append(String.join(", ", primaries))
                .append("], strategy: round-robin, fallback: ").append(SPARE).append("}\n")
                .append("  ").append(SPARE).append(": {accounts: [").append(SPARE).append("]}\n")
                .append("accounts:\n");
        for (String account : Stream.concat(primaries.stream(), Stream.of(SPARE)).toList()) {
            yaml.append("  %s: {provider: openai-chat, baseUrl: %s, maxInFlight: %d}\n".formatted(
                    account, quote(baseUrl.apply(account)), settings.inFlight()));
        }
        // No cooldown without a Retry-After: a 500 in the failure mix must fail over, not park the account.
        yaml.append("policy:\n  defaultCooldown: 0s\n");
        if (settings.separateIntake()) {
            yaml.append("processor:\n  separateIntake: true\n");
        }
        yaml.append(extra);
        return yaml.toString();
    }

    // ---- the pipe

    /** Runs the pipe as application {@code pipeId}, on topics of its own. */
    PhaseFigures runPipe(String bootstrap, Path dir, String pipeId) throws InterruptedException {
        BenchTopics topics = BenchTopics.of(pipeId, settings.partitions());
        createTopics(bootstrap, topics);
        Properties properties = streamsProperties(pipeId, bootstrap, dir.resolve(pipeId + "-streams"));
        StreamsBuilder builder = builder(properties);
        PipeTopology.build(builder, topics, primaries, POOL);
        progress.accept("pipe: starting application " + pipeId);
        KafkaStreams streams = new KafkaStreams(builder.build(properties), properties);
        try (LoadGenerator load = LoadGenerator.create(bootstrap, "bench-", settings.requests(), settings.promptChars())) {
            streams.start();
            awaitRunning(streams, pipeId);
            GroupReadiness.await(bootstrap, pipeId, settings.streamThreads(), Map.of(
                    topics.requests(), settings.partitions(), topics.attempts(), settings.partitions()), START_TIMEOUT);
            warmUp("pipe", bootstrap, topics.requests(), topics.results());
            progress.accept("pipe: running %d requests".formatted(settings.requests()));
            Measurement.Measured measured = Measurement.run(bootstrap, load, topics.requests(), topics.results(),
                    settings.rate(), settings.timeout(), () -> 0, components(name -> name.contains(pipeId)));
            PhaseFigures figures = Analysis.phase("pipe", pipeId,
                    properties.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG), load.ids(), load.requestBytes(),
                    measured, "Java threads named after the application id (it has no state stores)",
                    StreamsThreadMetrics.read(pipeId));
            progress.accept("pipe: %d of %d results, stopping".formatted(figures.completed(), figures.requests()));
            return figures;
        } finally {
            // With a timeout: close() without one waits for ever if a stream thread hangs.
            streams.close(CLOSE_TIMEOUT);
        }
    }

    // ---- the naive way

    private NaiveFigures runNaive(String bootstrap, SimulatedUpstream upstream, Path dir) throws InterruptedException {
        BenchTopics topics = BenchTopics.of(NAIVE_ID, settings.partitions());
        createTopics(bootstrap, topics);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Properties properties = streamsProperties(NAIVE_ID, bootstrap, dir.resolve("naive-streams"));
        StreamsBuilder builder = builder(properties);
        NaiveTopology.build(builder, topics, http, URI.create(upstream.baseUrl(NAIVE_ACCOUNT) + "/chat/completions"),
                settings.latency().plusSeconds(30));
        progress.accept("naive: starting application " + NAIVE_ID + " (blocking calls inside process())");
        KafkaStreams streams = new KafkaStreams(builder.build(properties), properties);
        try (LoadGenerator load = LoadGenerator.create(bootstrap, "bench-", settings.requests(), settings.promptChars())) {
            streams.start();
            awaitRunning(streams, NAIVE_ID);
            GroupReadiness.await(bootstrap, NAIVE_ID, settings.streamThreads(), Map.of(
                    topics.requests(), settings.partitions()), START_TIMEOUT);
            progress.accept("naive: running for %s".formatted(BenchText.duration(settings.naiveTime())));
            Measurement.Measured measured = Measurement.run(bootstrap, load, topics.requests(), topics.results(),
                    settings.rate(), settings.naiveTime(), () -> 0, components(name -> name.contains(NAIVE_ID)));
            double seconds = measured.cpu().wallMillis() / 1000;
            int completed = (int) measured.read().arrivals().stream().map(ResultReader.Arrival::key).distinct().count();
            progress.accept("naive: %d results in %.0f s, stopping".formatted(completed, seconds));
            // The stream threads work through their polled batch before they notice the close: make
            // the calls left in it fail at once, so they stop in seconds rather than a call latency each.
            upstream.script(NAIVE_ACCOUNT, Behaviour.reset());
            return new NaiveFigures(properties.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
                    settings.requests(), seconds, completed, completed / seconds);
        } finally {
            // A stream thread may sit in a blocking call: do not wait long for it.
            streams.close(Duration.ofSeconds(10));
        }
    }

    // ---- shared

    private void warmUp(String phase, String bootstrap, String requestsTopic, String resultsTopic)
            throws InterruptedException {
        if (settings.warmup() == 0) {
            return;
        }
        progress.accept("%s: warming up with %d requests (not counted)".formatted(phase, settings.warmup()));
        Measurement.warmUp(bootstrap, requestsTopic, resultsTopic, settings.warmup(), settings.promptChars(),
                settings.timeout());
    }

    /** The same Streams settings tokenrelay starts from, for the references. */
    private Properties streamsProperties(String applicationId, String bootstrap, Path stateDir) {
        Properties properties = new Properties();
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        properties.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(settings.streamThreads()));
        TokenRelay.enableGlobalProcessingHandler(properties);
        properties.putAll(settings.streamsConfig());
        TokenRelay.compressUnlessSet(properties);
        return properties;
    }

    /** A builder whose topology settings are the application's own, not the defaults. */
    private static StreamsBuilder builder(Properties properties) {
        return new StreamsBuilder(new TopologyConfig(new StreamsConfig(properties)));
    }

    static void createTopics(String bootstrap, BenchTopics topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, Measurement.LOAD_PREFIX + "admin"))) {
            TopicAdmin.ensureTopics(admin, topics.newTopics(), START_TIMEOUT);
        }
    }

    private static void awaitRunning(KafkaStreams streams, String applicationId) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.RUNNING) {
                return;
            }
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                break;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException(applicationId + " did not start: its state is " + streams.state());
    }

    /**
     * Attributes Java threads to components: the measured application by {@code isApplication},
     * the benchmark's own clients by their prefix, the simulator's (HttpCore's server threads and
     * its scheduler), the JVM's own; every other Java thread in this JVM is the broker's.
     */
    static Function<String, CpuMeter.Component> components(java.util.function.Predicate<String> isApplication) {
        return name -> {
            if (isApplication.test(name)) {
                return CpuMeter.Component.PROCESSOR;
            }
            if (name.startsWith("rocksdb:")) {
                // Another application's state stores: not this phase's work.
                return CpuMeter.Component.JVM;
            }
            if (name.startsWith(Measurement.LOAD_PREFIX) || name.endsWith("| " + LoadGenerator.CLIENT_ID)
                    || name.equals("main")) {
                return CpuMeter.Component.LOAD;
            }
            if (name.startsWith("server-dispatch-") || name.startsWith("server-listener-")
                    || name.startsWith("simulated-upstream")) {
                return CpuMeter.Component.SIMULATOR;
            }
            if (JVM_THREADS.contains(name)) {
                return CpuMeter.Component.JVM;
            }
            return CpuMeter.Component.BROKER;
        };
    }

    /**
     * Sets a logger to WARN through Log4j's {@code Configurator}. Log4j Core is only a runtime
     * dependency (the code logs through SLF4J), hence the reflection; without it nothing changes.
     */
    private static void turnDown(String logger) {
        try {
            Class.forName("org.apache.logging.log4j.core.config.Configurator")
                    .getMethod("setLevel", String.class, Level.class)
                    .invoke(null, logger, Level.WARN);
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.debug("could not turn down the logger {}: {}", logger, e.toString());
        }
    }

    static Machine machine() {
        Runtime runtime = Runtime.getRuntime();
        return new Machine(runtime.availableProcessors(), cpuModel(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                runtime.maxMemory() / (1024 * 1024));
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst().orElse("unknown");
        } catch (IOException | UncheckedIOException e) {
            return "unknown";
        }
    }

    static String quote(String text) {
        try {
            return JsonCodec.mapper().writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Path createTempDirectory() {
        try {
            return Files.createTempDirectory("tokenrelay-bench");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory: " + e.getMessage(), e);
        }
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete the benchmark's temporary directory {}: {}", dir, e.toString());
        }
    }
}
