package dev.tokenrelay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tokenrelay.chaos.ChildJvm;
import dev.tokenrelay.chaos.DeliveryAudit;
import dev.tokenrelay.chaos.FaultCounts;
import dev.tokenrelay.chaos.FaultRun;
import dev.tokenrelay.chaos.FaultSchedule;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.KafkaClients;
import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.tools.ToolException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenrelay chaos}: the fault suite against an operator's own configuration and cluster.
 * It starts the instances itself, each a {@code tokenrelay run} in a child JVM of this jar with its
 * own name, state directory and ops port; sends a run of requests; kills, restarts, adds and
 * removes instances on a seeded schedule (and stops and starts the broker when it runs the broker
 * itself, {@code --broker-dir}); then reads the topics with {@code read_committed} and prints the
 * same counts as the fault suite. It exits 0 when every request has exactly one result, 1 otherwise.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run processors of your configuration in child JVMs, kill, restart, add and remove them "
                + "(and restart the broker with --broker-dir) while requests flow, then check that every request has "
                + "exactly one result and print the counts.",
            "Use a deployment of its own (a kafka.applicationId no one else uses): the run's requests are real "
                + "requests, and without --simulate they reach your accounts."})
public final class ChaosCommand implements Callable<Integer> {

    private static final Pattern OPS_URI = Pattern.compile("tokenrelay: metrics on (http://\\S+)/metrics");
    private static final Duration START_WAIT = Duration.ofSeconds(120);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);
    private static final Duration RESULTS_WAIT = Duration.ofMinutes(5);
    private static final Duration FINAL_READ = Duration.ofMinutes(2);
    private static final int SIMULATED_MAX_IN_FLIGHT = 4;
    /** Small and quick to start: instances here are many JVMs on one machine. */
    private static final List<String> CHILD_JVM_OPTIONS = List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The processor configuration to run.")
    Path config;

    @Option(names = "--requests", defaultValue = "2000", description = "Requests in the run (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--seed", description = "Seed of the schedule and the simulated upstream's script (default: the time).")
    Long seed;

    @Option(names = "--rounds", defaultValue = "1", description = "Times every fault is played (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--instances", defaultValue = "3", description = "Instances the run starts with (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--pool", paramLabel = "NAME", description = "The pool of every request (default: the configuration's default pool).")
    String pool;

    @Option(names = "--model", defaultValue = "gpt-4o-mini", description = "The model of every request (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where instances keep their configuration, state and logs "
            + "(default: a new temporary directory).")
    Path workDir;

    @Option(names = "--broker-dir", paramLabel = "DIR", description = "Run the broker too (tokenrelay broker in a child JVM, "
            + "data in DIR) instead of the configuration's cluster, and stop and start it during the run.")
    Path brokerDir;

    @Option(names = "--broker-port", defaultValue = "9092", description = "The port of the broker of --broker-dir "
            + "(default: ${DEFAULT-VALUE}).")
    int brokerPort;

    @Option(names = "--simulate", description = "Point every account at a simulated upstream in this JVM (latency, "
            + "failures, failover) instead of its real URL: no provider is called, and calls repeated are counted.")
    boolean simulate;

    @Spec
    CommandSpec spec;

    private final HttpClient http = HttpClient.newHttpClient();

    @Override
    public Integer call() throws Exception {
        try {
            return chaos(spec.commandLine().getOut());
        } catch (ToolException e) {
            return e.reportTo(spec.commandLine().getErr(), "chaos");
        }
    }

    private int chaos(PrintWriter out) throws Exception {
        long runSeed = seed != null ? seed : System.currentTimeMillis();
        Random random = new Random(runSeed);
        if (requests < 1 || rounds < 1 || instances < 1) {
            throw ToolException.usage("--requests, --rounds and --instances must be at least 1");
        }
        if (!Files.isRegularFile(config)) {
            throw ToolException.usage(config + ": no such file");
        }
        ObjectNode base = (ObjectNode) new YAMLMapper().readTree(config.toFile());
        String bootstrap = brokerDir != null ? "127.0.0.1:" + brokerPort : base.path("kafka").path("bootstrapServers").asText("");
        if (bootstrap.isBlank()) {
            throw ToolException.usage("the configuration names no kafka.bootstrapServers: give it one, or let chaos run "
                    + "the broker with --broker-dir (each instance would otherwise start a broker of its own)");
        }
        object(base, "kafka").put("bootstrapServers", bootstrap);
        // Absolute: each child runs in a directory of its own.
        Path work = (workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("tokenrelay-chaos-"))
                .toAbsolutePath();
        try (SimulatedUpstream upstream = simulate ? SimulatedUpstream.start(0, SimulatedUpstream.Recording.COUNTS) : null;
                Processes deployment = new Processes(work, base, upstream)) {
            if (upstream != null) {
                simulateAccounts(base, upstream, random);
            }
            TokenRelayConfig parsed;
            try {
                parsed = parse(base);
            } catch (ConfigException e) {
                throw ToolException.usage("invalid configuration: " + config + ": " + e.getMessage());
            }
            if (brokerDir != null) {
                deployment.startBroker();
            }
            String runId = "chaos-" + runSeed + "-" + Long.toString(System.currentTimeMillis(), 36);
            List<String> ids = IntStream.rangeClosed(1, requests).mapToObj(i -> runId + "-" + i).toList();
            List<FaultSchedule.Step> steps = FaultSchedule.steps(random, rounds, brokerDir != null);
            out.printf("chaos: %d instances, %d requests, seed %d, %d round(s), work in %s%n", instances, requests, runSeed,
                    rounds, work);
            out.flush();
            Instant began = Instant.now();
            KafkaClients clients = KafkaClients.of(bootstrap, parsed.kafka().clientProperties());
            FaultCounts faults;
            try (RunClient client = new RunClient(clients, parsed, runId, model, pool)) {
                faults = new FaultRun(deployment, client, line -> {
                    out.println("chaos: " + line);
                    out.flush();
                }).run(ids, steps, random);
            }
            Predicate<String> ours = id -> id != null && id.startsWith(runId + "-");
            List<ChatResult> results = readAll(clients, parsed.topics().results().name(), Topics.RESULTS.deserializer(),
                    ours, ChatResult::id);
            List<AttemptOutcome> outcomes = readAll(clients, parsed.topics().outcomes().name(), Topics.OUTCOMES.deserializer(),
                    ours, AttemptOutcome::requestId);
            List<DeadLetter> deadLetters = readAll(clients, parsed.topics().deadLetter().name(),
                    Topics.DEAD_LETTERS.deserializer(), ours, DeadLetter::requestId);
            long calls = upstream == null ? DeliveryAudit.NOT_COUNTED
                    : parsed.accounts().keySet().stream().mapToLong(upstream::calls).sum();
            DeliveryAudit audit = DeliveryAudit.of(ids, results, outcomes, deadLetters, calls, Map.of());
            // Each interruption repeats at most the calls its tasks had not committed: in flight (maxInFlight
            // per account) and answered since the last commit, about as many again; see the README.
            long bound = (long) faults.interruptions() * 2 * parsed.accounts().values().stream()
                    .mapToLong(a -> a.effectiveMaxInFlight(parsed.processor())).sum();
            out.printf("chaos: done in %d s%n%s", Duration.between(began, Instant.now()).toSeconds(), audit.report(faults, bound));
            out.println(audit.exactlyOnce() ? "exactly once: yes" : "exactly once: NO");
            out.flush();
            return audit.exactlyOnce() ? 0 : Main.EXIT_FAILURE;
        }
    }

    /** Every account at the simulated upstream, with a script of latencies and failures drawn from the seed. */
    private void simulateAccounts(ObjectNode base, SimulatedUpstream upstream, Random random) {
        JsonNode accounts = base.path("accounts");
        Iterator<Map.Entry<String, JsonNode>> fields = accounts.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> entry = fields.next();
            ObjectNode account = (ObjectNode) entry.getValue();
            String id = entry.getKey();
            boolean anthropic = "anthropic-messages".equals(account.path("provider").asText());
            account.put("baseUrl", anthropic ? upstream.rootUrl(id) : upstream.baseUrl(id));
            account.remove(List.of("apiKey", "oauth"));
            account.put("maxInFlight", SIMULATED_MAX_IN_FLIGHT);
            Behaviour[] script = new Behaviour[requests * 3 + 1];
            for (int i = 0; i < script.length - 1; i++) {
                double draw = random.nextDouble();
                Behaviour behaviour = draw < 0.08 ? Behaviour.emptyCompletion()
                        : draw < 0.11 ? Behaviour.status(400) : draw < 0.13 ? Behaviour.status(503) : Behaviour.echo();
                script[i] = behaviour.after(Duration.ofMillis(20 + random.nextInt(100)));
            }
            script[script.length - 1] = Behaviour.echo().after(Duration.ofMillis(20));
            upstream.script(id, script);
        }
    }

    private static TokenRelayConfig parse(ObjectNode yaml) throws IOException, ConfigException {
        return ConfigLoader.parse(new YAMLMapper().writeValueAsString(yaml), "chaos configuration");
    }

    private static <V> List<V> readAll(KafkaClients clients, String topic, Deserializer<V> deserializer,
            Predicate<String> ours, Function<V, String> id) {
        try (TopicReader<V> reader = new TopicReader<>(clients.consumer("tokenrelay-chaos-audit", Map.of()), topic,
                deserializer, FINAL_READ)) {
            List<V> records = new ArrayList<>();
            reader.readTo(reader.endOffsets(), record -> {
                if (record.value() != null && ours.test(id.apply(record.value()))) {
                    records.add(record.value());
                }
            }, () -> { }, FINAL_READ);
            return records;
        } catch (TopicReader.StalledException e) {
            throw new IllegalStateException(topic + " could not be read to its end within " + FINAL_READ);
        }
    }

    /** The run's requests in, its results counted by one long-lived read_committed consumer. */
    private static final class RunClient implements FaultRun.Client, AutoCloseable {
        private final KafkaClients clients;
        private final TokenRelayConfig config;
        private final String runId;
        private final String model;
        private final String pool;
        private final KafkaProducer<String, byte[]> producer;
        private final Set<String> answered = new HashSet<>();
        private TopicReader<ChatResult> results;

        RunClient(KafkaClients clients, TokenRelayConfig config, String runId, String model, String pool) {
            this.clients = clients;
            this.config = config;
            this.runId = runId;
            this.model = model;
            this.pool = pool;
            // Retries through a broker outage instead of dropping requests; idempotent, so each is written once.
            this.producer = new KafkaProducer<>(clients.producer("tokenrelay-chaos", Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Duration.ofMinutes(5).toMillis(),
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, Duration.ofMinutes(5).toMillis())),
                    new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public void send(String id) {
            ObjectNode body = JsonCodec.mapper().createObjectNode().put("model", model);
            body.putArray("messages").addObject().put("role", "user").put("content", "chaos run request " + id
                    + ": answer with one word.");
            ChatRequest request = new ChatRequest(id, 0, body, pool, null, null, null);
            producer.send(new ProducerRecord<>(config.topics().requests().name(), id, JsonCodec.encode(request)));
        }

        @Override
        public void flush() {
            producer.flush();
        }

        @Override
        public void awaitResults(int count) {
            if (results == null) {
                results = new TopicReader<>(clients.consumer("tokenrelay-chaos-progress", Map.of()),
                        config.topics().results().name(), Topics.RESULTS.deserializer(), RESULTS_WAIT);
            }
            boolean arrived = results.readUntil(() -> answered.size() >= count, RESULTS_WAIT, record -> {
                if (record.key() != null && record.key().startsWith(runId + "-")) {
                    answered.add(record.key());
                }
            }, () -> { });
            if (!arrived) {
                throw new IllegalStateException(answered.size() + " of the " + count + " results awaited arrived within "
                        + RESULTS_WAIT);
            }
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
            if (results != null) {
                results.close();
            }
        }
    }

    /** The instances (and the broker) as child JVMs of this jar. */
    private final class Processes implements FaultRun.Deployment, AutoCloseable {
        private final Path work;
        private final ObjectNode base;
        private final SimulatedUpstream upstream;
        private final Map<Integer, ChildJvm> running = new HashMap<>();
        private final Map<Integer, Integer> lives = new HashMap<>();
        private ChildJvm broker;
        private int brokerLives;

        Processes(Path work, ObjectNode base, SimulatedUpstream upstream) {
            this.work = work;
            this.base = base;
            this.upstream = upstream;
        }

        @Override
        public int instances() {
            return instances;
        }

        @Override
        public void start(int index) {
            Path dir = work.resolve("instance-" + (index + 1));
            ObjectNode yaml = base.deepCopy();
            ObjectNode kafka = object(yaml, "kafka");
            kafka.put("instanceName", "chaos-" + (index + 1));
            object(kafka, "streams").put("state.dir", dir.resolve("state").toString());
            object(yaml, "ops").put("port", 0);
            try {
                Files.createDirectories(dir);
                Path file = dir.resolve("tokenrelay.yaml");
                Files.writeString(file, new YAMLMapper().writeValueAsString(yaml));
                int life = lives.merge(index, 1, Integer::sum);
                running.put(index, ChildJvm.start(dir, "run-" + life, CHILD_JVM_OPTIONS, "run", "--config", file.toString()));
            } catch (IOException e) {
                throw new IllegalStateException("cannot write the configuration of instance " + (index + 1), e);
            }
        }

        @Override
        public void awaitReady(int index) {
            ChildJvm instance = running.get(index);
            URI ops = URI.create(instance.awaitOutput(OPS_URI, START_WAIT));
            HttpRequest ready = HttpRequest.newBuilder(ops.resolve("/health/ready")).timeout(Duration.ofSeconds(5)).build();
            Instant deadline = Instant.now().plus(START_WAIT);
            while (true) {
                try {
                    if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // Not listening yet, or busy: asked again below.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
                if (!instance.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("instance " + (index + 1) + " did not become ready within " + START_WAIT
                            + "; its log ends:\n" + instance.tail());
                }
                pause();
            }
        }

        @Override
        public void kill(int index) {
            running.remove(index).kill();
        }

        @Override
        public void stop(int index) {
            ChildJvm instance = running.remove(index);
            if (!instance.isAlive()) {
                throw new IllegalStateException("instance " + (index + 1) + " exited on its own; its log ends:\n" + instance.tail());
            }
            int code = instance.stop(STOP_WAIT);
            if (code != 0) {
                throw new IllegalStateException("instance " + (index + 1) + " exited with " + code + " when stopped; its log ends:\n"
                        + instance.tail());
            }
        }

        @Override
        public boolean controlsBroker() {
            return brokerDir != null;
        }

        @Override
        public void stopBroker() {
            int code = broker.stop(STOP_WAIT);
            if (code != 0) {
                throw new IllegalStateException("the broker exited with " + code + "; its log ends:\n" + broker.tail());
            }
        }

        @Override
        public void startBroker() {
            brokerLives++;
            Path data = brokerDir.toAbsolutePath();
            broker = ChildJvm.start(data, "broker-" + brokerLives, CHILD_JVM_OPTIONS, "broker", "--data-dir",
                    data.toString(), "--port", Integer.toString(brokerPort));
            broker.awaitOutput(Pattern.compile("broker listening on \\S+"), START_WAIT);
        }

        @Override
        public void awaitCallsInFlight() {
            // A real upstream does not say; results are still due then (the run waits for a third of a batch only).
            Instant deadline = Instant.now().plus(START_WAIT);
            while (upstream != null && simulatedInFlight() == 0 && Instant.now().isBefore(deadline)) {
                pause();
            }
        }

        private int simulatedInFlight() {
            int open = 0;
            for (Iterator<String> ids = base.path("accounts").fieldNames(); ids.hasNext(); ) {
                open += upstream.inFlight(ids.next());
            }
            return open;
        }

        @Override
        public void close() {
            running.values().forEach(ChildJvm::close);
            if (broker != null) {
                broker.close();
            }
        }
    }

    /** The mapping under {@code name}, created if absent. */
    private static ObjectNode object(ObjectNode parent, String name) {
        JsonNode child = parent.get(name);
        if (child instanceof ObjectNode node) {
            return node;
        }
        return parent.putObject(name);
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
