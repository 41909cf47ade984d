package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.cli.ResultsCommand;
import dev.tokenrelay.cli.SubmitCommand;
import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code submit} and {@code results} against a real broker and a real processor. */
class SubmitResultsIT {

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

    @TempDir
    Path dir;

    @BeforeEach
    void scriptUpstream() {
        UPSTREAM.get().script("only", Behaviour.echo());
    }

    private static String batchLine(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"question " + customId + "\"}]}}";
    }

    private static String requestLine(String id, String customer) {
        return "{\"id\":\"" + id + "\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q " + id + "\"}]},"
                + "\"metadata\":{\"customer\":\"" + customer + "\"}}";
    }

    private static List<JsonNode> jsonLines(String text) throws InvalidMessageException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                lines.add(JsonCodec.parseTree(line.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return lines;
    }

    @Test
    void shouldReturnOneBatchOutputLinePerCustomIdOfASubmittedBatchFile() throws Exception {
        try (RelayHarness relay = RelayHarness.start(KAFKA, UPSTREAM.get(), 2, ONE_ACCOUNT)) {
            // Given a JSONL file of OpenAI Batch input lines
            String config = relay.writeConfigFile(dir).toString();
            Path input = Files.writeString(dir.resolve("batch.jsonl"),
                    batchLine("b-1") + "\n" + batchLine("b-2") + "\n" + batchLine("b-3") + "\n");

            // When it is submitted
            Cli.Run submit = Cli.run(new SubmitCommand(), "--config", config, input.toString());

            // Then every line was sent
            assertThat(submit.exitCode()).as(submit.err()).isZero();
            assertThat(submit.err()).contains("submit: 3 lines read, 3 sent, 0 invalid, to " + relay.config().topics().requests().name());

            // And when the processor has answered them, the results come back as Batch output lines
            relay.awaitResults(List.of("b-1", "b-2", "b-3"));
            Path output = dir.resolve("output.jsonl");
            Path errors = dir.resolve("errors.jsonl");
            Cli.Run results = Cli.run(new ResultsCommand(), "--config", config, "--format", "openai-batch",
                    "--output", output.toString(), "--errors", errors.toString());
            assertThat(results.exitCode()).as(results.err()).isZero();
            assertThat(results.err()).contains("3 written to " + output + " (3) and " + errors + " (0)");
            assertThat(Files.readString(errors)).isEmpty();

            // Exactly one per custom_id, each a 200 with its chat completion and the upstream's request id
            List<JsonNode> lines = jsonLines(Files.readString(output));
            assertThat(lines).extracting(line -> line.get("custom_id").asText()).containsExactlyInAnyOrder("b-1", "b-2", "b-3");
            assertThat(lines).allSatisfy(line -> {
                assertThat(line.get("id").asText()).matches("batch_req_[0-9a-f]{32}");
                assertThat(line.at("/response/request_id").asText()).matches("req_[0-9a-f]{32}");
                assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
                assertThat(line.at("/response/body/object").asText()).isEqualTo("chat.completion");
                assertThat(line.at("/response/body/choices/0/message/content").asText())
                        .isEqualTo("echo: question " + line.get("custom_id").asText());
                assertThat(line.get("error").isNull()).isTrue();
            });
        }
    }

    @Test
    void shouldWaitForTheResultsOfASubmissionAndFilterResultsByMetadataAndStatus() throws Exception {
        try (RelayHarness relay = RelayHarness.start(KAFKA, UPSTREAM.get(), 2, ONE_ACCOUNT)) {
            // Given two requests for two customers
            String config = relay.writeConfigFile(dir).toString();
            Path input = Files.writeString(dir.resolve("requests.jsonl"),
                    requestLine("w-1", "acme") + "\n" + requestLine("w-2", "globex") + "\n");

            // When they are submitted with --wait
            Cli.Run submit = Cli.run(new SubmitCommand(), "--config", config, "--wait", "--timeout", "60s", input.toString());

            // Then both results are written out as they are on the results topic
            assertThat(submit.exitCode()).as(submit.err()).isZero();
            List<ChatResult> waited = jsonLines(submit.out()).stream()
                    .map(line -> JsonCodec.decode(line.toString().getBytes(StandardCharsets.UTF_8), ChatResult.class))
                    .toList();
            assertThat(waited).extracting(ChatResult::id).containsExactlyInAnyOrder("w-1", "w-2");
            assertThat(waited).extracting(ChatResult::status).containsOnly(ResultStatus.SUCCEEDED);
            assertThat(submit.err()).contains("submit: 2 of 2 results in").contains("(2 succeeded), written to standard output");

            // And results can be picked by metadata, status and time
            Cli.Run acme = Cli.run(new ResultsCommand(), "--config", config, "--metadata", "customer=acme");
            assertThat(jsonLines(acme.out())).extracting(line -> line.get("id").asText()).containsExactly("w-1");
            Cli.Run failed = Cli.run(new ResultsCommand(), "--config", config, "--status", "failed,expired");
            assertThat(failed.out()).isEmpty();
            assertThat(failed.err()).contains("results: 2 read from " + relay.config().topics().results().name() + ", 0 written");
            Cli.Run recent = Cli.run(new ResultsCommand(), "--config", config, "--since", "1h", "--id", "w-2");
            assertThat(jsonLines(recent.out())).extracting(line -> line.get("id").asText()).containsExactly("w-2");
        }
    }

    @Test
    void shouldReportABadLineAndSendNothingUnlessToldToSkipIt() throws IOException {
        // Given a requests topic and a file whose second line has no body
        String prefix = KAFKA.uniqueName("submit");
        KAFKA.createTopics(new NewTopic(prefix + ".requests", 1, (short) 1));
        String config = ToolConfig.write(dir, KAFKA.bootstrapServers(), prefix).toString();
        Path input = Files.writeString(dir.resolve("mixed.jsonl"),
                requestLine("good-1", "acme") + "\n{\"id\":\"bad\"}\n" + requestLine("good-2", "acme") + "\n");

        // When it is submitted
        Cli.Run strict = Cli.run(new SubmitCommand(), "--config", config, input.toString());

        // Then the bad line is reported with its number and reason, and nothing is sent
        assertThat(strict.exitCode()).isEqualTo(1);
        assertThat(strict.err()).contains(input + ": line 2: /body: required property 'body' is missing")
                .contains("tokenrelay submit: 1 of 3 lines are invalid, so nothing was sent: fix them, or pass "
                        + "--skip-invalid to send the 2 valid ones")
                .doesNotContain("Exception");
        assertThat(endOffset(prefix + ".requests")).isZero();

        // When it is submitted with --skip-invalid
        Cli.Run lenient = Cli.run(new SubmitCommand(), "--config", config, "--skip-invalid", input.toString());

        // Then the bad line is still reported and the two good ones are sent, keyed by their id
        assertThat(lenient.exitCode()).as(lenient.err()).isZero();
        assertThat(lenient.err()).contains("line 2: /body: required property 'body' is missing")
                .contains("submit: 3 lines read, 2 sent, 1 invalid (skipped)");
        assertThat(endOffset(prefix + ".requests")).isEqualTo(2);
        try (TopicReader<byte[]> reader = new TopicReader<>(KAFKA.bootstrapServers(), prefix + ".requests",
                new ByteArrayDeserializer())) {
            List<ConsumerRecord<String, byte[]>> sent = reader.readUntil(all -> all.size() >= 2, Duration.ofSeconds(30));
            assertThat(sent).extracting(ConsumerRecord::key).containsExactly("good-1", "good-2");
            assertThat(sent).extracting(r -> JsonCodec.decode(r.value(), ChatRequest.class).id()).containsExactly("good-1", "good-2");
        }
    }

    private static long endOffset(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            return consumer.endOffsets(List.of(new TopicPartition(topic, 0))).values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
