package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.cli.BatchesCommand;
import dev.tokenrelay.cli.CancelCommand;
import dev.tokenrelay.cli.SubmitCommand;
import dev.tokenrelay.schema.BatchStatus;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Batches end to end: {@code submit} with a batch, {@code cancel}, {@code batches}, against a real broker and processor. */
class BatchesIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    /** One account that makes one call at a time: whatever comes second waits. */
    private static final String ONE_SLOT = """
            pools:
              main:
                accounts: [slow]
            accounts:
              slow: { provider: openai-chat, baseUrl: "{{url:slow}}", maxInFlight: 1 }
            """;

    @TempDir
    Path dir;

    @Test
    void shouldCancelABatchQueuedBehindASlowOneWithNoCallAndCountIt() throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        // Long enough for two submissions and a cancellation to reach the processor on a busy machine.
        upstream.script("slow", Behaviour.echo().after(Duration.ofSeconds(10)));
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, ONE_SLOT)) {
            // Given a batch of one holding the account's only slot, and a batch of three queued behind it
            String config = relay.writeConfigFile(dir).toString();
            Cli.Run first = Cli.run(new SubmitCommand(), "--config", config, "--batch", "ahead", file("ahead", 1));
            assertThat(first.exitCode()).as(first.err()).isZero();
            assertThat(first.err()).contains("batch: ahead");
            await().atMost(RelayHarness.WAIT).until(() -> upstream.inFlight("slow") == 1);
            Cli.Run queued = Cli.run(new SubmitCommand(), "--config", config, "--batch", "behind", file("behind", 3));
            assertThat(queued.exitCode()).as(queued.err()).isZero();

            // When the queued batch is cancelled
            Cli.Run cancel = Cli.run(new CancelCommand(), "--config", config, "--batch", "behind");
            assertThat(cancel.exitCode()).as(cancel.err()).isZero();

            // Then its requests end cancelled with no call, and the running one succeeds
            Map<String, ChatResult> results = relay.awaitResults(List.of("ahead-1", "behind-1", "behind-2", "behind-3"));
            assertThat(results.get("ahead-1").status()).isEqualTo(ResultStatus.SUCCEEDED);
            assertThat(results.get("ahead-1").batch()).isEqualTo("ahead");
            assertThat(List.of("behind-1", "behind-2", "behind-3")).allSatisfy(id -> {
                assertThat(results.get(id).status()).isEqualTo(ResultStatus.CANCELLED);
                assertThat(results.get(id).httpStatus()).isEqualTo(499);
                assertThat(results.get(id).error().message()).isEqualTo("batch behind cancelled");
                assertThat(results.get(id).batch()).isEqualTo("behind");
            });
            assertThat(upstream.calls("slow")).isEqualTo(1);

            // And the batches topic counts both batches as their results say, each finished
            await().atMost(RelayHarness.WAIT).untilAsserted(() -> {
                Map<String, BatchStatus> batches = batches(config);
                BatchStatus ahead = batches.get("ahead");
                BatchStatus behind = batches.get("behind");
                assertThat(ahead).isNotNull();
                assertThat(behind).isNotNull();
                assertThat(List.of(ahead.total(), ahead.succeeded(), ahead.inProgress())).containsExactly(1, 1, 0);
                assertThat(List.of(behind.total(), behind.succeeded(), behind.cancelled(), behind.inProgress()))
                        .containsExactly(3, 0, 3, 0);
                assertThat(behind.finishedAt()).isNotNull();
                assertThat(ahead.finishedAt()).isNotNull();
            });
            Cli.Run table = Cli.run(new BatchesCommand(), "--config", config, "behind");
            assertThat(table.exitCode()).as(table.err()).isZero();
            assertThat(table.out().lines().toList().get(1).split("\\s{2,}"))
                    .startsWith("behind", "3", "0", "0", "0", "3", "0");
        }
    }

    @Test
    void shouldExpireWhatACompletionWindowLeavesUndoneAndCountIt() throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("slow", Behaviour.echo().after(Duration.ofSeconds(3)));
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, ONE_SLOT)) {
            // Given three requests for an account that answers one at a time, each in 3 s
            String config = relay.writeConfigFile(dir).toString();

            // When they are submitted with a completion window of 2 s and no batch named
            Cli.Run submit = Cli.run(new SubmitCommand(), "--config", config, "--completion-window", "2s",
                    file("window", 3));

            // Then submit names the batch it made up
            assertThat(submit.exitCode()).as(submit.err()).isZero();
            String batch = submit.err().lines().filter(line -> line.startsWith("batch: ")).findFirst().orElseThrow()
                    .substring("batch: ".length());
            assertThat(batch).matches("batch-\\d{8}-\\d{6}-[0-9a-f]{6}");

            // And the requests queued behind the first end expired, each in that batch
            Map<String, ChatResult> results = relay.awaitResults(List.of("window-1", "window-2", "window-3"));
            Map<ResultStatus, Long> statuses = results.values().stream()
                    .collect(Collectors.groupingBy(ChatResult::status, Collectors.counting()));
            assertThat(statuses.getOrDefault(ResultStatus.EXPIRED, 0L)).isGreaterThanOrEqualTo(2);
            assertThat(results.values()).extracting(ChatResult::batch).containsOnly(batch);

            // And the counts of the batch say the same, with its window, and that it is finished
            await().atMost(RelayHarness.WAIT).untilAsserted(() -> {
                BatchStatus status = batches(config).get(batch);
                assertThat(status).isNotNull();
                assertThat(status.total()).isEqualTo(3);
                assertThat(status.expired()).isEqualTo(statuses.getOrDefault(ResultStatus.EXPIRED, 0L).intValue());
                assertThat(status.finished()).isEqualTo(3);
                assertThat(status.inProgress()).isZero();
                assertThat(status.completionWindow()).isEqualTo("PT2S");
                assertThat(status.finishedAt()).isNotNull();
            });
        }
    }

    /** A JSONL file of {@code count} requests {@code <prefix>-1}... */
    private String file(String prefix, int count) throws IOException {
        String lines = IntStream.rangeClosed(1, count)
                .mapToObj(i -> "{\"id\":\"" + prefix + "-" + i + "\",\"body\":{\"model\":\"m\",\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"q " + i + "\"}]}}")
                .collect(Collectors.joining("\n", "", "\n"));
        return Files.writeString(dir.resolve(prefix + ".jsonl"), lines).toString();
    }

    /** The batches topic as {@code batches --format json} prints it, by batch id. */
    private static Map<String, BatchStatus> batches(String config) {
        Cli.Run run = Cli.run(new BatchesCommand(), "--config", config, "--format", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run.out().lines().filter(line -> !line.isBlank())
                .map(line -> JsonCodec.decode(line.getBytes(StandardCharsets.UTF_8), BatchStatus.class))
                .collect(Collectors.toMap(BatchStatus::batch, status -> status));
    }
}
