package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.tools.JvmOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bench} command as a user runs it, small: its own embedded broker and simulated
 * upstream, tokenrelay with a failure mix, the pipe and the naive way, figures as JSON; the backlog
 * mode; and the like-for-like mode, with the broker, the simulator and the processor in processes.
 */
class BenchCommandIT {

    /** The prefix of a stream thread's count of the records it read from one topic. */
    private static final String READ = "records-read:";

    @TempDir
    Path dir;

    @Test
    void shouldRunEveryPhaseToTheEndAndReportFiguresThatAddUp() throws Exception {
        // Given a small run: 400 requests, 50 ms upstream, 16 in flight, a fifth of the calls failing
        Path json = dir.resolve("bench.json");

        // When the benchmark runs with the pipe and the naive way
        Cli.Run run = Cli.run(new BenchCommand(), "--requests", "400", "--latency", "50ms", "--in-flight", "16",
                "--failure-rate", "0.2", "--naive", "--naive-time", "1s", "--timeout", "1m", "--json", json.toString());

        // Then every request got exactly one result, within the in-flight limit, failures failed over,
        // the references ran, and the figures were printed and written
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("tokenrelay bench: 400 requests", "Little's law", "figures written to");
        JsonNode report = JsonCodec.mapper().readTree(Files.readString(json));
        JsonNode relay = report.path("relay");
        assertThat(relay.path("completed").asInt()).isEqualTo(400);
        assertThat(relay.path("duplicates").asInt()).isZero();
        assertThat(report.path("inFlight").path("peak").asInt()).isBetween(1, 16);
        assertThat(relay.path("failoverHop").path("count").asInt()).isPositive();
        assertThat(report.path("littleRatio").asDouble()).isBetween(0.05, 1.2);
        assertThat(report.path("pipe").path("completed").asInt()).isEqualTo(400);
        assertThat(report.path("naive").path("completed").asInt()).isPositive();
        assertThat(relay.path("cpu").path("perRequest").asDouble()).isPositive();
    }

    @Test
    void shouldAdmitABacklogServeAnInteractiveRequestAndResumeAfterARestart() throws Exception {
        // Given a small backlog: 300 requests for 4 slots of 50 ms, the processor in a JVM of its own
        Path json = dir.resolve("backlog.json");

        // When the backlog mode runs to the end
        Cli.Run run = Cli.run(new BenchCommand(), "--backlog", "--drain", "--requests", "300", "--in-flight", "4",
                "--latency", "50ms", "--prompt-chars", "256", "--processor-heap", "256m", "--timeout", "40s",
                "--json", json.toString());

        // Then every request got exactly one result, the interactive one too, and the restart resumed
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("tokenrelay bench --backlog: 300 requests", "interactive request",
                "processing again   within", "results            300 of 300, duplicates 0, lost 0");
        JsonNode report = JsonCodec.mapper().readTree(Files.readString(json));
        assertThat(report.path("drain").path("results").asInt()).isEqualTo(300);
        assertThat(report.path("drain").path("duplicates").asInt()).isZero();
        assertThat(report.path("interactive").path("resultMillis").isNumber()).isTrue();
        assertThat(report.path("restart").path("stopExitCode").asInt()).isZero();
        assertThat(report.path("admission").path("peakHeap").asLong()).isBetween(1L, 256L << 20);
        assertThat(report.path("inFlight").path("upstreamPeak").asInt()).isBetween(1, 4);
    }

