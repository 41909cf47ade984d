package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.ChildProcessor;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenrelay run} as a process, on the shared broker: how it stops on SIGTERM, and what its
 * log looks like.
 */
class RunCommandIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Pattern OPS_URI = Pattern.compile("tokenrelay: metrics on (http://\\S+)/metrics");
    // 2026-12-02T15:04:31.207Z or 2026-12-02T16:04:31.207+01:00, then the level.
    private static final Pattern TEXT_LINE =
            Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) (TRACE|DEBUG|INFO|WARN|ERROR) .*");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private SimulatedUpstream upstream;
    private String prefix;

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
        upstream.script("child-ok", Behaviour.ok());
        prefix = KAFKA.uniqueName("child");
    }

    @Test
    void shouldStopCleanlyAndExitZeroOnSigterm() throws Exception {
        // Given `run` in its own JVM with the per-result log line switched off
        Path config = writeConfig("resultLog: false");
        try (ChildProcessor child = ChildProcessor.command("run", "--config", config.toString()).directory(dir).start()) {
            awaitReady(child);

            // And a request it has answered
            ChatResult result = submitAndAwait("sigterm-1");
            assertThat(result.status()).isEqualTo(ResultStatus.SUCCEEDED);

            // When it gets SIGTERM
            child.stop();

            // Then it exits 0 once it has stopped, with its last log line written
            assertThat(child.awaitExit(WAIT)).as("exit code; standard error:%n%s", child.err()).isZero();
            String err = child.err();
            assertThat(err).contains("tokenrelay stopped");
            // And nothing reads like a crash or a logging problem
            assertThat(err).doesNotContain("Shutdown in progress").doesNotContainIgnoringCase("log4j")
                    .doesNotContain("Exception");
            // And the result was not logged, as configured; every line carries the date and zone
            assertThat(err).doesNotContain("request succeeded");
            assertThat(err.lines()).isNotEmpty().allMatch(line -> TEXT_LINE.matcher(line).matches());
        }
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWithTheResultsFieldsWhenAskedFor() throws Exception {
        // Given `run --log-format json`, with the per-result log line on (the default)
        Path config = writeConfig("resultLog: true");
        try (ChildProcessor child = ChildProcessor.command("run", "--config", config.toString(), "--log-format", "json")
                .directory(dir).start()) {
            awaitReady(child);

            // When it answers a request and is stopped
            submitAndAwait("json-1");
            child.stop();
            assertThat(child.awaitExit(WAIT)).as("exit code; standard error:%n%s", child.err()).isZero();

            // Then every line of its log is a JSON object with a timestamp, a level and a message
            List<JsonNode> events = new ArrayList<>();
            for (String line : child.err().lines().toList()) {
                JsonNode event = JsonCodec.mapper().readTree(line);
                assertThat(event.isObject()).as(line).isTrue();
                assertThat(event.path("@timestamp").asText()).as(line).isNotBlank();
                assertThat(event.path("log.level").asText()).as(line).isNotBlank();
                events.add(event);
            }
            assertThat(events).anySatisfy(event -> assertThat(event.path("message").asText()).isEqualTo("tokenrelay stopped"));
            // And the result's line has its key-value pairs as fields of their own
            assertThat(events).filteredOn(event -> event.path("message").asText().equals("request succeeded"))
                    .singleElement().satisfies(event -> {
                        assertThat(event.path("requestId").asText()).isEqualTo("json-1");
                        assertThat(event.path("status").asText()).isEqualTo("succeeded");
                        assertThat(event.path("accounts").asText()).isEqualTo("child-ok");
                        assertThat(event.path("log.logger").asText()).isEqualTo("dev.tokenrelay.results");
                    });
        }
    }

    /** A configuration on the shared broker with topics, application id and state of its own. */
    private Path writeConfig(String resultLog) throws IOException {
        String yaml = """
                kafka:
                  bootstrapServers: "%s"
                  applicationId: "%s"
                  streams:
                    num.stream.threads: "1"
                    state.dir: "%s"
                topics:
                  requests:   { name: "%s.requests", partitions: 1 }
                  attempts:   { name: "%s.attempts", partitions: 1 }
                  results:    { name: "%s.results", partitions: 1 }
                  outcomes:   { name: "%s.outcomes", partitions: 1 }
                  deadLetter: { name: "%s.dead-letter", partitions: 1 }
                  accounts:   { name: "%s.accounts", partitions: 1 }
                ops:
                  port: 0
                  %s
                pools:
                  main:
                    accounts: [child-ok]
                accounts:
                  child-ok: { provider: openai-chat, baseUrl: "%s" }
                """.formatted(KAFKA.bootstrapServers(), prefix, dir.resolve("state"), prefix, prefix, prefix, prefix,
                prefix, prefix, resultLog, upstream.baseUrl("child-ok"));
        Path file = dir.resolve("tokenrelay.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    private static void awaitReady(ChildProcessor child) {
        URI ops = URI.create(child.awaitOutput(OPS_URI, WAIT));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> HTTP.send(
                HttpRequest.newBuilder(ops.resolve("/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    private ChatResult submitAndAwait(String id) throws Exception {
        byte[] request = JsonCodec.encode(RelayHarness.request(id, null, null));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(prefix + ".requests", id, request)).get();
        }
        try (TopicReader<ChatResult> reader = new TopicReader<>(KAFKA.bootstrapServers(), prefix + ".results",
                Topics.RESULTS.deserializer())) {
            List<ConsumerRecord<String, ChatResult>> results = reader.readUntil(all -> !all.isEmpty(), WAIT);
            assertThat(results).as("result of %s", id).hasSize(1);
            return results.get(0).value();
        }
    }
}
