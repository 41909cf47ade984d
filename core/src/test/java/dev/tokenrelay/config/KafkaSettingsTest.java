package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSettingsTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadAReferencedValueFromItsFileWhenClientsAreBuilt() throws IOException {
        // Given a SASL configuration whose JAAS line is kept in a file
        Path jaas = Files.writeString(dir.resolve("jaas.conf"), "jaas line from a file\n");
        KafkaSettings settings = new KafkaSettings("broker:9093", null, null, Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.jaas.config", "${file:" + jaas + "}"), null);

        // When the client properties are read
        Map<String, String> properties = settings.clientProperties();

        // Then the reference is replaced by the file's content and the rest is as written
        assertThat(properties).containsEntry("sasl.jaas.config", "jaas line from a file")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(settings.streams()).containsEntry("sasl.jaas.config", "${file:" + jaas + "}");
    }

    @Test
    void shouldNameTheKeyButNotTheValueWhenAReferenceResolvesToNothing() {
        // Given a reference to a file that does not exist
        KafkaSettings settings = new KafkaSettings("broker:9093", null, null, Map.of(
                "ssl.keystore.password", "${file:" + dir.resolve("missing") + "}"), null);

        // Then reading the client properties names the key and the reference
        assertThatThrownBy(settings::clientProperties).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.streams[\"ssl.keystore.password\"]")
                .hasMessageContaining("is unset, empty or unreadable");
    }

    @Test
    void shouldLeaveReferencesToKafkaWhenItsConfigProvidersAreSet() {
        // Given Kafka's own config providers
        KafkaSettings settings = new KafkaSettings("broker:9093", null, null, Map.of(
                "config.providers", "file",
                "config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider",
                "sasl.jaas.config", "${file:/etc/kafka/secrets.properties:jaas}"), null);

        // Then every value is passed on as written
        assertThat(settings.clientProperties()).isEqualTo(settings.streams());
    }
}
