package dev.tokenrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {

    private static final Map<String, String> SECURED = orderedMap(
            "security.protocol", "SASL_SSL",
            "sasl.mechanism", "PLAIN",
            "sasl.jaas.config", "jaas-placeholder",
            "ssl.truststore.location", "/etc/kafka/truststore.jks",
            "client.dns.lookup", "use_all_dns_ips",
            "request.timeout.ms", "45000",
            "num.stream.threads", "4",
            "producer.linger.ms", "20",
            "consumer.max.poll.records", "100",
            "admin.retries", "3");

    @Test
    void shouldGiveEveryClientTheSecurityAndConnectionSettings() {
        // Given the settings of a SASL_SSL cluster under kafka.streams
        KafkaClients clients = KafkaClients.of("broker:9093", SECURED);

        // When the admin client, a producer and a consumer are configured
        Map<String, Object> admin = clients.admin("a", Map.of());
        Map<String, Object> producer = clients.producer("p", Map.of());
        Map<String, Object> consumer = clients.consumer("c", Map.of());

        // Then each gets the security, DNS and timeout settings, the address and its own id
        for (Map<String, Object> settings : java.util.List.of(admin, producer, consumer)) {
            assertThat(settings).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "PLAIN")
                    .containsEntry("sasl.jaas.config", "jaas-placeholder")
                    .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks")
                    .containsEntry("client.dns.lookup", "use_all_dns_ips")
                    .containsEntry("request.timeout.ms", "45000")
                    .containsEntry("bootstrap.servers", "broker:9093")
                    .doesNotContainKey("num.stream.threads");
        }
        assertThat(admin).containsEntry("client.id", "a").containsEntry("retries", "3").doesNotContainKey("linger.ms");
        assertThat(producer).containsEntry("linger.ms", "20").doesNotContainKey("max.poll.records");
        assertThat(consumer).containsEntry("max.poll.records", "100").doesNotContainKey("linger.ms");
    }

    @Test
    void shouldLetTheUsersSettingsOverTheToolsDefaults() {
        // Given a user timeout and a tool's default for it
        KafkaClients clients = KafkaClients.of("broker:9093", SECURED);

        // When a producer is configured with the tool's defaults
        Map<String, Object> producer = clients.producer("p", Map.of("request.timeout.ms", 10_000, "acks", "all"));

        // Then the user's value wins and the other default stays
        assertThat(producer).containsEntry("request.timeout.ms", "45000").containsEntry("acks", "all");
    }

    @Test
    void shouldNameOnlyTheKeysNoKafkaClientKnows() {
        // Given known keys, prefixed keys, topic settings and two misspelt keys
        Map<String, String> properties = orderedMap(
                "num.stream.threads", "2",
                "security.protocol", "SSL",
                "main.consumer.max.poll.records", "10",
                "producer.compression.type", "zstd",
                "topic.retention.ms", "1000",
                "sasl.jaas.conifg", "x",
                "producer.lingr.ms", "5");

        // Then only the misspelt ones are unknown
        assertThat(KafkaClients.unknownKeys(properties)).containsExactly("sasl.jaas.conifg", "producer.lingr.ms");
    }

    @Test
    void shouldNeverShowAValueInItsDescription() {
        // Given a password among the settings
        KafkaClients clients = KafkaClients.of("broker:9093", Map.of("sasl.jaas.config", "password=\"hunter2-fake\""));

        // Then its description names the key only
        assertThat(clients.toString()).contains("sasl.jaas.config").doesNotContain("hunter2-fake");
    }

    private static Map<String, String> orderedMap(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
