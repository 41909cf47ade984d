package dev.tokenrelay.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.KafkaClients;
import dev.tokenrelay.kafka.TopicAdmin;
import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.simulator.SimulatedUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A tokenrelay processor for one integration test: its own topics and application id on the
 * shared broker, accounts pointing at the simulated upstream, and the client side a user has
 * (a producer of requests, {@code read_committed} readers of the output topics).
 *
 * <p>The configuration is the test's YAML for {@code accounts}, {@code pools} and anything else;
 * {@code {{url:NAME}}} stands for the simulated account NAME's OpenAI base URL (ending in
 * {@code /v1}) and {@code {{root:NAME}}} for its root URL (an Anthropic base URL). Kafka and topic
 * sections are added by the harness, and an {@code ops} section on a free port unless the test
 * writes one ({@link TokenRelay#opsUri()} says where it listens).
 */
public final class RelayHarness implements AutoCloseable {

    /** How long a test waits for the processor to produce what it expects. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    private static final Pattern URL = Pattern.compile("\\{\\{(url|root):([A-Za-z0-9._-]+)}}");
    private static final Pattern OPS_SECTION = Pattern.compile("(?m)^ops:");
    // Every processor of every test serves metrics and health, each on its own free port (the
    // default 9464 would collide between instances); a test may write its own ops section.
    private static final String OPS_ANY_PORT = "\nops:\n  port: 0\n";

    private final String yaml;
    private final Path stateRoot;
    private TokenRelayConfig config;
    private final KafkaProducer<String, byte[]> producer;
    private TokenRelay relay;
    private final List<TokenRelay> others = new java.util.ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private int generationOfState;

    private RelayHarness(String yaml, Path stateRoot, String bootstrapServers) {
        this.yaml = yaml;
        this.stateRoot = stateRoot;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                // A request sent while the broker is down (a test that stops it) is retried, not
                // dropped, until it is back: the idempotent producer keeps order and writes it once.
                // With every broker gone the client forgets the cluster's metadata (it bootstraps
                // again), so send() itself waits for the broker, up to max.block.ms.
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Duration.ofMinutes(5).toMillis(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, Duration.ofMinutes(5).toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Starts a processor.
     *
     * @param kafka      the shared broker
     * @param upstream   the simulated upstream the accounts point at
     * @param partitions partitions of every topic
     * @param yaml       the test's configuration: accounts, pools and optionally processor / policy
     */
    public static RelayHarness start(KafkaBroker kafka, SimulatedUpstream upstream, int partitions, String yaml) {
        return start(kafka, upstream, partitions, yaml, Clock.systemUTC());
    }

    /**
     * {@link #start(KafkaBroker, SimulatedUpstream, int, String)} with the processor's time from
     * {@code clock}, e.g. a {@link ManualClock} the test advances past a cooldown or a probe time.
     */
    public static RelayHarness start(KafkaBroker kafka, SimulatedUpstream upstream, int partitions, String yaml,
            Clock clock) {
        RelayHarness harness = configure(kafka, upstream, partitions, yaml);
        harness.clock = clock;
        harness.startProcessor(false);
        return harness;
    }

    /**
     * The same as {@link #start} without a processor in this JVM, for tests that run it elsewhere,
     * e.g. in a {@link ChildProcessor} from {@link #writeConfigFile(Path)}: the topics are created
     * and the client side is ready.
     */
    public static RelayHarness withoutProcessor(KafkaBroker kafka, SimulatedUpstream upstream, int partitions,
            String yaml) {
        return withoutProcessor(kafka.bootstrapServers(), kafka.uniqueName("it"), upstream, partitions, yaml);
    }

    /**
     * {@link #withoutProcessor(KafkaBroker, SimulatedUpstream, int, String)} on a broker other than
     * the shared one, e.g. a {@code tokenrelay broker} in a child process that a test stops and
     * starts: its topics and application id are named after {@code prefix}.
     */
    public static RelayHarness withoutProcessor(String bootstrapServers, String prefix, SimulatedUpstream upstream,
            int partitions, String yaml) {
        RelayHarness harness = configure(bootstrapServers, prefix, upstream, partitions, yaml);
        harness.config = harness.parse(harness.cliStateDir());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            TopicAdmin.ensureTopics(admin, new Topics(harness.config.topics()).newTopics(), WAIT);
        }
        return harness;
    }

    private static RelayHarness configure(KafkaBroker kafka, SimulatedUpstream upstream, int partitions, String yaml) {
        return configure(kafka.bootstrapServers(), kafka.uniqueName("it"), upstream, partitions, yaml);
    }

    private static RelayHarness configure(String bootstrapServers, String prefix, SimulatedUpstream upstream,
            int partitions, String yaml) {
        String sections = """
                kafka:
                  bootstrapServers: "%s"
                  applicationId: "%s"
                  streams:
                    num.stream.threads: "1"
                    state.dir: "{{state-dir}}"
                topics:
                  requests:   { name: "%s.requests", partitions: %d }
                  attempts:   { name: "%s.attempts", partitions: %d }
                  results:    { name: "%s.results", partitions: %d }
                  outcomes:   { name: "%s.outcomes", partitions: %d }
                  deadLetter: { name: "%s.dead-letter", partitions: %d }
                  accounts:   { name: "%s.accounts", partitions: 1 }
                """.formatted(bootstrapServers, prefix, prefix, partitions, prefix, partitions, prefix,
                partitions, prefix, partitions, prefix, partitions, prefix);
        return create(bootstrapServers, upstream, sections, yaml);
    }

    /**
     * Starts a processor whose {@code kafka} section the test writes (with {@code {{state-dir}}}
     * for the state directory) and whose topics keep their default names, derived from the
     * application id, as a deployment that configures no topics has them.
     */
    public static RelayHarness startWithKafkaSection(KafkaBroker kafka, SimulatedUpstream upstream, String kafkaSection,
            String yaml) {
        RelayHarness harness = create(kafka.bootstrapServers(), upstream, kafkaSection, yaml);
        harness.startProcessor(false);
        return harness;
    }

    private static RelayHarness create(String bootstrapServers, SimulatedUpstream upstream, String sections, String yaml) {
        Path stateRoot;
        try {
            stateRoot = Files.createTempDirectory("tokenrelay-it-state");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String full = sections + withUrls(yaml, upstream) + (OPS_SECTION.matcher(yaml).find() ? "" : OPS_ANY_PORT);
        return new RelayHarness(full, stateRoot, bootstrapServers);
    }

    private static String withUrls(String yaml, SimulatedUpstream upstream) {
        Matcher matcher = URL.matcher(yaml);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String account = matcher.group(2);
            String url = matcher.group(1).equals("url") ? upstream.baseUrl(account) : upstream.rootUrl(account);
            matcher.appendReplacement(out, Matcher.quoteReplacement(url));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /**
     * Starts the processor; with {@code freshState} it gets an empty state directory, so its stores
     * must be restored from their changelogs as on a new machine.
     */
    private void startProcessor(boolean freshState) {
        if (freshState) {
            generationOfState++;
        }
        config = parse(stateRoot.resolve("state-" + generationOfState));
        relay = TokenRelay.start(config, config.kafka().bootstrapServers(), clock);
        try {
            assertThat(relay.awaitRunning(WAIT)).as("processor running").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts another processor instance with the same application id (and its own state
     * directory), as scaling out does; it is closed with the harness.
     */
    public TokenRelay startSecondInstance() {
        return startAnotherInstance();
    }

    /**
     * Starts one more processor instance with the same application id, each with its own state
     * directory, as scaling out to a third machine and beyond does; it is closed with the harness.
     */
    public TokenRelay startAnotherInstance() {
        // The first extra instance keeps the directory it always had; later ones are numbered.
        String dirName = others.isEmpty() ? "second-instance" : "instance-" + (others.size() + 2);
        String stateDir = stateRoot.resolve(dirName).toString();
        TokenRelayConfig another;
        try {
            another = ConfigLoader.parse(yaml.replace("{{state-dir}}", stateDir), "test configuration");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        TokenRelay instance = TokenRelay.start(another, another.kafka().bootstrapServers(), clock);
        others.add(instance);
        try {
            assertThat(instance.awaitRunning(WAIT)).as("instance %d running", others.size() + 1).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return instance;
    }

    /** Every processor instance of this harness: the first, then the others in the order they started. */
    public List<TokenRelay> instances() {
        List<TokenRelay> all = new ArrayList<>();
        all.add(relay);
        all.addAll(others);
        return all;
    }

    /** The processor instance started first. */
    public TokenRelay processor() {
        return relay;
    }

    /** Stops the processor cleanly (as SIGTERM does). */
    public void stopProcessor() {
        relay.close();
    }

    /** Starts the processor again after {@link #stopProcessor()}, on a new, empty state directory. */
    public void startProcessorOnNewMachine() {
        startProcessor(true);
    }

    public TokenRelayConfig config() {
        return config;
    }

    /**
     * Writes this processor's configuration (its broker, topics, accounts and pools) to
     * {@code dir/tokenrelay.yaml}, for the commands that take {@code --config FILE}.
     */
    public Path writeConfigFile(Path dir) {
        Path file = dir.resolve("tokenrelay.yaml");
        try {
            Files.writeString(file, yaml.replace("{{state-dir}}", cliStateDir().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    // The one state directory of every processor started from the written configuration file, so
    // that a processor started again from it finds its state, as on the same machine.
    private Path cliStateDir() {
        return stateRoot.resolve("cli-state");
    }

    private TokenRelayConfig parse(Path stateDir) {
        try {
            return ConfigLoader.parse(yaml.replace("{{state-dir}}", stateDir.toString()), "test configuration");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A request with a one-message body; {@code pool} and {@code account} may be null. */
    public static ChatRequest request(String id, String pool, String account) {
        return request(id, pool, account, null);
    }

    /** A request with a one-message body and a deadline; {@code pool}, {@code account}, {@code deadline} may be null. */
    public static ChatRequest request(String id, String pool, String account, Instant deadline) {
        ObjectNode body = JsonCodec.mapper().createObjectNode().put("model", "test-model");
        body.putArray("messages").addObject().put("role", "user").put("content", "question " + id);
        return new ChatRequest(id, 0, body, pool, account, deadline, null);
    }

    public void send(ChatRequest request) {
        sendRaw(request.id(), JsonCodec.encode(request));
    }

    /**
     * Sends without waiting for the broker's acknowledgement; {@link #flush()} waits for every send
     * to be acknowledged. While no broker is reachable it blocks until one is (at most 5 minutes).
     */
    public Future<RecordMetadata> sendAsync(ChatRequest request) {
        return producer.send(new ProducerRecord<>(config.topics().requests().name(), request.id(),
                JsonCodec.encode(request)));
    }

    /** Waits until every request sent so far has been acknowledged (or failed for good). */
    public void flush() {
        producer.flush();
    }

    public void sendRaw(String key, String value) {
        sendRaw(key, value.getBytes(StandardCharsets.UTF_8));
    }

    public void sendRaw(String key, byte[] value) {
        sendRawTo(config.topics().requests().name(), key, value);
    }

    /** Writes a record to the attempts topic as a foreign producer (or a bug) would. */
    public void sendRawAttempt(String key, String value) {
        sendRawTo(config.topics().attempts().name(), key, value.getBytes(StandardCharsets.UTF_8));
    }

    private void sendRawTo(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("could not produce to " + topic, e);
        }
    }

    /** Waits until every id has a result and returns the results by id (the last one read per id). */
    public Map<String, ChatResult> awaitResults(Collection<String> ids) {
        List<ConsumerRecord<String, ChatResult>> records = read(config.topics().results().name(), Topics.RESULTS.deserializer(),
                all -> keys(all).containsAll(ids));
        Map<String, ChatResult> byId = new LinkedHashMap<>();
        records.forEach(r -> byId.put(r.key(), r.value()));
        assertThat(byId.keySet()).as("results arrived within %s", WAIT).containsAll(ids);
        return byId;
    }

    public ChatResult awaitResult(String id) {
        return awaitResults(List.of(id)).get(id);
    }

    /** Every result read so far, once {@code done} holds (or the wait ran out). */
    public List<ConsumerRecord<String, ChatResult>> results(Predicate<List<ConsumerRecord<String, ChatResult>>> done) {
        return read(config.topics().results().name(), Topics.RESULTS.deserializer(), done);
    }

    /**
     * Every result on the results topic, read ({@code read_committed}) up to where it ends when
     * this is called: once the processors have stopped, all there will ever be, to check that no
     * request has two.
     */
    public List<ConsumerRecord<String, ChatResult>> allResults() {
        return readAll(config.topics().results().name(), Topics.RESULTS.deserializer());
    }

    /** Every record of the outcomes topic up to where it ends now, as {@link #allResults()} reads. */
    public List<ConsumerRecord<String, AttemptOutcome>> allOutcomes() {
        return readAll(config.topics().outcomes().name(), Topics.OUTCOMES.deserializer());
    }

    /** Every record of the dead-letter topic up to where it ends now, as {@link #allResults()} reads. */
    public List<ConsumerRecord<String, DeadLetter>> allDeadLetters() {
        return readAll(config.topics().deadLetter().name(), Topics.DEAD_LETTERS.deserializer());
    }

    private <V> List<ConsumerRecord<String, V>> readAll(String topic, Deserializer<V> deserializer) {
        Map<String, Object> settings = relayClients().consumer("read-all", Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(settings, new StringDeserializer(), deserializer)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, WAIT).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // With read_committed these are the last stable offsets: nothing beyond is committed yet.
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, V>> records = new ArrayList<>();
            Instant deadline = Instant.now().plus(WAIT);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            }
            assertThat(partitions).as("%s read to its end within %s", topic, WAIT)
                    .allMatch(p -> consumer.position(p) >= ends.get(p));
            return records;
        }
    }

    public List<ConsumerRecord<String, DeadLetter>> deadLetters(Predicate<List<ConsumerRecord<String, DeadLetter>>> done) {
        return read(config.topics().deadLetter().name(), Topics.DEAD_LETTERS.deserializer(), done);
    }

    public List<ConsumerRecord<String, AttemptOutcome>> outcomes(
            Predicate<List<ConsumerRecord<String, AttemptOutcome>>> done) {
        return read(config.topics().outcomes().name(), Topics.OUTCOMES.deserializer(), done);
    }

    public List<ConsumerRecord<String, Attempt>> attempts(Predicate<List<ConsumerRecord<String, Attempt>>> done) {
        return read(config.topics().attempts().name(), Topics.ATTEMPTS.deserializer(), done);
    }

    public List<ConsumerRecord<String, AccountState>> accountStates(
            Predicate<List<ConsumerRecord<String, AccountState>>> done) {
        return read(config.topics().accounts().name(), Topics.ACCOUNT_STATES.deserializer(), done);
    }

    private <V> List<ConsumerRecord<String, V>> read(String topic, Deserializer<V> deserializer,
            Predicate<List<ConsumerRecord<String, V>>> done) {
        try (TopicReader<V> reader = new TopicReader<>(relayClients(), topic, deserializer)) {
            return reader.readUntil(done, WAIT);
        }
    }

    // What the processor's configuration says of its cluster, whether it runs in this JVM or not.
    private KafkaClients relayClients() {
        return KafkaClients.of(config.kafka().bootstrapServers(), config.kafka().clientProperties());
    }

    public static <V> Set<String> keys(List<ConsumerRecord<String, V>> records) {
        Set<String> keys = new HashSet<>();
        records.forEach(r -> keys.add(r.key()));
        return keys;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        others.forEach(TokenRelay::close);
        if (relay != null) {
            relay.close();
        }
    }
}
