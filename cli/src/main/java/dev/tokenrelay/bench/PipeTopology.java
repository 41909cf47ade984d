package dev.tokenrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The pipe: tokenrelay's topics and hops with nothing in between. Requests are read as bytes and
 * decoded, re-keyed by account into an attempts topic, and each attempt is answered at once with
 * a result of the size tokenrelay writes. Same serdes, same keys, no state stores, no upstream
 * call: what Kafka and Kafka Streams alone cost on this machine.
 */
final class PipeTopology {

    private PipeTopology() {}

    static void build(StreamsBuilder builder, BenchTopics topics, List<String> accounts, String pool) {
        builder.stream(topics.requests(), Consumed.with(Topics.KEYS, Topics.RAW_REQUESTS).withName("pipe-requests"))
                .map((key, bytes) -> {
                    ChatRequest request = JsonCodec.decode(bytes, ChatRequest.class);
                    String account = accounts.get(Math.floorMod(request.id().hashCode(), accounts.size()));
                    return KeyValue.pair(account, new Attempt(request, 1, account, pool, List.of(), null, Instant.now()));
                }, Named.as("pipe-intake"))
                .to(topics.attempts(), Produced.with(Topics.KEYS, Topics.ATTEMPTS).withName("pipe-to-attempts"));
        builder.stream(topics.attempts(), Consumed.with(Topics.KEYS, Topics.ATTEMPTS).withName("pipe-attempts"))
                .map((account, attempt) -> KeyValue.pair(attempt.request().id(), answer(attempt)),
                        Named.as("pipe-dispatch"))
                .to(topics.results(), Produced.with(Topics.KEYS, Topics.RESULTS).withName("pipe-to-results"));
    }

    /** The result tokenrelay would write for a first attempt that succeeded at once. */
    static ChatResult answer(Attempt attempt) {
        Instant now = Instant.now();
        ChatRequest request = attempt.request();
        JsonNode completion = completion(request, now);
        TrailEntry entry = new TrailEntry(1, attempt.account(), attempt.pool(), OutcomeKind.SUCCESS, "ok", 200, 0, now);
        return new ChatResult(request.id(), request.generation(), ResultStatus.SUCCEEDED, 200, completion,
                null, completion.get("usage"), request.metadata(), List.of(entry), now);
    }

    /** A chat completion shaped like the simulated upstream's echo answer. */
    static JsonNode completion(ChatRequest request, Instant now) {
        String prompt = request.body().path("messages").path(0).path("content").asText("");
        ObjectNode body = JsonCodec.mapper().createObjectNode();
        body.put("id", "chatcmpl-pipe-" + request.id());
        body.put("object", "chat.completion");
        body.put("created", now.getEpochSecond());
        body.put("model", request.body().path("model").asText("bench-model"));
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", "echo: " + prompt);
        choice.put("finish_reason", "stop");
        int promptTokens = (prompt.length() + 3) / 4;
        int completionTokens = (prompt.length() + 9) / 4;
        body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        return body;
    }
}
