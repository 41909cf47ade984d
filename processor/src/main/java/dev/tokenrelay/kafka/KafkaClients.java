package dev.tokenrelay.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The one place that turns the user's Kafka properties ({@code kafka.streams} in the
 * configuration) into the settings of every Kafka client tokenrelay builds besides the Streams
 * application's own: the admin client that creates topics, the client tools' producers and
 * consumers, the {@code accounts} reader, the demo.
 *
 * <p>A client gets the user's properties the way Kafka Streams hands them to its own clients: an
 * unprefixed key when that client knows it ({@code security.protocol}, {@code sasl.jaas.config},
 * {@code ssl.truststore.location}, {@code client.dns.lookup}, {@code request.timeout.ms}...), and a
 * key prefixed {@code admin.}, {@code producer.} or {@code consumer.} for that client only. So a
 * cluster secured with SASL or TLS is reached by every client once the settings are written in one
 * place. The values may be passwords: this class never prints them.
 */
public final class KafkaClients {

    private static final String ADMIN_PREFIX = StreamsConfig.ADMIN_CLIENT_PREFIX;
    private static final String PRODUCER_PREFIX = StreamsConfig.PRODUCER_PREFIX;
    private static final String CONSUMER_PREFIX = StreamsConfig.CONSUMER_PREFIX;
    // Prefixes Kafka Streams reads for one of its clients, or for the topics it creates.
    private static final Map<String, Set<String>> STREAMS_PREFIXES = Map.of(
            StreamsConfig.MAIN_CONSUMER_PREFIX, ConsumerConfig.configNames(),
            StreamsConfig.RESTORE_CONSUMER_PREFIX, ConsumerConfig.configNames(),
            StreamsConfig.GLOBAL_CONSUMER_PREFIX, ConsumerConfig.configNames(),
            CONSUMER_PREFIX, ConsumerConfig.configNames(),
            PRODUCER_PREFIX, ProducerConfig.configNames(),
            ADMIN_PREFIX, AdminClientConfig.configNames());

    private final String bootstrapServers;
    private final Map<String, String> userProperties;

    private KafkaClients(String bootstrapServers, Map<String, String> userProperties) {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.userProperties = Map.copyOf(userProperties);
    }

    /**
     * Clients of the cluster at {@code bootstrapServers}.
     *
     * @param userProperties the Kafka properties of the configuration ({@code kafka.streams})
     */
    public static KafkaClients of(String bootstrapServers, Map<String, String> userProperties) {
        return new KafkaClients(bootstrapServers, userProperties);
    }

    /** Clients of a cluster that needs no settings, such as the embedded broker. */
    public static KafkaClients plain(String bootstrapServers) {
        return new KafkaClients(bootstrapServers, Map.of());
    }

    /** {@code host:port[,host:port...]}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** An admin client's settings: {@code defaults}, then the user's, then the address and id. */
    public Map<String, Object> admin(String clientId, Map<String, Object> defaults) {
        return settings(clientId, defaults, AdminClientConfig.configNames(), ADMIN_PREFIX);
    }

    /** A producer's settings: {@code defaults}, then the user's, then the address and id. */
    public Map<String, Object> producer(String clientId, Map<String, Object> defaults) {
        return settings(clientId, defaults, ProducerConfig.configNames(), PRODUCER_PREFIX);
    }

    /** A consumer's settings: {@code defaults}, then the user's, then the address and id. */
    public Map<String, Object> consumer(String clientId, Map<String, Object> defaults) {
        return settings(clientId, defaults, ConsumerConfig.configNames(), CONSUMER_PREFIX);
    }

    private Map<String, Object> settings(String clientId, Map<String, Object> defaults, Set<String> known,
            String prefix) {
        Map<String, Object> settings = new HashMap<>(defaults);
        userProperties.forEach((key, value) -> {
            if (key.startsWith(prefix) && known.contains(key.substring(prefix.length()))) {
                return; // applied after the unprefixed ones, as Kafka Streams does
            }
            if (known.contains(key)) {
                settings.put(key, value);
            }
        });
        userProperties.forEach((key, value) -> {
            if (key.startsWith(prefix) && known.contains(key.substring(prefix.length()))) {
                settings.put(key.substring(prefix.length()), value);
            }
        });
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        settings.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return settings;
    }

    /**
     * The keys of {@code properties} that neither Kafka Streams nor any Kafka client knows, with or
     * without one of Kafka Streams' client prefixes ({@code producer.}, {@code main.consumer.}...);
     * {@code topic.} keys are the topics' own settings and are not checked.
     */
    public static List<String> unknownKeys(Map<String, String> properties) {
        List<String> unknown = new ArrayList<>();
        for (String key : properties.keySet()) {
            if (!isKnown(key)) {
                unknown.add(key);
            }
        }
        return unknown;
    }

    private static boolean isKnown(String key) {
        if (StreamsConfig.configDef().names().contains(key) || ProducerConfig.configNames().contains(key)
                || ConsumerConfig.configNames().contains(key) || AdminClientConfig.configNames().contains(key)) {
            return true;
        }
        if (key.startsWith(StreamsConfig.TOPIC_PREFIX)) {
            return true;
        }
        for (Map.Entry<String, Set<String>> prefix : STREAMS_PREFIXES.entrySet()) {
            if (key.startsWith(prefix.getKey()) && prefix.getValue().contains(key.substring(prefix.getKey().length()))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        // Properties can hold passwords (sasl.jaas.config): only the keys are shown.
        return "KafkaClients[" + bootstrapServers + ", keys " + userProperties.keySet() + "]";
    }
}
