package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OperationsSettingsTest {

    private static final String MINIMAL = """
            accounts:
              a: {provider: openai-chat, baseUrl: "https://api.example.com/v1"}
            pools:
              main: {accounts: [a]}
            """;

    @Test
    void shouldServeOnLoopbackPort9464WhenNoOpsSectionIsWritten() throws ConfigException {
        // Given a configuration without an ops section
        // When it is parsed
        TokenRelayConfig config = ConfigLoader.parse(MINIMAL, "tokenrelay.yaml");

        // Then the endpoint is on, on 127.0.0.1:9464
        assertThat(config.ops()).isEqualTo(new OperationsSettings("127.0.0.1", 9464));
        assertThat(config.ops().enabled()).isTrue();
    }

    @Test
    void shouldReadTheExampleConfigurationsOpsSection() throws ConfigException {
        // Given the documented example, When it is loaded
        TokenRelayConfig config = ConfigLoader.load(Path.of("../config/tokenrelay.example.yaml"));

        // Then its ops section holds the defaults
        assertThat(config.ops()).isEqualTo(OperationsSettings.defaults());
    }

    @Test
    void shouldAcceptAnyFreePortAndOff() throws ConfigException {
        // Given port 0 on every interface, and port -1
        TokenRelayConfig any = ConfigLoader.parse(MINIMAL + "ops: {host: 0.0.0.0, port: 0}\n", "tokenrelay.yaml");
        TokenRelayConfig off = ConfigLoader.parse(MINIMAL + "ops: {port: -1}\n", "tokenrelay.yaml");

        // Then the first listens anywhere on a free port, the second not at all
        assertThat(any.ops()).isEqualTo(new OperationsSettings("0.0.0.0", 0));
        assertThat(any.ops().enabled()).isTrue();
        assertThat(off.ops().enabled()).isFalse();
        assertThat(off.ops().host()).isEqualTo("127.0.0.1");
    }

    @Test
    void shouldRejectAPortOutOfRangeNamingItsPath() {
        // Given a port above 65535
        ConfigException error = parseError(MINIMAL + "ops: {port: 70000}\n");

        // Then the message names the path and the allowed values
        assertThat(error).hasMessage(
                "tokenrelay.yaml: ops.port: must be -1 (off), 0 (any free port) or 1 to 65535, got 70000");
    }

    @Test
    void shouldRejectAHostThatIsAUrl() {
        // Given a URL where a host belongs
        ConfigException error = parseError(MINIMAL + "ops: {host: \"http://0.0.0.0\"}\n");

        // Then the host is refused with an example
        assertThat(error.getMessage()).startsWith("tokenrelay.yaml: ops.host: 'http://0.0.0.0' is not a host name");
    }

    @Test
    void shouldRejectAnUnknownKeyInOps() {
        // Given a misspelt key in the ops section
        ConfigException error = parseError(MINIMAL + "ops: {prot: 9000}\n");

        // Then the known keys are listed
        assertThat(error).hasMessage(
                "tokenrelay.yaml: ops.prot: unknown key (known: host, port, kafkaMetrics, resultLog)");
    }

    @Test
    void shouldServeCuratedKafkaMetricsAndLogResultsUnlessToldOtherwise() throws ConfigException {
        // Given no ops section, and one that asks for every Kafka metric and no result log
        TokenRelayConfig defaults = ConfigLoader.parse(MINIMAL, "tokenrelay.yaml");
        TokenRelayConfig chosen = ConfigLoader.parse(MINIMAL + "ops: {kafkaMetrics: all, resultLog: false}\n",
                "tokenrelay.yaml");

        // Then the defaults are the curated set and the log on; the written values are taken
        assertThat(defaults.ops().kafkaMetrics()).isEqualTo(KafkaMetrics.CURATED);
        assertThat(defaults.ops().resultLog()).isTrue();
        assertThat(chosen.ops().kafkaMetrics()).isEqualTo(KafkaMetrics.ALL);
        assertThat(chosen.ops().resultLog()).isFalse();
        assertThat(chosen.ops().port()).isEqualTo(OperationsSettings.DEFAULT_PORT);
    }

    @Test
    void shouldRejectAnUnknownKafkaMetricsSelection() {
        // Given a selection that is not all, curated or none
        ConfigException error = parseError(MINIMAL + "ops: {kafkaMetrics: some}\n");

        // Then the path is named
        assertThat(error.getMessage()).startsWith("tokenrelay.yaml: ops.kafkaMetrics:");
        assertThat(error.getMessage()).contains("curated");
    }

    private static ConfigException parseError(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "tokenrelay.yaml"));
    }
}
