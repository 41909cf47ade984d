package dev.tokenrelay.tools;

import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.config.TopicsConfig;
import dev.tokenrelay.kafka.KafkaClients;
import dev.tokenrelay.kafka.KafkaProblems;
import dev.tokenrelay.kafka.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a tool finds Kafka and tokenrelay's topics: the processor's configuration file (its
 * {@code kafka.bootstrapServers}, or the embedded broker's port on 127.0.0.1, and its topic
 * names), with the bootstrap servers optionally given on the command line instead.
 *
 * <p>Every client it configures gives up within about {@link #API_TIMEOUT}, so an unreachable
 * broker is reported in seconds rather than after Kafka's minute-long defaults. The client settings
 * under {@code kafka.streams} (security, SASL, TLS, timeouts) reach the tools' clients as they reach
 * the processor's ({@link KafkaClients}), and are never printed.
 */
public final class Cluster {

    /** How long one Kafka operation of a tool may take before it is reported as a failure. */
    public static final Duration API_TIMEOUT = Duration.ofSeconds(10);
    /** How long a bounded read of a topic may go without getting closer to its end before it gives up. */
    public static final Duration READ_STALL = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    private static final Pattern BOOTSTRAP = Pattern.compile("[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*");

    private final String bootstrapServers;
    private final String origin;
    private final TopicsConfig topics;
    private final TokenRelayConfig config;
    private final KafkaClients clients;

    private Cluster(String bootstrapServers, String origin, TopicsConfig topics, TokenRelayConfig config,
            Map<String, String> clientProperties) {
        this.bootstrapServers = bootstrapServers;
        this.origin = origin;
        this.topics = topics;
        this.config = config;
        this.clients = KafkaClients.of(bootstrapServers, clientProperties);
    }

    /**
     * Finds the cluster from the command line.
     *
     * @param configFile the processor's configuration, or {@code null}: then the topics have their
     *     default names and {@code bootstrapOverride} is required
     * @param bootstrapOverride {@code host:port[,host:port...]} given on the command line, or {@code null}
     * @throws ToolException (usage) when neither is given, the file is not a valid configuration, or
     *     the address is malformed
     */
    public static Cluster resolve(Path configFile, String bootstrapOverride) {
        if (bootstrapOverride != null && !BOOTSTRAP.matcher(bootstrapOverride.strip()).matches()) {
            throw ToolException.usage("--bootstrap-servers: expected host:port[,host:port...], e.g. localhost:9092, got '"
                    + bootstrapOverride + "'");
        }
        if (configFile == null) {
            if (bootstrapOverride == null) {
                throw ToolException.usage("say where Kafka is: --config FILE (the processor's configuration) "
                        + "or --bootstrap-servers HOST:PORT (with the default topic names)");
            }
            return new Cluster(bootstrapOverride.strip(), "--bootstrap-servers", TopicsConfig.defaults(), null, Map.of());
        }
        TokenRelayConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            throw ToolException.usage("invalid configuration: " + e.getMessage());
        }
        Map<String, String> passed;
        try {
            passed = config.kafka().clientProperties();
        } catch (IllegalArgumentException e) {
            throw ToolException.usage("invalid configuration: " + e.getMessage());
        }
        if (bootstrapOverride != null) {
            return new Cluster(bootstrapOverride.strip(), "--bootstrap-servers", config.topics(), config, passed);
        }
        if (!config.kafka().useEmbedded()) {
            return new Cluster(config.kafka().bootstrapServers(), "kafka.bootstrapServers in " + configFile,
                    config.topics(), config, passed);
        }
        int port = config.kafka().embedded().port();
        if (port == 0) {
            throw ToolException.usage(configFile + " uses an embedded broker on any free port (kafka.embedded.port: 0), "
                    + "so its address is not known: give --bootstrap-servers 127.0.0.1:PORT");
        }
        return new Cluster("127.0.0.1:" + port, "the embedded broker of " + configFile, config.topics(), config, passed);
    }

    /** {@code host:port[,host:port...]}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Where the bootstrap servers came from, for messages. */
    public String origin() {
        return origin;
    }

    /** The topic names (defaults when no configuration file was given). */
    public TopicsConfig topics() {
        return topics;
    }

    /** The processor's configuration, when a file was given. */
    public Optional<TokenRelayConfig> config() {
        return Optional.ofNullable(config);
    }

    /** Kafka clients with the processor's client settings (security, timeouts...). */
    public KafkaClients clients() {
        return clients;
    }

    /** An idempotent producer: {@code acks=all}, bounded waits unless the configuration sets them. */
    public Map<String, Object> producerConfig(String clientId) {
        Map<String, Object> settings = clients.producer(clientId, Map.of(
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) API_TIMEOUT.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis(),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.multipliedBy(3).toMillis()));
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return settings;
    }

    /**
     * A consumer without a group (partitions are assigned, nothing is committed) that reads only
     * committed records, as every reader of tokenrelay's transactional output must.
     */
    public Map<String, Object> consumerConfig(String clientId) {
        Map<String, Object> settings = clients.consumer(clientId, Map.of(
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis(),
                ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis()));
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A reader must never create a topic by asking for it.
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        return settings;
    }

    /**
     * A reader of every partition of {@code topic}, from its beginning, with {@link #consumerConfig};
     * its client's failures are for {@link #translate}.
     *
     * @throws ToolException when the settings do not make a consumer
     */
    public TopicReader<byte[]> reader(String topic, String clientId) {
        try {
            return new TopicReader<>(consumerConfig(clientId), topic, new ByteArrayDeserializer(), API_TIMEOUT);
        } catch (KafkaException e) {
            throw translate(e, topic);
        }
    }

    private Map<String, Object> adminConfig() {
        return clients.admin("tokenrelay-tools-admin", Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis()));
    }

    /**
     * Checks that the topics exist, before anything is read or sent: a producer or consumer asked
     * for a missing topic only times out, which says nothing about why.
     *
     * @return the number of partitions of each topic
     * @throws ToolException (failure) naming the missing topics, or saying that the broker cannot be
     *     reached within {@link #API_TIMEOUT}
     */
    public Map<String, Integer> requireTopics(String... names) {
        KafkaProblems.unreachable(bootstrapServers, origin, CONNECT_TIMEOUT).ifPresent(problem -> {
            throw ToolException.failure(problem);
        });
        Admin admin;
        try {
            admin = Admin.create(adminConfig());
        } catch (KafkaException e) {
            LOG.debug("cannot create an admin client", e);
            throw ToolException.failure("cannot connect to Kafka at " + bootstrapServers + " (" + origin + "): "
                    + KafkaProblems.rootMessage(e));
        }
        try {
            Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(List.of(names),
                    new DescribeTopicsOptions().timeoutMs((int) API_TIMEOUT.toMillis())).topicNameValues();
            Map<String, Integer> partitions = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (String name : names) {
                try {
                    partitions.put(name, futures.get(name)
                            .get(API_TIMEOUT.toMillis() + 2_000, TimeUnit.MILLISECONDS).partitions().size());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        missing.add(name);
                    } else {
                        throw translate(e.getCause(), name);
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    throw unreachable();
                }
            }
            if (!missing.isEmpty()) {
                throw ToolException.failure((missing.size() == 1 ? "topic '" + missing.get(0) + "' does not exist"
                        : "topics " + missing + " do not exist") + " at " + bootstrapServers
                        + ": start the processor once (tokenrelay run creates its topics), "
                        + "or check the topic names (topics.* in the configuration)");
            }
            return partitions;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ToolException.failure("interrupted while looking up topics " + List.of(names));
        } finally {
            admin.close(Duration.ofSeconds(2));
        }
    }

    /** The failure to report when a Kafka call timed out. */
    public ToolException unreachable() {
        return ToolException.failure(KafkaProblems.noAnswer(bootstrapServers + " (" + origin + ")", API_TIMEOUT));
    }

    /** A Kafka client's exception (or a reader's {@link TopicReader.StalledException}) as a message for people. */
    public ToolException translate(Throwable error, String topic) {
        LOG.debug("Kafka call failed", error);
        if (error instanceof org.apache.kafka.common.errors.TimeoutException) {
            return unreachable();
        }
        if (error instanceof TopicReader.StalledException stalled) {
            return ToolException.failure("reading " + topic + " at " + bootstrapServers + " made no progress for "
                    + stalled.stall().toSeconds() + " s: is the broker still reachable?");
        }
        String message = KafkaProblems.explain(error, bootstrapServers, API_TIMEOUT);
        boolean expected = error instanceof AuthorizationException || error instanceof AuthenticationException;
        return expected ? ToolException.failure(message + " (topic '" + topic + "')")
                : ToolException.failure(message + " (topic '" + topic + "')", error);
    }

    @Override
    public String toString() {
        // Client properties can hold passwords (sasl.jaas.config): they stay out of every string.
        return "Cluster[" + bootstrapServers + " from " + origin + "]";
    }
}
