package dev.tokenrelay.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.bench.BacklogReport.Admission;
import dev.tokenrelay.bench.BacklogReport.Drain;
import dev.tokenrelay.bench.BacklogReport.InFlight;
import dev.tokenrelay.bench.BacklogReport.Interactive;
import dev.tokenrelay.bench.BacklogReport.Restart;
import dev.tokenrelay.broker.EmbeddedKafkaBroker;
import dev.tokenrelay.chaos.ChildJvm;
import dev.tokenrelay.ops.MetricNames;
import dev.tokenrelay.ops.scrape.MetricsScraper;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.Priority;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The backlog mode of the benchmark: what a user handing over a huge job sees. The broker and the
 * simulated upstream run in this JVM; the processor runs in a JVM of its own ({@code tokenrelay
 * run}), so that its heap and resident memory are its own and it can be stopped and started again
 * on its state as an operator does.
 */
public final class Backlog {

    static final String APPLICATION_ID = "bench-backlog";
    static final String ACCOUNT = "backlog";
    static final String ID_PREFIX = "backlog-";
    static final String INTERACTIVE_ID = "interactive-1";
    static final String PROBE_ID = "restart-probe-1";

    private static final Pattern OPS_URI = Pattern.compile("tokenrelay: metrics on (http://\\S+)/metrics");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofMillis(100);
    // Samples of the restarted processor kept after its first result, for its heap once it works.
    private static final int SAMPLES_AFTER_RESTART = 5;
    // Seconds the admitted backlog waits before the interactive request, for the heap's floor with it queued.
    private static final int WAITING_SAMPLES = 10;

    private final BacklogSettings settings;
    private final Consumer<String> progress;
    private final MetricsScraper scraper = new MetricsScraper(Duration.ofSeconds(5));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Sample> samples = new ArrayList<>();
    private final AtomicLong produced = new AtomicLong();
    private volatile Target target;
    private BacklogResults results;
    private SimulatedUpstream upstream;

    private Backlog(BacklogSettings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /**
     * Runs the backlog benchmark.
     *
     * @param progress told what is happening, one line at a time
     * @return every figure measured
     */
    public static BacklogReport run(BacklogSettings settings, Consumer<String> progress) throws InterruptedException {
        return new Backlog(settings, progress).run();
    }

    /**
     * One second of the processor as the bench saw it; a figure that could not be read is -1.
     *
     * @param nanos when it was taken ({@link System#nanoTime()})
     * @param life which start of the processor it describes: 1, then 2 after the restart
     */
    record Sample(long nanos, int life, long heap, long rss, long queued, long inFlight, int results, int upstreamInFlight) {}

    /** The processor being sampled. */
    private record Target(ChildJvm child, int life, URI metrics) {}

    private BacklogReport run() throws InterruptedException {
        Path dir = Benchmark.createTempDirectory();
        try {
            progress.accept("starting an embedded Kafka broker and the simulated upstream in " + dir);
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
                    SimulatedUpstream simulated = SimulatedUpstream.start(0, SimulatedUpstream.Recording.COUNTS)) {
                upstream = simulated;
                upstream.script(ACCOUNT, Behaviour.echo().after(settings.latency()));
                return run(broker.bootstrapServers(), dir);
            }
        } finally {
            Benchmark.deleteQuietly(dir);
        }
    }

