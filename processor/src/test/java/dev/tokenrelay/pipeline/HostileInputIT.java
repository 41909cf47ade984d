package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A corpus of hostile records on the requests topic, interleaved with good requests: each bad one
 * is rejected (when an id can be found) and dead-lettered with a reason naming the problem, and
 * the limit where one applies; none reaches the upstream; the good ones around them succeed; and
 * the processor is still running at the end.
 */
class HostileInputIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final String ONE_ACCOUNT = """
            pools:
              main:
                accounts: [only]
            accounts:
              only: { provider: openai-chat, baseUrl: "{{url:only}}" }
            """;

    /** 10 MB: ten times the default request limit, and too large for Kafka's default record limits. */
    private static final int HUGE = 10_000_000;
    private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"question\"}]";

    /** A bad record of the corpus: its key, its value, and what its rejection must say. */
    private record Bad(String name, String key, byte[] value, String resultId, String reasonPart) {}

    @Test
    void shouldRejectEveryHostileRecordAndAnswerEveryGoodOneAroundThem() throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("only", Behaviour.echo());
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, ONE_ACCOUNT)) {
            // Given a requests topic and a producer that take records of 10 MB (Kafka's defaults refuse them)
            String requestsTopic = relay.config().topics().requests().name();
            allowLargeRecords(requestsTopic);
            List<Bad> corpus = corpus();

            // When the corpus is produced, a good request before and after every bad record
            List<String> goods = new ArrayList<>();
            try (KafkaProducer<String, byte[]> producer = largeRecordProducer()) {
                int n = 0;
                for (Bad bad : corpus) {
                    goods.add(sendGood(relay, "good-" + n++));
                    producer.send(new ProducerRecord<>(requestsTopic, bad.key(), bad.value())).get();
                }
            }
            goods.add(sendGood(relay, "good-" + corpus.size()));

            // Then every good request succeeds
            List<String> resultIds = new ArrayList<>(goods);
            corpus.stream().map(Bad::resultId).filter(Objects::nonNull).forEach(resultIds::add);
            Map<String, ChatResult> results = relay.awaitResults(resultIds);
            assertThat(goods).allSatisfy(id -> assertThat(results.get(id).status()).as(id)
                    .isEqualTo(ResultStatus.SUCCEEDED));
            // And every bad record with a findable id is rejected with a reason naming its problem
            for (Bad bad : corpus) {
                if (bad.resultId() != null) {
                    ChatResult result = results.get(bad.resultId());
                    assertThat(result.status()).as(bad.name()).isEqualTo(ResultStatus.REJECTED);
                    assertThat(result.httpStatus()).as(bad.name()).isEqualTo(400);
                    assertThat(result.error().message()).as(bad.name()).contains(bad.reasonPart());
                }
            }
            // And every bad record is dead-lettered with its reason
            List<ConsumerRecord<String, DeadLetter>> letters = relay.deadLetters(all -> all.size() >= corpus.size());
            assertThat(letters).hasSize(corpus.size());
            for (Bad bad : corpus) {
                assertThat(letters).as(bad.name()).anySatisfy(letter -> {
                    assertThat(letter.key()).isEqualTo(bad.resultId());
                    assertThat(letter.value().reason()).contains(bad.reasonPart());
                    assertThat(letter.value().request()).isNull();
                });
            }
            // And the 10 MB record's dead letter names it without copying it, so the dead letter fits Kafka's limits
            assertThat(letters).filteredOn(letter -> "h-huge".equals(letter.key())).singleElement()
                    .satisfies(letter -> {
                        assertThat(letter.value().reason()).contains("not copied here: they stay in " + requestsTopic);
                        assertThat(letter.value().originalBase64()).isNull();
                    });
            // And the upstream was called once per good request, never for a bad one
            assertThat(upstream.calls("only")).isEqualTo(goods.size());
            List<ConsumerRecord<String, Attempt>> attempts = relay.attempts(all -> all.size() >= goods.size());
            assertThat(attempts).extracting(r -> r.value().request().id()).containsExactlyInAnyOrderElementsOf(goods);
            // And the processor is still running
            assertThat(relay.processor().state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    @Test
    void shouldRefuseA10MegabyteRecordAtTheProducerWithKafkasDefaults() {
        try (RelayHarness relay = RelayHarness.start(KAFKA, UPSTREAM.get(), 1, ONE_ACCOUNT)) {
            // Given a producer with Kafka's default max.request.size (1 MiB)
            // When it sends a 10 MB record
            Throwable refused = catchThrowable(() -> relay.sendRaw("too-big", hugeRequest("too-big")));

            // Then the producer refuses it before it reaches the broker: the processor never sees it
            assertThat(refused).hasRootCauseInstanceOf(RecordTooLargeException.class);
        }
    }

    private static String sendGood(RelayHarness relay, String id) {
        relay.send(request(id, null, null));
        return id;
    }

    private static List<Bad> corpus() {
        List<Bad> corpus = new ArrayList<>();
        corpus.add(new Bad("not JSON", "h-not-json", utf8("this is { not json"), "h-not-json", "not JSON"));
        ByteArrayOutputStream invalidUtf8 = new ByteArrayOutputStream();
        invalidUtf8.writeBytes(utf8("{\"id\":\"h-utf8\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\""));
        invalidUtf8.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
        invalidUtf8.writeBytes(utf8("\"}]}}"));
        corpus.add(new Bad("invalid UTF-8", "h-utf8", invalidUtf8.toByteArray(), "h-utf8", "Invalid UTF-8"));
        String deep = "[".repeat(20_000) + "]".repeat(20_000);
        corpus.add(new Bad("nesting 20,000 deep", "h-deep",
                utf8("{\"id\":\"h-deep\",\"metadata\":{\"x\":" + deep + "},\"body\":{\"model\":\"m\"," + MESSAGES + "}}"),
                "h-deep", "nested deeper than processor.limits.maxNestingDepth (64)"));
        corpus.add(new Bad("10 MB value", "h-huge", hugeRequest("h-huge"), "h-huge",
                "bytes, over processor.limits.maxRequestBytes (1000000)"));
        corpus.add(new Bad("wrong types", "h-types", utf8("{\"id\":\"h-types\",\"body\":{\"model\":42,\"messages\":\"hi\"}}"),
                "h-types", "/body/m"));
        corpus.add(new Bad("id of the wrong type", "h-id-number", utf8("{\"id\":7,\"body\":{\"model\":\"m\"," + MESSAGES + "}}"),
                "h-id-number", "/id"));
        corpus.add(new Bad("missing id", "h-no-id", utf8("{\"body\":{\"model\":\"m\"," + MESSAGES + "}}"), "h-no-id",
                "required property 'id' is missing"));
        corpus.add(new Bad("null key and no id", null, utf8("{\"body\":{\"model\":\"m\"," + MESSAGES + "}}"), null,
                "required property 'id' is missing"));
        corpus.add(new Bad("null key", null, utf8("{\"id\":\"h-null-key\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}"),
                "h-null-key", "the record has no key; its key must be the request id 'h-null-key'"));
        corpus.add(new Bad("null value", "h-null-value", null, "h-null-value", "empty value"));
        corpus.add(new Bad("not an object", "h-array", utf8("[1, 2, 3]"), "h-array", "invalid request"));
        corpus.add(new Bad("unknown field", "h-unknown",
                utf8("{\"id\":\"h-unknown\",\"urgency\":\"high\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}"),
                "h-unknown", "unknown property 'urgency' is not allowed"));
        corpus.add(new Bad("huge metadata", "h-metadata",
                utf8("{\"id\":\"h-metadata\",\"metadata\":{\"blob\":\"" + "m".repeat(100_000) + "\"},\"body\":{\"model\":\"m\","
                        + MESSAGES + "}}"),
                "h-metadata", "/metadata: 100,011 bytes, over processor.limits.maxMetadataBytes (16384)"));
        corpus.add(new Bad("key that disagrees with the id", "h-key-a",
                utf8("{\"id\":\"h-key-b\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}"), "h-key-b",
                "the record key 'h-key-a' is not the request id 'h-key-b'"));
        corpus.add(new Bad("unknown role", "h-wizard",
                utf8("{\"id\":\"h-wizard\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"q\"}]}}"),
                "h-wizard", "/body/messages/0/role"));
        return corpus;
    }

    private static byte[] hugeRequest(String id) {
        return utf8("{\"id\":\"" + id + "\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(HUGE) + "\"}]}}");
    }

    private static void allowLargeRecords(String topic) throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(16 * 1024 * 1024)),
                    AlterConfigOp.OpType.SET)))).all().get();
        }
    }

    private static KafkaProducer<String, byte[]> largeRecordProducer() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Duration.ofSeconds(60).toMillis());
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
