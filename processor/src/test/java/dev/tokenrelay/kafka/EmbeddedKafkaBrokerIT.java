package dev.tokenrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.broker.EmbeddedKafkaBroker;
import dev.tokenrelay.testing.KafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void shouldDeliverIdempotentAndCommittedTransactionalRecordsToReadCommittedConsumer() throws Exception {
        // Given a topic with one partition, so that order is defined
        String topic = KAFKA.uniqueName("eos");
        KAFKA.createTopics(new NewTopic(topic, 1, (short) 1));

        // When an idempotent producer writes, one transaction commits and another aborts
        try (KafkaProducer<String, String> producer = producer(KAFKA.bootstrapServers(), Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
            producer.send(new ProducerRecord<>(topic, "k", "idempotent-1")).get();
            producer.send(new ProducerRecord<>(topic, "k", "idempotent-2")).get();
        }
        try (KafkaProducer<String, String> producer = producer(KAFKA.bootstrapServers(), Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, KAFKA.uniqueName("tx")))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-1"));
            producer.send(new ProducerRecord<>(topic, "k", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-3"));
            producer.commitTransaction();
        }

        // Then a read_committed consumer sees every record except the aborted one, in order
        List<String> values = consumeValues(KAFKA.bootstrapServers(), topic, 5);
        assertThat(values).containsExactly("idempotent-1", "idempotent-2", "committed-1", "committed-2", "committed-3");
    }

    @Test
    void shouldKeepTopicsAndRecordsWhenRestartedOnTheSameDataDir(@TempDir Path dataDir) throws Exception {
        // Given a broker of its own with a topic holding records
        String topic = "restart-survivor";
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
            clusterId = broker.clusterId();
            try (Admin admin = admin(broker.bootstrapServers())) {
                TopicAdmin.ensureTopics(admin, List.of(new NewTopic(topic, 2, (short) 1)), TIMEOUT);
            }
            try (KafkaProducer<String, String> producer = producer(broker.bootstrapServers(), Map.of())) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)).get();
                }
            }
        }

        // When it is started again on the same data directory (on another free port)
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {

            // Then the cluster id, the topic and its records are still there
            assertThat(broker.clusterId()).isEqualTo(clusterId);
            assertThat(Files.readString(dataDir.resolve("cluster.id")).strip()).isEqualTo(clusterId);
            try (Admin admin = admin(broker.bootstrapServers())) {
                assertThat(admin.listTopics().names().get()).contains(topic);
            }
            assertThat(consumeValues(broker.bootstrapServers(), topic, 3))
                    .containsExactlyInAnyOrder("value-0", "value-1", "value-2");
        }
    }

    @Test
    void shouldCreateCompactedTopicAndTreatASecondCallAsANoOp() throws Exception {
        // Given a compacted topic that does not exist yet
        String topic = KAFKA.uniqueName("accounts");
        List<NewTopic> topics = List.of(new NewTopic(topic, 3, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));

        try (Admin admin = admin(KAFKA.bootstrapServers())) {
            // When TopicAdmin ensures it
            TopicAdmin.ensureTopics(admin, topics, TIMEOUT);

            // Then it exists with its partitions and the compact cleanup policy
            TopicDescription created = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            assertThat(created.partitions()).hasSize(3);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);

            // When it is called again with the same topics
            TopicAdmin.ensureTopics(admin, topics, TIMEOUT);

            // Then it succeeds and the topic is the same one
            TopicDescription after = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            assertThat(after.topicId()).isEqualTo(created.topicId());
            assertThat(after.partitions()).hasSize(3);
        }
    }

    @Test
    void shouldNameTheTopicWhenItCannotBeCreated() {
        // Given a topic asking for more replicas than a single broker has
        String topic = KAFKA.uniqueName("unreplicable");
        List<NewTopic> topics = List.of(new NewTopic(topic, 1, (short) 3));

        try (Admin admin = admin(KAFKA.bootstrapServers())) {
            // When / Then ensuring it fails with a message naming the topic
            assertThatThrownBy(() -> TopicAdmin.ensureTopics(admin, topics, TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(topic);
        }
    }

    private static Admin admin(String bootstrapServers) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    private static KafkaProducer<String, String> producer(String bootstrapServers, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        config.putAll(extra);
        return new KafkaProducer<>(config);
    }

    /** Reads with read_committed until {@code expected} records arrived, then briefly checks for extras. */
    private static List<String> consumeValues(String bootstrapServers, String topic, int expected) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, KAFKA.uniqueName("reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(Set.of(topic));
            await().atMost(TIMEOUT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    values.add(record.value());
                }
                return values.size() >= expected;
            });
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                values.add(record.value());
            }
        }
        return values;
    }
}
