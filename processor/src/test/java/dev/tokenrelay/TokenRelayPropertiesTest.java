package dev.tokenrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The Kafka Streams properties tokenrelay adds to the user's. */
class TokenRelayPropertiesTest {

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
