package dev.tokenrelay.ops;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.config.OperationsSettings;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The metrics and health endpoint of a running processor, read over HTTP as Prometheus would. */
class MetricsIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private SimulatedUpstream upstream;

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
    }

    @Test
    void shouldReportAttemptsByOutcomeThatMatchWhatTheUpstreamCounted() throws Exception {
        // Given a fill-first pool whose first account answers 500 once (without cooling down), then ok
        upstream.script("flaky", Behaviour.status(500), Behaviour.ok());
        upstream.script("steady", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [flaky, steady]
                accounts:
                  flaky:  { provider: openai-chat, baseUrl: "{{url:flaky}}" }
                  steady: { provider: openai-chat, baseUrl: "{{url:steady}}" }
                policy:
                  cooldownStatuses: [429]
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When six requests are served
            List<String> ids = IntStream.rangeClosed(1, 6).mapToObj(i -> "metrics-" + i).toList();
            ids.forEach(id -> relay.send(request(id, null, null)));
            Map<String, ChatResult> results = relay.awaitResults(ids);
            assertThat(results.values()).extracting(ChatResult::status).containsOnly(ResultStatus.SUCCEEDED);

            // Then /metrics counts, per account and outcome, the calls the upstream received
            PrometheusText metrics = scrape(relay.processor().opsUri().orElseThrow());
            assertThat(upstream.calls("flaky")).isPositive();
            assertThat(attempts(metrics, "flaky", "RETRYABLE", "status_500")).isEqualTo(1);
            assertThat(attempts(metrics, "flaky", "SUCCESS", "ok")).isEqualTo(upstream.calls("flaky") - 1);
            assertThat(attempts(metrics, "steady", "SUCCESS", "ok")).isEqualTo(upstream.calls("steady"));
            assertThat(metrics.sum(MetricNames.PROM_ATTEMPTS, labels -> true)).isEqualTo(upstream.totalCalls());
            // And every call is in the latency histogram, every result in the results counter
            assertThat(metrics.sum("tokenrelay_upstream_latency_seconds_count", "account", "flaky"))
                    .isEqualTo(upstream.calls("flaky"));
            assertThat(metrics.sum(MetricNames.PROM_RESULTS, labels -> labels.get("status").equals("succeeded")
                    && labels.get("stage").equals("dispatch"))).isEqualTo(6);
            // And the JVM's and Kafka Streams' own metrics are there too
            assertThat(metrics.samples()).anySatisfy(s -> assertThat(s.name()).startsWith("jvm_memory_used"));
            assertThat(metrics.samples()).anySatisfy(s -> assertThat(s.name()).startsWith("kafka_stream_"));
        }
    }

    @Test
    void shouldServeASmallScrapeWithoutNaNAndCountTokensPerAccountAndModel() throws Exception {
        // Given two accounts taking turns, and requests for two models
        upstream.script("turn-a", Behaviour.ok());
        upstream.script("turn-b", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    strategy: round-robin
                    accounts: [turn-a, turn-b]
                accounts:
                  turn-a: { provider: openai-chat, baseUrl: "{{url:turn-a}}" }
                  turn-b: { provider: openai-chat, baseUrl: "{{url:turn-b}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 4, yaml)) {
            // When eight requests are served
            List<String> ids = IntStream.rangeClosed(1, 8).mapToObj(i -> "tokens-" + i).toList();
            for (int i = 0; i < ids.size(); i++) {
                relay.send(requestFor(ids.get(i), i % 2 == 0 ? "model-small" : "model-large", i));
            }
            Map<String, ChatResult> results = relay.awaitResults(ids);
            assertThat(results.values()).extracting(ChatResult::status).containsOnly(ResultStatus.SUCCEEDED);
            // (Kafka's metrics of partitions are bound when the binder next looks, every 10 s.)
            URI ops = relay.processor().opsUri().orElseThrow();
            AtomicReference<String> scraped = new AtomicReference<>();
            await().atMost(RelayHarness.WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                scraped.set(scrapeText(ops));
                assertThat(PrometheusText.parse(scraped.get()).samples()).extracting(PrometheusText.Sample::name)
                        .contains("kafka_stream_thread_process_rate", "kafka_stream_thread_commit_latency_avg",
                                "kafka_consumer_fetch_manager_records_lag_max", "kafka_producer_record_error_total");
            });
            String body = scraped.get();
            PrometheusText metrics = PrometheusText.parse(body);

            // Then the scrape is a few dozen kilobytes with no NaN value
            System.out.printf("MetricsIT: scrape of %,d bytes, %d samples, %d of them Kafka's%n", body.length(),
                    metrics.samples().size(), metrics.samples().stream().filter(s -> s.name().startsWith("kafka_")).count());
            assertThat(body.length()).as("scrape size in bytes").isLessThan(60_000);
            assertThat(metrics.samples()).noneSatisfy(s -> assertThat(s.value()).isNaN());
            assertThat(body.lines()).noneMatch(line -> !line.startsWith("#") && line.endsWith(" NaN"));
            // And it keeps the Kafka metrics that say whether the processor keeps up, not the per-node ones
            assertThat(metrics.samples()).extracting(PrometheusText.Sample::name)
                    .doesNotContain("kafka_consumer_node_request_latency_avg", "kafka_producer_node_request_total");

            // And the tokens per account, model and type are those the upstream reported in the results
            Map<List<String>, Long> reported = new HashMap<>();
            for (ChatResult result : results.values()) {
                String account = result.attempts().get(result.attempts().size() - 1).account();
                String model = result.completion().path("model").asText();
                reported.merge(List.of(account, model, "prompt"), result.usage().path("prompt_tokens").asLong(), Long::sum);
                reported.merge(List.of(account, model, "completion"), result.usage().path("completion_tokens").asLong(),
                        Long::sum);
            }
            assertThat(reported.keySet()).extracting(key -> key.get(0)).contains("turn-a", "turn-b");
            assertThat(reported.keySet()).extracting(key -> key.get(1)).contains("model-small", "model-large");
            assertThat(reported.values()).allMatch(tokens -> tokens > 0);
            reported.forEach((key, tokens) -> assertThat(metrics.sum(MetricNames.PROM_TOKENS, labels ->
                    key.get(0).equals(labels.get("account")) && key.get(1).equals(labels.get("model"))
                            && key.get(2).equals(labels.get("type")))).as("tokens %s", key).isEqualTo(tokens.doubleValue()));
            assertThat(metrics.sum(MetricNames.PROM_TOKENS, labels -> true))
                    .isEqualTo((double) reported.values().stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void shouldServeEveryKafkaMetricWhenAskedFor() {
        // Given a processor configured to serve all of Kafka's metrics
        upstream.script("all-metrics", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [all-metrics]
                accounts:
                  all-metrics: { provider: openai-chat, baseUrl: "{{url:all-metrics}}" }
                ops:
                  port: 0
                  kafkaMetrics: all
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            URI ops = relay.processor().opsUri().orElseThrow();

            // When it is scraped, Then the metrics the curated set leaves out are there too, hundreds of them
            await().atMost(RelayHarness.WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                PrometheusText metrics = scrape(ops);
                assertThat(metrics.samples()).extracting(PrometheusText.Sample::name)
                        .contains("kafka_stream_thread_process_rate", "kafka_consumer_node_request_latency_avg",
                                "kafka_producer_node_request_total");
                assertThat(metrics.samples().stream().filter(s -> s.name().startsWith("kafka_")).count())
                        .isGreaterThan(500);
            });
        }
    }

    @Test
    void shouldShowCallsInFlightAndQueuedWhileASlowAccountIsBusyAndZeroAfter() {
        // Given an account that takes 2 s per call and makes at most 2 calls at once
        upstream.script("slow", Behaviour.ok().after(Duration.ofSeconds(2)));
        String yaml = """
                pools:
                  main:
                    accounts: [slow]
                accounts:
                  slow: { provider: openai-chat, baseUrl: "{{url:slow}}", maxInFlight: 2 }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            URI ops = relay.processor().opsUri().orElseThrow();

            // When three requests arrive at once
            List<String> ids = List.of("slow-1", "slow-2", "slow-3");
            ids.forEach(id -> relay.send(request(id, null, null)));

            // Then the gauges show two calls in flight and one attempt queued
            await().atMost(RelayHarness.WAIT).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                PrometheusText metrics = scrape(ops);
                assertThat(metrics.sum(MetricNames.PROM_CALLS_IN_FLIGHT, "account", "slow")).isEqualTo(2);
                assertThat(metrics.sum(MetricNames.PROM_ATTEMPTS_QUEUED, "account", "slow")).isEqualTo(1);
            });

            // And once every result is in, nothing is in flight or queued
            relay.awaitResults(ids);
            await().atMost(RelayHarness.WAIT).untilAsserted(() -> {
                PrometheusText metrics = scrape(ops);
                assertThat(metrics.sum(MetricNames.PROM_CALLS_IN_FLIGHT, "account", "slow")).isZero();
                assertThat(metrics.sum(MetricNames.PROM_ATTEMPTS_QUEUED, "account", "slow")).isZero();
            });
        }
    }

    @Test
    void shouldBeReadyWhileTheProcessorRunsAndStopListeningWhenItStops() throws Exception {
        // Given a running processor
        upstream.script("a", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [a]
                accounts:
                  a: { provider: openai-chat, baseUrl: "{{url:a}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            URI ops = relay.processor().opsUri().orElseThrow();

            // Then it is live and ready
            assertThat(get(ops.resolve("/health/live")).statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(ops.resolve("/health/ready"));
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"state\":\"RUNNING\"");

            // When it is stopped, Then its endpoint is closed with it
            relay.stopProcessor();
            assertThatThrownBy(() -> get(ops.resolve("/health/live"))).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void shouldAnswer503BeforeStreamsRunsAndAfterItStopped() throws Exception {
        // Given a Streams application, created but not started, whose endpoint already listens
        String topic = KAFKA.uniqueName("ops-health");
        KAFKA.createTopics(new NewTopic(topic, 1, (short) 1));
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topic, Consumed.with(Serdes.String(), Serdes.String())).foreach((key, value) -> { });
        Properties properties = new Properties();
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, KAFKA.uniqueName("ops-health-app"));
        properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        properties.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("ops-health").toString());
        KafkaStreams streams = new KafkaStreams(builder.build(), properties);
        try (Operations ops = Operations.create(new OperationsSettings("127.0.0.1", 0))) {
            ops.serve(streams);
            URI uri = ops.uri().orElseThrow();

            // Then it is live but not ready
            assertThat(get(uri.resolve("/health/live")).statusCode()).isEqualTo(200);
            HttpResponse<String> before = get(uri.resolve("/health/ready"));
            assertThat(before.statusCode()).isEqualTo(503);
            assertThat(before.body()).contains("\"state\":\"CREATED\"");

            // When it starts, Then it becomes ready
            streams.start();
            await().atMost(RelayHarness.WAIT).until(() -> get(uri.resolve("/health/ready")).statusCode() == 200);

            // When it stops, Then it is neither ready nor live, and says why
            streams.close();
            HttpResponse<String> after = get(uri.resolve("/health/ready"));
            assertThat(after.statusCode()).isEqualTo(503);
            assertThat(after.body()).contains("\"state\":\"NOT_RUNNING\"");
            assertThat(get(uri.resolve("/health/live")).statusCode()).isEqualTo(503);
        } finally {
            streams.close();
        }
    }

    private static double attempts(PrometheusText metrics, String account, String outcome, String reason) {
        return metrics.sum(MetricNames.PROM_ATTEMPTS, labels -> account.equals(labels.get("account"))
                && outcome.equals(labels.get("outcome")) && reason.equals(labels.get("reason")));
    }

    static PrometheusText scrape(URI ops) throws IOException, InterruptedException {
        return PrometheusText.parse(scrapeText(ops));
    }

    private static String scrapeText(URI ops) throws IOException, InterruptedException {
        HttpResponse<String> response = get(ops.resolve("/metrics"));
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** A request for {@code model} whose prompt grows with {@code size}, so the usage differs per request. */
    private static ChatRequest requestFor(String id, String model, int size) {
        ObjectNode body = JsonCodec.mapper().createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", "question " + id + " ".repeat(40 * size)
                + "with more words".repeat(size));
        return new ChatRequest(id, 0, body, null, null, null, null);
    }

    private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
