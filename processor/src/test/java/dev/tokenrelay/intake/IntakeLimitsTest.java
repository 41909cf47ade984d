package dev.tokenrelay.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.TokenRelayTopology;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.upstream.Providers;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Intake's wiring in the topology test driver: a rejected request reaches the results and
 * dead-letter topics under its id, with the record it came from, and never becomes an attempt (so
 * no account is called). Each rule and its message is {@code AdmissionTest}'s, in the core. The
 * accounts point at an address nothing listens on: no request here is meant to reach one.
 */
class IntakeLimitsTest {

    private static final String YAML = """
            processor:
              limits: { maxRequestBytes: 4096, maxNestingDepth: 16, maxMetadataBytes: 256 }
            pools:
              main: { accounts: [only] }
            accounts:
              only: { provider: openai-chat, baseUrl: "http://127.0.0.1:9/v1" }
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private UpstreamCaller caller;
    private String requestsTopic;
    private TestInputTopic<String, byte[]> requests;
    private TestOutputTopic<String, Attempt> attempts;
    private TestOutputTopic<String, ChatResult> results;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() throws Exception {
        TokenRelayConfig config = ConfigLoader.parse(YAML, "test configuration");
        caller = UpstreamCaller.create(config, Providers.builtIn(), Clock.systemUTC());
        StreamsBuilder builder = new StreamsBuilder();
        TokenRelayTopology.build(builder, config, caller);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "intake-limits-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        TokenRelay.enableGlobalProcessingHandler(props);
        driver = new TopologyTestDriver(builder.build(), props);
        Topics topics = new Topics(config.topics());
        requestsTopic = topics.requests();
        requests = driver.createInputTopic(requestsTopic, Topics.KEYS.serializer(), Topics.RAW_REQUESTS.serializer());
        attempts = driver.createOutputTopic(topics.attempts(), Topics.KEYS.deserializer(), Topics.ATTEMPTS.deserializer());
        results = driver.createOutputTopic(topics.results(), Topics.KEYS.deserializer(), Topics.RESULTS.deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetter(), Topics.KEYS.deserializer(),
                Topics.DEAD_LETTERS.deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
        caller.close();
    }

    @Test
    void shouldRejectARequestOverTheSizeLimitWithTheLimitInTheReason() {
        // Given a request of 5,000 bytes, over a 4,096-byte limit
        String request = request("big", "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]"
                .formatted("x".repeat(4_900)));

        // When it arrives
        send("big", request);

        // Then it is rejected under its id with its size and the limit, and dead-lettered without its bytes
        ChatResult result = results.readValue();
        assertThat(result.id()).isEqualTo("big");
        assertThat(result.status()).isEqualTo(ResultStatus.REJECTED);
        assertThat(result.error().message()).isEqualTo("invalid request: request is "
                + String.format("%,d", request.length()) + " bytes, over processor.limits.maxRequestBytes (4096)");
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.reason()).startsWith(result.error().message()).contains("not copied here");
        assertThat(letter.originalText()).isNull();
        assertThat(letter.originalBase64()).isNull();
        assertThat(letter.source().topic()).isEqualTo(requestsTopic);
        assertThat(attempts.isEmpty()).isTrue();
    }

    @Test
    void shouldRejectAKeylessRecordUnderTheIdOfItsBody() {
        // Given a valid request produced without a key
        String value = request("keyless", "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]");

        // When it arrives
        send(null, value);

        // Then it is rejected under the id of its body, saying the key must be that id, and dead-lettered
        ChatResult result = results.readRecord().getValue();
        assertThat(result.id()).isEqualTo("keyless");
        assertThat(result.error().message())
                .isEqualTo("invalid request: the record has no key; its key must be the request id 'keyless'");
        TestRecord<String, DeadLetter> letter = deadLetters.readRecord();
        assertThat(letter.key()).isEqualTo("keyless");
        assertThat(letter.value().originalText()).isEqualTo(value);
        assertThat(attempts.isEmpty()).isTrue();
    }

    private void send(String key, String value) {
        requests.pipeInput(new TestRecord<>(key, value.getBytes(StandardCharsets.UTF_8), Instant.now()));
    }

    private static String request(String id, String body) {
        return "{\"id\":\"" + id + "\",\"body\":{" + body + "}}";
    }
}
