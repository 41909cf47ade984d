package dev.tokenrelay.tools;

import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.config.TopicsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a tool finds Kafka and tokenrelay's topics: the processor's configuration file (its
 * {@code kafka.bootstrapServers}, or the embedded broker's port on 127.0.0.1, and its topic
 * names), with the bootstrap servers optionally given on the command line instead.
 *
 * <p>Every client it configures gives up within about {@link #API_TIMEOUT}, so an unreachable
 * broker is reported in seconds rather than after Kafka's minute-long defaults. Security settings
 * of the processor's clients ({@code security.protocol}, {@code sasl.*}, {@code ssl.*} under
 * {@code kafka.streams}) are passed on to the tools' clients and never printed.
 */
public final class Cluster {

    /** How long one Kafka operation of a tool may take before it is reported as a failure. */
    public static final Duration API_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    private static final Pattern BOOTSTRAP = Pattern.compile("[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*");
    private static final List<String> PASSED_ON = List.of("security.protocol", "sasl.", "ssl.", "client.dns.lookup");

    private final String bootstrapServers;
    private final String origin;
    private final TopicsConfig topics;
    private final TokenRelayConfig config;
    private final Map<String, String> clientProperties;

    private Cluster(String bootstrapServers, String origin, TopicsConfig topics, TokenRelayConfig config,
            Map<String, String> clientProperties) {
        this.bootstrapServers = bootstrapServers;
        this.origin = origin;
        this.topics = topics;
        this.config = config;
        this.clientProperties = Map.copyOf(clientProperties);
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
        Map<String, String> passed = new LinkedHashMap<>();
        config.kafka().streams().forEach((key, value) -> {
            if (PASSED_ON.stream().anyMatch(key::startsWith)) {
                passed.put(key, value);
            }
        });
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

    /** An idempotent producer: {@code acks=all}, bounded waits. */
    public Map<String, Object> producerConfig(String clientId) {
        Map<String, Object> settings = common(clientId);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) API_TIMEOUT.toMillis());
        settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis());
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.multipliedBy(3).toMillis());
        return settings;
    }

    /**
     * A consumer without a group (partitions are assigned, nothing is committed) that reads only
     * committed records, as every reader of tokenrelay's transactional output must.
     */
    public Map<String, Object> consumerConfig(String clientId) {
        Map<String, Object> settings = common(clientId);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A reader must never create a topic by asking for it.
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        settings.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis());
        settings.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis());
        return settings;
    }

    private Map<String, Object> adminConfig() {
        Map<String, Object> settings = common("tokenrelay-tools-admin");
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) API_TIMEOUT.toMillis());
        return settings;
    }

    private Map<String, Object> common(String clientId) {
        Map<String, Object> settings = new HashMap<>(clientProperties);
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        settings.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return settings;
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
        Admin admin;
        try {
            admin = Admin.create(adminConfig());
        } catch (KafkaException e) {
            LOG.debug("cannot create an admin client", e);
            throw ToolException.failure("cannot connect to Kafka at " + bootstrapServers + " (" + origin + "): "
                    + rootMessage(e));
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
        return ToolException.failure("cannot reach Kafka at " + bootstrapServers + " (" + origin + ") within "
                + API_TIMEOUT.toSeconds() + " s: check that the broker is running and that the address is right");
    }

    /** A Kafka client's exception as a message for people. */
    public ToolException translate(Throwable error, String topic) {
        LOG.debug("Kafka call failed", error);
        if (error instanceof org.apache.kafka.common.errors.TimeoutException) {
            return unreachable();
        }
        if (error instanceof AuthorizationException) {
            return ToolException.failure("not authorized for topic '" + topic + "' at " + bootstrapServers + ": "
                    + error.getMessage());
        }
        if (error instanceof AuthenticationException) {
            return ToolException.failure("Kafka at " + bootstrapServers + " refused the credentials "
                    + "(check the sasl.* / ssl.* settings under kafka.streams)");
        }
        return ToolException.failure("Kafka at " + bootstrapServers + " (topic '" + topic + "'): " + rootMessage(error),
                error);
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    @Override
    public String toString() {
        // Client properties can hold passwords (sasl.jaas.config): they stay out of every string.
        return "Cluster[" + bootstrapServers + " from " + origin + "]";
    }
}