    @Test
    void shouldRunTheProcessorInAProcessOfItsOwnAndReportItsCpuAndMemory() throws Exception {
        // Given a small run: 2,000 requests, 100 ms upstream, 64 in flight, a tenth of the calls failing;
        // broker, simulator and processor in processes
        Path json = dir.resolve("processes.json");

        // When the like-for-like mode runs (the pipe left out to keep it short)
        Cli.Run run = Cli.run(new BenchCommand(), "--processes", "--requests", "2000", "--in-flight", "64",
                "--latency", "100ms", "--failure-rate", "0.1", "--no-pipe", "--timeout", "2m", "--json", json.toString(),
                "--processor-jvm-option=-Xss1m");

        // Then every request got exactly one result, and the processor's process figures were printed and written
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("tokenrelay bench: 2000 requests", "completed          2000 of 2000",
                "each in a JVM of its own", "processor process  pid", "CPU per request", "exit code 0 on SIGTERM");
        JsonNode report = JsonCodec.mapper().readTree(Files.readString(json));
        assertThat(report.path("relay").path("completed").asInt()).isEqualTo(2000);
        assertThat(report.path("relay").path("statuses").path("succeeded").asInt()).isEqualTo(2000);
        assertThat(report.path("relay").path("duplicates").asInt()).isZero();
        assertThat(report.path("inFlight").path("peak").asInt()).isBetween(1, 64);
        // And the failed calls failed over to the spare account, in the simulator's process
        assertThat(report.path("relay").path("failoverHop").path("count").asInt()).isPositive();
        assertThat(report.path("inFlight").path("sparePeak").asInt()).isPositive();
        JsonNode processes = report.path("processes");
        assertThat(processes.path("cpuPerRequest").asDouble()).isPositive();
        assertThat(processes.path("rssPeak").asLong()).isPositive();
        assertThat(processes.path("firstResultMillis").asDouble())
                .isGreaterThanOrEqualTo(processes.path("readyMillis").asDouble()).isPositive();
        assertThat(processes.path("resultLog").asBoolean()).isTrue();
        // And the processor ran with the start script's JVM options, then the run's own
        List<String> options = new ArrayList<>(JvmOptions.shipped());
        options.add("-Xss1m");
        assertThat(processes.path("jvmOptions")).extracting(JsonNode::asText).containsExactlyElementsOf(options);
        // And its CPU is told by thread kind, and what it wrote by topic: every result once, at least
        assertThat(processes.path("cpuByKind").path("Kafka Streams threads").asLong()).isPositive();
        assertThat(processes.path("logEntries").path("bench-relay.results").asLong()).isGreaterThanOrEqualTo(2000);
        // And only the measured application's topics count, not those of the processor that warmed the broker up
        assertThat(processes.path("logEntries").fieldNames()).toIterable()
                .allSatisfy(topic -> assertThat(topic).startsWith("bench-relay").doesNotContain("warm"));
        assertThat(run.out()).contains("processor threads", "topic writes");
        // And its stream threads, scraped from its /metrics, read every request once between them
        assertThat(recordsRead(report.path("relay").path("streamThreads"), "requests")).isEqualTo(2000);
    }

    @Test
    void shouldRunIntakeApartAndTellWhichStreamThreadReadWhat() throws Exception {
        // Given a small one-JVM run with intake in a Kafka Streams client of its own
        Path json = dir.resolve("apart.json");

        // When the benchmark runs with --separate-intake and --detail
        Cli.Run run = Cli.run(new BenchCommand(), "--requests", "300", "--latency", "50ms", "--in-flight", "16",
                "--separate-intake", "--no-pipe", "--detail", "--timeout", "1m", "--json", json.toString());

        // Then every request got one result, and one stream thread of the three read every request and no attempt
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("intake apart", "read requests 300");
        JsonNode report = JsonCodec.mapper().readTree(Files.readString(json));
        assertThat(report.path("relay").path("completed").asInt()).isEqualTo(300);
        assertThat(report.path("relay").path("duplicates").asInt()).isZero();
        JsonNode threads = report.path("relay").path("streamThreads");
        assertThat(threads.size()).isEqualTo(3);
        List<JsonNode> intake = new ArrayList<>();
        threads.forEach(thread -> {
            if (thread.has(READ + "requests")) {
                intake.add(thread);
            }
        });
        assertThat(intake).singleElement().satisfies(thread -> {
            assertThat(thread.path(READ + "requests").asDouble()).isEqualTo(300);
            assertThat(thread.has(READ + "attempts")).isFalse();
        });
        assertThat(recordsRead(threads, "attempts")).isGreaterThanOrEqualTo(300);
    }

    /** The records the stream threads of a report read from {@code topic}, summed. */
    private static double recordsRead(JsonNode streamThreads, String topic) {
        double sum = 0;
        for (JsonNode thread : streamThreads) {
            sum += thread.path(READ + topic).asDouble();
        }
        return sum;
    }
}