    private BacklogReport run(String bootstrap, Path dir) throws InterruptedException {
        Path processorDir = dir.resolve("processor");
        Path config = writeConfig(bootstrap, processorDir);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, Measurement.LOAD_PREFIX + "backlog-sampler");
            thread.setDaemon(true);
            return thread;
        });
        ChildJvm child = null;
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            progress.accept("processor: starting tokenrelay run in a JVM of its own (%s)"
                    .formatted(String.join(" ", settings.jvmOptions())));
            child = ChildJvm.start(processorDir, "run-1", settings.jvmOptions(), "run", "--config", config.toString());
            URI ops = awaitReady(child, System.nanoTime());
            results = new BacklogResults(bootstrap, APPLICATION_ID + ".results", ID_PREFIX, INTERACTIVE_ID);
            target = new Target(child, 1, ops.resolve("/metrics"));
            sampler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
            awaitSamples(1, 2, Duration.ofSeconds(30));
            Sample idle = last(1);

            // ---- the backlog
            String requestsTopic = APPLICATION_ID + ".requests";
            producer.partitionsFor(requestsTopic);
            progress.accept("producing %,d requests of %d characters, priority batch, as fast as the producer takes them"
                    .formatted(settings.requests(), settings.promptChars()));
            long produceStart = System.nanoTime();
            int requestBytes = produce(producer, requestsTopic);
            double producedMillis = millisSince(produceStart);
            progress.accept("produced %,d requests (%,d bytes each) in %.1f s".formatted(settings.requests(), requestBytes,
                    producedMillis / 1000));
            Double admittedMillis = awaitAdmitted(child, ops.resolve("/metrics"), produceStart);
            long waitStart = System.nanoTime();
            if (admittedMillis != null) {
                progress.accept("backlog admitted in %.1f s; letting it wait %d s".formatted(admittedMillis / 1000,
                        WAITING_SAMPLES));
                ChildJvm admittedBy = child;
                await(() -> count(s -> s.life() == 1 && s.nanos() >= waitStart && s.heap() >= 0) >= WAITING_SAMPLES,
                        admittedBy, waitStart, "the seconds of waiting");
            }

            // ---- one interactive request behind the backlog
            Interactive interactive = null;
            if (admittedMillis != null) {
                progress.accept("submitting one interactive request");
                long sent = System.nanoTime();
                producer.send(new ProducerRecord<>(requestsTopic, INTERACTIVE_ID, request(INTERACTIVE_ID,
                        Priority.INTERACTIVE, new Random(0))));
                producer.flush();
                boolean arrived = await(() -> results.interactiveNanos() != 0, child, sent, "the interactive result");
                interactive = new Interactive(arrived ? (results.interactiveNanos() - sent) / 1e6 : null,
                        settings.slotInterval().toNanos() / 1e6, settings.latency().toNanos() / 1e6);
                progress.accept(arrived ? "interactive result after %.0f ms".formatted(interactive.resultMillis())
                        : "no interactive result within " + BenchText.duration(settings.timeout()));
            }
            long backlogEnd = System.nanoTime();
            Admission admission = admission(idle, produceStart, waitStart, backlogEnd, producedMillis, admittedMillis);
            InFlight inFlight = inFlight(produceStart, backlogEnd);

            // ---- the restart
            Restart restart = null;
            if (child.isAlive()) {
                progress.accept("stopping the processor with SIGTERM");
                target = null;
                long stopStart = System.nanoTime();
                int code = child.stop(STOP_TIMEOUT);
                double stopMillis = millisSince(stopStart);
                child.close();
                Instant restartAt = Instant.now();
                results.watchNewCalls(restartAt);
                long startNanos = System.nanoTime();
                progress.accept("processor exited with %d after %.1f s; starting it again on its state".formatted(code,
                        stopMillis / 1000));
                child = ChildJvm.start(processorDir, "run-2", settings.jvmOptions(), "run", "--config", config.toString());
                if (results.distinct() >= settings.requests()) {
                    // A small backlog may be done already: one more request gives the new JVM a call to make.
                    producer.send(new ProducerRecord<>(requestsTopic, PROBE_ID, request(PROBE_ID, Priority.DEFAULT,
                            new Random(0))));
                    producer.flush();
                }
                restart = restart(child, startNanos, stopMillis, code);
            }

            // ---- the drain
            Drain drain = settings.drain() && child.isAlive() ? drain(child, produceStart) : null;
            return new BacklogReport(settings, Benchmark.machine(), requestBytes, admission, inFlight, interactive,
                    restart, drain);
        } finally {
            sampler.shutdownNow();
            target = null;
            if (results != null) {
                results.close();
            }
            if (child != null) {
                ChildProcessors.stopQuietly(child, STOP_TIMEOUT, progress);
            }
        }
    }

    private Restart restart(ChildJvm child, long startNanos, double stopMillis, int code) throws InterruptedException {
        Double readyMillis = null;
        Double firstResultMillis = null;
        try {
            URI ops = awaitOpsUri(child);
            target = new Target(child, 2, ops.resolve("/metrics"));
            ChildProcessors.awaitReady(http, child, ops.resolve("/health/ready"), START_TIMEOUT);
            readyMillis = millisSince(startNanos);
            progress.accept("restarted processor ready after %.1f s".formatted(readyMillis / 1000));
            if (await(() -> results.firstNewNanos() != 0, child, startNanos, "the restarted processor's first result")) {
                firstResultMillis = (results.firstNewNanos() - startNanos) / 1e6;
                progress.accept("processing again: first result of a new call %.1f s after the new JVM started"
                        .formatted(firstResultMillis / 1000));
                long after = results.firstNewNanos();
                await(() -> count(s -> s.life() == 2 && s.nanos() >= after && s.heap() >= 0) >= SAMPLES_AFTER_RESTART,
                        child, System.nanoTime(), "samples of the restarted processor");
            }
        } catch (IllegalStateException e) {
            progress.accept("the restarted processor did not start: " + e.getMessage());
        }
        List<Sample> life2 = select(s -> s.life() == 2);
        return new Restart(stopMillis, code, readyMillis, firstResultMillis, max(life2, Sample::heap), max(life2, Sample::rss));
    }

    private Drain drain(ChildJvm child, long produceStart) throws InterruptedException {
        progress.accept("draining: waiting for every result");
        long start = System.nanoTime();
        await(() -> results.distinct() >= settings.requests(), child, start, "every result");
        int read = results.distinct();
        long last = results.lastNanos();
        progress.accept("%,d of %,d results, %d duplicates".formatted(read, settings.requests(), results.duplicates()));
        return new Drain(read, results.duplicates(), settings.requests() - read,
                last == 0 ? 0 : (last - produceStart) / 1e6);
    }

    // ---- figures

    private Admission admission(Sample idle, long from, long waitFrom, long to, double producedMillis,
            Double admittedMillis) {
        List<Sample> backlog = select(s -> s.life() == 1 && s.nanos() >= from && s.nanos() <= to);
        long peakHeap = Math.max(0, max(backlog, Sample::heap));
        // The lowest heap of a working JVM is its live data plus what little it allocated since the last collection.
        long waitingFloor = admittedMillis == null ? 0 : Math.max(0, select(s -> s.life() == 1 && s.nanos() >= waitFrom
                && s.nanos() <= to && s.heap() >= 0).stream().mapToLong(Sample::heap).min().orElse(0));
        long peakRss = Math.max(0, max(backlog, Sample::rss));
        long peakQueued = Math.max(0, max(backlog, Sample::queued));
        long idleHeap = Math.max(0, idle.heap());
        long idleRss = Math.max(0, idle.rss());
        return new Admission(producedMillis, admittedMillis, idleHeap, idleRss, peakHeap, peakRss, peakQueued,
                ProcessMemory.perHundredThousand(idleHeap, peakHeap, peakQueued), waitingFloor,
                waitingFloor == 0 ? null : ProcessMemory.perHundredThousand(idleHeap, waitingFloor, peakQueued),
                ProcessMemory.perHundredThousand(idleRss, peakRss, peakQueued), settings.processorHeapBytes());
    }

    private InFlight inFlight(long from, long to) {
        int limit = settings.inFlight();
        List<Sample> queued = select(s -> s.life() == 1 && s.nanos() >= from && s.nanos() <= to && s.queued() > 0
                && s.inFlight() >= 0);
        // The slots take a moment to fill after the first request; count from the first full second.
        int first = 0;
        while (first < queued.size() && queued.get(first).inFlight() < limit) {
            first++;
        }
        List<Sample> counted = queued.subList(first, queued.size());
        int atLimit = (int) counted.stream().filter(s -> s.inFlight() == limit).count();
        int min = (int) counted.stream().mapToLong(Sample::inFlight).min().orElse(0);
        int maxSeen = (int) Math.max(max(queued, Sample::inFlight), 0);
        return new InFlight(limit, counted.size(), atLimit, min, maxSeen, upstream.peakConcurrency(ACCOUNT));
    }

    // ---- sampling

    private void sample() {
        try {
            sampleOnce();
        } catch (RuntimeException e) {
            // A failed second must not end the sampling: the executor would not run it again.
            progress.accept("sampling failed: " + e);
        }
    }

    private void sampleOnce() {
        Target current = target;
        if (current == null) {
            return;
        }
        long heap = -1;
        long queued = -1;
        long inFlight = -1;
        try {
            PrometheusText metrics = scraper.scrape(current.metrics());
            heap = (long) metrics.sum("jvm_memory_used_bytes", "area", "heap");
            queued = (long) metrics.sum(MetricNames.PROM_ATTEMPTS_QUEUED, MetricNames.ACCOUNT, ACCOUNT);
            inFlight = (long) metrics.sum(MetricNames.PROM_CALLS_IN_FLIGHT, MetricNames.ACCOUNT, ACCOUNT);
        } catch (MetricsScraper.ScrapeException e) {
            // Starting or stopping: the second goes without the processor's own figures.
        }
        long rss = ProcessMemory.residentBytes(current.child().pid()).orElse(-1);
        Sample sample = new Sample(System.nanoTime(), current.life(), heap, rss, queued, inFlight,
                results.distinct(), upstream.inFlight(ACCOUNT));
        synchronized (samples) {
            samples.add(sample);
        }
        progress.accept("processor %d: produced %,d, queued %s, in flight %s, results %,d, heap %s, RSS %s".formatted(
                current.life(), produced.get(), figure(queued), figure(inFlight), sample.results(), mib(heap), mib(rss)));
    }

    private static String figure(long value) {
        return value < 0 ? "?" : "%,d".formatted(value);
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "?" : "%d MiB".formatted(bytes >> 20);
    }

    private List<Sample> select(Predicate<Sample> which) {
        synchronized (samples) {
            return samples.stream().filter(which).toList();
        }
    }

    private int count(Predicate<Sample> which) {
        return select(which).size();
    }

    private Sample last(int life) {
        List<Sample> of = select(s -> s.life() == life && s.heap() >= 0);
        return of.get(of.size() - 1);
    }

    private static long max(List<Sample> of, java.util.function.ToLongFunction<Sample> figure) {
        return of.stream().mapToLong(figure).max().orElse(-1);
    }

    // ---- waiting

    private Double awaitAdmitted(ChildJvm child, URI metrics, long produceStart) throws InterruptedException {
        int n = settings.requests();
        long deadline = produceStart + settings.timeout().toNanos();
        while (System.nanoTime() < deadline && child.isAlive()) {
            try {
                PrometheusText text = scraper.scrape(metrics);
                double admitted = text.sum(MetricNames.PROM_ATTEMPTS_QUEUED, MetricNames.ACCOUNT, ACCOUNT)
                        + text.sum(MetricNames.PROM_CALLS_IN_FLIGHT, MetricNames.ACCOUNT, ACCOUNT) + results.distinct();
                if (admitted >= n) {
                    return millisSince(produceStart);
                }
            } catch (MetricsScraper.ScrapeException e) {
                // Busy: asked again below.
            }
            Thread.sleep(250);
        }
        progress.accept(child.isAlive() ? "the backlog was not admitted within " + BenchText.duration(settings.timeout())
                : "the processor exited; its log ends:\n" + child.tail());
        return null;
    }

    private void awaitSamples(int life, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count(s -> s.life() == life && s.heap() >= 0) < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the processor's metrics could not be read within " + timeout);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Waits for {@code done} until {@code --timeout} after {@code from}; false if it passes or the processor exits. */
    private boolean await(java.util.function.BooleanSupplier done, ChildJvm child, long from, String what)
            throws InterruptedException {
        long deadline = from + settings.timeout().toNanos();
        while (!done.getAsBoolean()) {
            if (!child.isAlive()) {
                progress.accept("the processor exited while waiting for " + what + "; its log ends:\n" + child.tail());
                return false;
            }
            if (System.nanoTime() > deadline) {
                progress.accept("gave up waiting for %s after %s".formatted(what, BenchText.duration(settings.timeout())));
                return false;
            }
            Thread.sleep(POLL.toMillis());
        }
        return true;
    }

    private URI awaitReady(ChildJvm child, long startNanos) throws InterruptedException {
        URI ops = awaitOpsUri(child);
        ChildProcessors.awaitReady(http, child, ops.resolve("/health/ready"), START_TIMEOUT);
        progress.accept("processor ready after %.1f s (pid %d, metrics on %s)".formatted(millisSince(startNanos) / 1000,
                child.pid(), ops));
        return ops;
    }

    private static URI awaitOpsUri(ChildJvm child) {
        return URI.create(child.awaitOutput(OPS_URI, START_TIMEOUT));
    }

    // ---- the load

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, LoadGenerator.CLIENT_ID);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        // As a client sending a job would: compressed, and send() blocks while the buffer is full.
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** Produces the backlog, each request encoded just before it is sent: a million would not fit in this heap at once. */
    private int produce(KafkaProducer<String, byte[]> producer, String topic) {
        Random random = new Random(settings.requests());
        int bytes = 0;
        for (int i = 0; i < settings.requests(); i++) {
            String id = ID_PREFIX + "%07d".formatted(i);
            byte[] value = request(id, Priority.BATCH, random);
            bytes = value.length;
            producer.send(new ProducerRecord<>(topic, id, value));
            produced.incrementAndGet();
        }
        producer.flush();
        return bytes;
    }

    private byte[] request(String id, int priority, Random random) {
        ObjectNode body = JsonCodec.mapper().createObjectNode().put("model", "bench-model");
        body.putArray("messages").addObject().put("role", "user")
                .put("content", LoadGenerator.prompt(id, settings.promptChars(), random));
        return JsonCodec.encode(new ChatRequest(id, 0, body, null, null, null, null, priority));
    }

    // ---- the processor's configuration

    private Path writeConfig(String bootstrap, Path processorDir) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("kafka:\n")
                .append("  bootstrapServers: ").append(quote(bootstrap)).append('\n')
                .append("  applicationId: ").append(APPLICATION_ID).append('\n')
                .append("  streams:\n")
                .append("    state.dir: ").append(quote(processorDir.resolve("state").toString())).append('\n')
                .append("    num.stream.threads: ").append(quote(Integer.toString(settings.streamThreads()))).append('\n')
                .append("topics:\n");
        for (String topic : List.of("requests", "attempts", "results", "outcomes", "deadLetter")) {
            yaml.append("  %s: {name: %s, partitions: %d}\n".formatted(topic, APPLICATION_ID + "." + topic,
                    settings.partitions()));
        }
        yaml.append("  accounts: {name: %s, partitions: 1}\n".formatted(APPLICATION_ID + ".accounts"))
                .append("defaultPool: ").append(ACCOUNT).append('\n')
                .append("pools:\n")
                .append("  ").append(ACCOUNT).append(": {accounts: [").append(ACCOUNT).append("]}\n")
                .append("accounts:\n")
                .append("  %s: {provider: openai-chat, baseUrl: %s, maxInFlight: %d}\n".formatted(ACCOUNT,
                        quote(upstream.baseUrl(ACCOUNT)), settings.inFlight()))
                // A million requests at 16 calls a second take most of a day: none may expire on the way.
                .append("processor:\n  defaultDeadline: 7d\n")
                .append("ops:\n  port: 0\n  resultLog: false\n");
        try {
            Files.createDirectories(processorDir);
            Path file = processorDir.resolve("tokenrelay.yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the processor's configuration: " + e.getMessage(), e);
        }
    }

    private static String quote(String text) {
        try {
            return JsonCodec.mapper().writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static double millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e6;
    }
}
