package dev.tokenrelay.testing;

import dev.tokenrelay.broker.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * JUnit 5 extension that gives integration tests one Kafka broker per test JVM, started lazily by
 * the first test class that registers it and stopped when the whole test run ends.
 *
 * <p>Usage: register it on a static field and ask it for the bootstrap servers; give every test
 * its own topics and application ids, since all test classes share the broker.
 * <pre>{@code
 * class RelayIT {
 *     @RegisterExtension
 *     static final KafkaBroker KAFKA = new KafkaBroker();
 *
 *     @Test
 *     void shouldRelay() {
 *         String topic = KAFKA.uniqueName("requests");
 *         KAFKA.createTopics(new NewTopic(topic, 4, (short) 1));
 *         Map<String, Object> config = Map.of(BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>By default the broker is an {@link EmbeddedKafkaBroker} in a temporary directory on a free
 * port. With {@code -Dtokenrelay.it.broker=testcontainers} it is a Testcontainers
 * {@link KafkaContainer} instead (needs a Docker engine), running the image given by
 * {@code -Dtokenrelay.it.kafka-image} (default {@value #DEFAULT_IMAGE}).
 */
public final class KafkaBroker implements BeforeAllCallback {

    /** System property choosing the broker: {@code embedded} (default) or {@code testcontainers}. */
    public static final String MODE_PROPERTY = "tokenrelay.it.broker";
    /** System property overriding the Docker image in {@code testcontainers} mode. */
    public static final String IMAGE_PROPERTY = "tokenrelay.it.kafka-image";
    public static final String DEFAULT_IMAGE = "apache/kafka:4.1.0";
    /** The user the embedded broker's SASL/PLAIN listener accepts. */
    public static final String SASL_USER = "relay-it";
    /** That user's password: a test fixture, good for this throwaway broker only. */
    public static final String SASL_PASSWORD = "it-only-not-a-secret";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaBroker.class);
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final Object LOCK = new Object();
    private static RunningBroker running; // guarded by LOCK

    @Override
    public void beforeAll(ExtensionContext context) {
        // The root store is closed when the whole test run ends, so every class shares one broker.
        context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Shutdown.class, key -> new Shutdown(), Shutdown.class);
        synchronized (LOCK) {
            if (running == null) {
                running = startBroker();
            }
        }
    }

    /** The bootstrap servers of the shared broker, {@code host:port}. */
    public String bootstrapServers() {
        synchronized (LOCK) {
            if (running == null) {
                throw new IllegalStateException(
                        "No Kafka broker: register KafkaBroker with @RegisterExtension on a static field");
            }
            return running.bootstrapServers();
        }
    }

    /**
     * The bootstrap servers of the shared broker's SASL/PLAIN listener ({@link #SASL_USER},
     * {@link #SASL_PASSWORD}); tests of secured clusters first check {@link #hasSaslListener()}.
     */
    public String saslBootstrapServers() {
        synchronized (LOCK) {
            if (!(running instanceof Embedded embedded)) {
                throw new IllegalStateException("only the embedded broker has a SASL listener");
            }
            return embedded.broker().saslBootstrapServers();
        }
    }

    /** Whether this broker has a SASL/PLAIN listener: the embedded one does, a container does not. */
    public boolean hasSaslListener() {
        synchronized (LOCK) {
            return running instanceof Embedded;
        }
    }

    /**
     * A name no other test in this run uses, for topics, application ids and group ids:
     * {@code prefix-N-xxxxxxxx}.
     */
    public String uniqueName(String prefix) {
        return prefix + "-" + COUNTER.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates the topics on the shared broker (if missing) and waits until they are ready. */
    public void createTopics(NewTopic... topics) {
        List<String> names = Arrays.stream(topics).map(NewTopic::name).toList();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            for (NewTopic topic : topics) {
                try {
                    admin.createTopics(List.of(topic)).all().get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic.name(), e.getCause());
                    }
                } catch (InterruptedException | TimeoutException e) {
                    throw new IllegalStateException("cannot create topic " + topic.name(), e);
                }
            }
            // Created is not yet writable: wait until every partition has a leader.
            Awaitility.await("leaders of " + names).atMost(TOPIC_TIMEOUT).ignoreExceptions().until(() ->
                    admin.describeTopics(names).allTopicNames().get().values().stream()
                            .flatMap(description -> description.partitions().stream())
                            .allMatch(partition -> partition.leader() != null && !partition.leader().isEmpty()));
        }
    }

    private static RunningBroker startBroker() {
        String mode = System.getProperty(MODE_PROPERTY, "embedded").strip();
        return switch (mode) {
            case "embedded", "" -> Embedded.start();
            case "testcontainers" -> Container.start(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
            default -> throw new IllegalArgumentException(
                    MODE_PROPERTY + " must be 'embedded' or 'testcontainers', was '" + mode + "'");
        };
    }

    private interface RunningBroker extends AutoCloseable {
        String bootstrapServers();

        @Override
        void close();
    }

    /** Stored in the root context store; JUnit closes it at the end of the test run. */
    private static final class Shutdown implements AutoCloseable {
        @Override
        public void close() {
            synchronized (LOCK) {
                if (running != null) {
                    try {
                        running.close();
                    } finally {
                        running = null;
                    }
                }
            }
        }
    }

    private record Embedded(EmbeddedKafkaBroker broker, Path dir) implements RunningBroker {
        static Embedded start() {
            try {
                Path dir = Files.createTempDirectory("tokenrelay-it-kafka-");
                return new Embedded(EmbeddedKafkaBroker.start(dir, 0, Map.of(SASL_USER, SASL_PASSWORD)), dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String bootstrapServers() {
            return broker.bootstrapServers();
        }

        @Override
        public void close() {
            broker.close();
            deleteRecursively(dir);
        }
    }

    // A separate class so that embedded runs never load Testcontainers (and its Docker client).
    private record Container(KafkaContainer container) implements RunningBroker {
        static Container start(String image) {
            KafkaContainer container = new KafkaContainer(DockerImageName.parse(image))
                    // Match the embedded broker, which the tests are written against.
                    .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                    .withEnv("KAFKA_NUM_PARTITIONS", "4")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1");
            container.start();
            return new Container(container);
        }

        @Override
        public String bootstrapServers() {
            return container.getBootstrapServers();
        }

        @Override
        public void close() {
            container.stop();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temp directory must not fail the test run.
        }
    }
}
