package dev.tokenrelay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The Kafka Streams properties tokenrelay adds to the user's. */
class TokenRelayPropertiesTest {

    @Test
    void shouldStartFromTokenrelaysDefaultsAndLetTheUsersPropertiesWin() throws ConfigException {
        // Given a configuration that sets poll.ms and a compression under kafka.streams
        TokenRelayConfig config = ConfigLoader.parse("""
                kafka:
                  streams:
                    poll.ms: "50"
                    compression.type: zstd
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://api.example.com/v1"}
                """, "tokenrelay.yaml");

        // When the Kafka Streams properties are built
        Properties properties = TokenRelay.streamsProperties(config, "127.0.0.1:9092");

        // Then exactly-once and the global thread's exception handling are on, and the user's values stand
        assertThat(properties)
                .containsEntry("processing.guarantee", "exactly_once_v2")
                .containsEntry("processing.exception.handler.global.enabled", true)
                .containsEntry("main.consumer.processing.exception.handler.global.enabled", true)
                .containsEntry("poll.ms", "50")
                .containsEntry("compression.type", "zstd")
                .doesNotContainKey("producer.compression.type");
    }

    @Test
    void shouldCompressTheProducersBatchesUnlessTheUserChoseACompression() {
        // Given no compression set, one set for every client, and one set for the producer
        Properties none = new Properties();
        Properties unprefixed = new Properties();
        unprefixed.put("compression.type", "zstd");
        Properties prefixed = new Properties();
        prefixed.put("producer.compression.type", "none");

        // When tokenrelay adds its default
        TokenRelay.compressUnlessSet(none);
        TokenRelay.compressUnlessSet(unprefixed);
        TokenRelay.compressUnlessSet(prefixed);

        // Then lz4 is set only where the user chose nothing, and never overrides their choice
        assertThat(none).containsEntry("producer.compression.type", "lz4");
        assertThat(unprefixed).doesNotContainKey("producer.compression.type").containsEntry("compression.type", "zstd");
        assertThat(prefixed).containsEntry("producer.compression.type", "none").hasSize(1);
    }
}
