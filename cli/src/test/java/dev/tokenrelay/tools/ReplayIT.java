package dev.tokenrelay.tools;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.cli.ReplayCommand;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code replay} against a real broker and a real processor. */
class ReplayIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final String FLAKY_ACCOUNT = """
            pools:
              main:
                accounts: [flaky]
            accounts:
              flaky: { provider: openai-chat, baseUrl: "{{url:flaky}}" }
            """;

    @TempDir
    Path dir;

    @Test
    void shouldReplayADeadLetterSelectionOnceAndDropASecondIdenticalReplay() {
        // Given an account that fails its first two calls with a 400 (no cooldown) and then answers
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("flaky", Behaviour.status(400), Behaviour.status(400), Behaviour.echo());
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 1, FLAKY_ACCOUNT)) {
            String config = relay.writeConfigFile(dir).toString();
            String requestsTopic = relay.config().topics().requests().name();
            // And two requests pinned to it, which fail, and an input that cannot be read at all
            relay.send(request("r-1", null, "flaky"));
            relay.send(request("r-2", null, "flaky"));
            relay.sendRaw("junk", "this is not json");
            Map<String, ChatResult> first = relay.awaitResults(List.of("r-1", "r-2", "junk"));
            assertThat(first.values()).extracting(ChatResult::status)
                    .containsExactlyInAnyOrder(ResultStatus.FAILED, ResultStatus.FAILED, ResultStatus.REJECTED);
            relay.deadLetters(all -> all.size() >= 3);

            // When the dead letters are replayed with --dry-run
            long before = endOffset(requestsTopic);
            Cli.Run dryRun = Cli.run(new ReplayCommand(), "--config", config, "--dry-run");

            // Then it prints the two requests as their next generation, reports the unreadable one, and sends nothing
            assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
            List<ChatRequest> wouldSend = Arrays.stream(dryRun.out().split("\\R")).filter(line -> !line.isBlank())
                    .map(line -> JsonCodec.decode(line.getBytes(StandardCharsets.UTF_8), ChatRequest.class)).toList();
            assertThat(wouldSend).extracting(r -> r.id() + "#" + r.generation()).containsExactlyInAnyOrder("r-1#1", "r-2#1");
            assertThat(wouldSend).extracting(ChatRequest::account).containsOnly("flaky");
            assertThat(dryRun.err()).contains("cannot replay 1 matching dead letter without a request (input that could not be read):")
                    .contains("junk at " + requestsTopic + "/0@2: invalid request: not JSON")
                    .contains("dry run: would re-submit 2 requests").contains("nothing was sent");
            assertThat(endOffset(requestsTopic)).isEqualTo(before);

            // When they are replayed
            Cli.Run replay = Cli.run(new ReplayCommand(), "--config", config);

            // Then each gets exactly one new result, as generation 1, and succeeds
            assertThat(replay.exitCode()).as(replay.err()).isZero();
            assertThat(replay.err()).contains("re-submitted 2 of 2 requests to " + requestsTopic)
                    .contains("replaying this selection again sends the same generations, which it drops as duplicates");
            List<ConsumerRecord<String, ChatResult>> afterReplay = relay.results(all -> generation(all, 1).size() >= 2);
            assertThat(generation(afterReplay, 1)).extracting(ChatResult::id).containsExactlyInAnyOrder("r-1", "r-2");
            assertThat(generation(afterReplay, 1)).extracting(ChatResult::status).containsOnly(ResultStatus.SUCCEEDED);

            // When the same selection is replayed again, followed by a sentinel request
            Cli.Run again = Cli.run(new ReplayCommand(), "--config", config);
            assertThat(again.exitCode()).as(again.err()).isZero();
            assertThat(again.err()).contains("re-submitted 2 of 2 requests");
            relay.send(request("sentinel", null, "flaky"));
            relay.awaitResult("sentinel");

            // Then the processor dropped the repeated generation: no attempt for it before the sentinel's
            // (one partition: anything intake let through would come first), no call, no further result
            List<ConsumerRecord<String, Attempt>> attempts = relay.attempts(
                    all -> all.stream().anyMatch(r -> r.value().request().id().equals("sentinel")));
            // (replay sends the selected ids in no particular order; the sentinel comes after all of them)
            List<String> submissions = attempts.stream()
                    .map(r -> r.value().request().id() + "#" + r.value().request().generation()).toList();
            assertThat(submissions).containsExactlyInAnyOrder("r-1#0", "r-2#0", "r-1#1", "r-2#1", "sentinel#0");
            assertThat(submissions).last().isEqualTo("sentinel#0");
            assertThat(upstream.calls("flaky")).isEqualTo(5);
            List<ConsumerRecord<String, ChatResult>> all = relay.results(
                    records -> records.stream().anyMatch(r -> r.key().equals("sentinel")));
            assertThat(all).extracting(r -> r.value().id() + "#" + r.value().generation())
                    .containsExactlyInAnyOrder("r-1#0", "r-2#0", "junk#0", "r-1#1", "r-2#1", "sentinel#0");
        }
    }

    private static List<ChatResult> generation(List<ConsumerRecord<String, ChatResult>> records, int generation) {
        return records.stream().map(ConsumerRecord::value).filter(r -> r.generation() == generation).toList();
    }

    private static long endOffset(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            return consumer.endOffsets(List.of(new TopicPartition(topic, 0))).get(new TopicPartition(topic, 0));
        }
    }
}
