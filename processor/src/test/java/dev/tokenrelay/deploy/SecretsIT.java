package dev.tokenrelay.deploy;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.LogCapture;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.TokenEndpoint;
import dev.tokenrelay.testing.Upstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distinctive fake credentials (a static key, OAuth tokens refreshed during the run, the Kafka
 * SASL password) go where they must, to the upstream and the broker, and nowhere else: not in a
 * topic (the processor's own and Kafka Streams' internal ones, aborted records included), a log
 * line at any level the processor writes, a metric, or a file of the state directory.
 */
class SecretsIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    /** Every fake credential of this test starts with it, so one search finds any of them. */
    private static final String MARK = "tkrfake";
    private static final String STATIC_KEY = "sk-" + MARK + "-static-9d41c7e2";

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryCredentialOutOfTopicsLogsMetricsAndTheStateDirectory() throws Exception {
        assumeThat(KAFKA.hasSaslListener()).as("the embedded broker has a SASL listener; a container does not").isTrue();
        // Given a static key in a file, an OAuth account whose tokens last 5 minutes (inside the
        // refresh window, so every call refreshes them), and the Kafka password in a JAAS file
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("keyed", Behaviour.status(401), Behaviour.ok());
        upstream.script("codex", Behaviour.status(401), Behaviour.ok());
        Path keyFile = Files.writeString(dir.resolve("static.key"), STATIC_KEY + "\n");
        Path tokenFile = Files.writeString(dir.resolve("codex-tokens.json"), "{\"access_token\":\"" + MARK
                + "-oauth-access-0\",\"refresh_token\":\"" + MARK + "-oauth-refresh-1\",\"expires_at\":\""
                + Instant.now().plusSeconds(60) + "\"}");
        Path jaas = Files.writeString(dir.resolve("kafka-jaas.conf"), "org.apache.kafka.common.security.plain.PlainLoginModule"
                + " required username=\"" + KafkaBroker.SASL_USER + "\" password=\"" + KafkaBroker.SASL_PASSWORD + "\";\n");
        Path stateDir = dir.resolve("state");
        String applicationId = KAFKA.uniqueName("secrets");
        String kafka = """
                kafka:
                  bootstrapServers: "%s"
                  applicationId: "%s"
                  streams:
                    num.stream.threads: "1"
                    state.dir: "%s"
                    security.protocol: SASL_PLAINTEXT
                    sasl.mechanism: PLAIN
                    sasl.jaas.config: "${file:%s}"
                """.formatted(KAFKA.saslBootstrapServers(), applicationId, stateDir, jaas);
        List<String> ids = IntStream.rangeClosed(1, 12).mapToObj(i -> "secret-" + i).toList();

        try (TokenEndpoint tokens = TokenEndpoint.start(MARK + "-oauth-", Duration.ofMinutes(5));
                LogCapture log = LogCapture.ofRoot()) {
            String accounts = """
                    pools:
                      main:
                        strategy: round-robin
                        accounts: [keyed, codex]
                    accounts:
                      keyed: { provider: openai-chat, baseUrl: "{{url:keyed}}", apiKey: "${file:%s}" }
                      codex:
                        provider: openai-chat
                        baseUrl: "{{url:codex}}"
                        oauth: { tokenFile: "%s", tokenUrl: "%s", clientId: tokenrelay-test }
                    """.formatted(keyFile, tokenFile, tokens.url());
            // Our code at every level, and Kafka's dump of each client's settings (passwords included, hidden)
            Map<String, Level> levels = Map.of("dev.tokenrelay", Level.DEBUG,
                    "org.apache.kafka.common.config.AbstractConfig", Level.INFO);
            levels.forEach(Configurator::setLevel);
            String haystack;
            try (RelayHarness relay = RelayHarness.startWithKafkaSection(KAFKA, upstream, kafka, accounts)) {
                // When requests are served, some after a 401 that makes the OAuth account refresh once more
                ids.forEach(id -> relay.send(request(id, null, null)));
                relay.send(request("pinned-keyed", null, "keyed"));
                relay.send(request("pinned-codex", null, "codex"));
                Map<String, ChatResult> results = relay.awaitResults(Stream.concat(ids.stream(),
                        Stream.of("pinned-keyed", "pinned-codex")).toList());
                assertThat(results.values()).extracting(ChatResult::status).contains(ResultStatus.SUCCEEDED);
                String metrics = scrape(relay.processor().opsUri().orElseThrow());
                relay.stopProcessor();
                haystack = topicsText(applicationId) + "\n" + log.text() + "\n" + metrics + "\n" + filesText(stateDir);
            } finally {
                Configurator.setLevel("dev.tokenrelay", Level.INFO);
                Configurator.setLevel("org.apache.kafka.common.config.AbstractConfig", Level.WARN);
            }

            // Then the credentials were used: the upstream saw the static key and refreshed OAuth tokens
            assertThat(upstream.authorizationHeaders("keyed")).contains("Bearer " + STATIC_KEY);
            assertThat(tokens.issued()).isGreaterThanOrEqualTo(2);
            assertThat(upstream.authorizationHeaders("codex")).anyMatch(header -> header.startsWith("Bearer " + MARK + "-oauth-access-"));
            // And the search covered what the processor wrote: its topics, its log and its metrics
            assertThat(haystack).contains(applicationId + ".results").contains("secret-1")
                    .contains("tokenrelay_attempts_total").contains("sasl.jaas.config");
            // And none of them appears anywhere else
            assertThat(haystack).doesNotContain(MARK).doesNotContain(KafkaBroker.SASL_PASSWORD);
        }
    }

    /** Every record of every topic of the application, its own and Kafka Streams' internal ones, aborted ones included. */
    private static String topicsText(String applicationId) throws Exception {
        StringBuilder text = new StringBuilder();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()));
                KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<String> topics = admin.listTopics().names().get().stream().filter(name -> name.startsWith(applicationId)).toList();
            List<TopicPartition> partitions = new ArrayList<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((name, description) -> description.partitions()
                    .forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
            text.append(topics).append('\n');
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + RelayHarness.WAIT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    text.append(record.topic()).append(' ').append(string(record.key())).append(' ')
                            .append(string(record.value()));
                    for (Header header : record.headers()) {
                        text.append(' ').append(header.key()).append('=').append(string(header.value()));
                    }
                    text.append('\n');
                }
            }
            assertThat(partitions).as("every partition read to its end")
                    .allMatch(p -> consumer.position(p) >= end.get(p));
        }
        return text.toString();
    }

    private static String filesText(Path root) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                bytes.write(file.toString().getBytes(StandardCharsets.UTF_8));
                bytes.write(Files.readAllBytes(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // ISO-8859-1 maps every byte to one char, so a credential inside binary data (RocksDB files) is still found.
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static String scrape(URI ops) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(ops.resolve("/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static String string(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
