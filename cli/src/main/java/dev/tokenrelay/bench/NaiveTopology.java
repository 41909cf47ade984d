package dev.tokenrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The naive way, for comparison: the upstream call made synchronously inside the stream processor,
 * as most Kafka Streams code calls a remote service. The stream thread waits for every call, so a
 * thread completes at most one request per upstream latency, and with exactly-once its open
 * transaction grows with every call it waits for.
 */
final class NaiveTopology {

    private NaiveTopology() {}

    static void build(StreamsBuilder builder, BenchTopics topics, HttpClient http, URI chatCompletions,
            Duration callTimeout) {
        builder.stream(topics.requests(), Consumed.with(Topics.KEYS, Topics.RAW_REQUESTS).withName("naive-requests"))
                .mapValues(bytes -> call(http, chatCompletions, callTimeout, JsonCodec.decode(bytes, ChatRequest.class)),
                        Named.as("naive-call"))
                .to(topics.results(), Produced.with(Topics.KEYS, Topics.RESULTS).withName("naive-to-results"));
    }

    private static ChatResult call(HttpClient http, URI uri, Duration timeout, ChatRequest request) {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        HttpRequest httpRequest = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JsonCodec.encode(request.body())))
                .build();
        try {
            HttpResponse<byte[]> response = http.send(httpRequest, HttpResponse.BodyHandlers.ofByteArray());
            long latencyMs = (System.nanoTime() - startNanos) / 1_000_000;
            JsonNode completion = JsonCodec.mapper().readTree(response.body());
            TrailEntry entry = new TrailEntry(1, "naive", "naive", OutcomeKind.SUCCESS, "ok", response.statusCode(),
                    latencyMs, started);
            return new ChatResult(request.id(), request.generation(), ResultStatus.SUCCEEDED, response.statusCode(),
                    completion, null, completion.get("usage"), request.metadata(), List.of(entry), Instant.now());
        } catch (IOException e) {
            return failed(request, started, startNanos, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(request, started, startNanos, "interrupted");
        }
    }

    private static ChatResult failed(ChatRequest request, Instant started, long startNanos, String reason) {
        long latencyMs = (System.nanoTime() - startNanos) / 1_000_000;
        TrailEntry entry = new TrailEntry(1, "naive", "naive", OutcomeKind.RETRYABLE, "transport_error", null,
                latencyMs, started);
        return new ChatResult(request.id(), request.generation(), ResultStatus.FAILED, 502, null,
                ErrorInfo.of("upstream_error", reason), null, request.metadata(), List.of(entry), Instant.now());
    }
}
