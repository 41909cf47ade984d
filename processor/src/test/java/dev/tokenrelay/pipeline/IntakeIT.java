package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the stages do with bad input, and what intake does with a request id it has already seen. */
class IntakeIT {

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

    private SimulatedUpstream upstream;

    @BeforeEach
    void scriptUpstream() {
        upstream = UPSTREAM.get();
        upstream.script("only", Behaviour.echo());
    }

    @Test
    void shouldRejectMalformedInputAndKeepProcessing() {
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 1, ONE_ACCOUNT)) {
            // Given input that is not JSON, input that breaks the schema, and input with no id at all
            relay.sendRaw("not-json", "this is { not json");
            relay.sendRaw("bad-schema", "{\"id\":\"bad-schema\",\"body\":{\"model\":\"m\"}}");
            relay.sendRaw(null, "{\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}");
            // And then a good request
            relay.send(request("good-after-bad", null, null));

            // When the results arrive
            Map<String, ChatResult> results = relay.awaitResults(List.of("not-json", "bad-schema", "good-after-bad"));

            // Then the two requests with an id are rejected, with the reason
            assertThat(results.get("not-json").status()).isEqualTo(ResultStatus.REJECTED);
            assertThat(results.get("not-json").httpStatus()).isEqualTo(400);
            assertThat(results.get("not-json").error().message()).contains("not JSON");
            assertThat(results.get("bad-schema").status()).isEqualTo(ResultStatus.REJECTED);
            assertThat(results.get("bad-schema").error().message()).contains("/body/messages");
            // And the good request after them succeeds
            assertThat(results.get("good-after-bad").status()).isEqualTo(ResultStatus.SUCCEEDED);
            // And all three bad records are dead-lettered with their original bytes
            List<ConsumerRecord<String, DeadLetter>> deadLetters = relay.deadLetters(all -> all.size() >= 3);
            assertThat(deadLetters).hasSize(3);
            assertThat(deadLetters).extracting(r -> r.value().originalText()).containsExactlyInAnyOrder(
                    "this is { not json",
                    "{\"id\":\"bad-schema\",\"body\":{\"model\":\"m\"}}",
                    "{\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}");
            assertThat(deadLetters).allSatisfy(r -> assertThat(r.value().reason()).startsWith("invalid request"));
            // And the record without an id got no result, only its dead letter
            assertThat(results).hasSize(3);
        }
    }

    @Test
    void shouldIgnoreADuplicateRequestId() {
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 1, ONE_ACCOUNT)) {
            // Given a request that has been answered
            relay.send(request("once", null, null));
            assertThat(relay.awaitResult("once").status()).isEqualTo(ResultStatus.SUCCEEDED);

            // When the same id is submitted again, followed by another request
            relay.send(request("once", null, null));
            relay.send(request("sentinel", null, null));
            relay.awaitResult("sentinel");

            // Then intake emitted no second attempt for it (one partition: the sentinel's attempt comes after
            // anything the duplicate would have produced), no second call was made and no second result exists
            List<ConsumerRecord<String, Attempt>> attempts = relay.attempts(
                    all -> all.stream().anyMatch(r -> r.value().request().id().equals("sentinel")));
            assertThat(attempts).extracting(r -> r.value().request().id()).containsExactly("once", "sentinel");
            assertThat(upstream.calls("only")).isEqualTo(2);
            List<ConsumerRecord<String, ChatResult>> results = relay.results(all -> all.size() >= 2);
            assertThat(results).extracting(ConsumerRecord::key).containsExactly("once", "sentinel");
        }
    }

    @Test
    void shouldDeadLetterAnUnreadableAttemptAndKeepDispatching() {
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 1, ONE_ACCOUNT)) {
            // Given a record on the attempts topic that is not an attempt
            relay.sendRawAttempt("only", "{\"not\": \"an attempt\"}");

            // When a good request follows it
            relay.send(request("after-bad-attempt", null, null));

            // Then the request succeeds, and the bad record is dead-lettered with its bytes and the reason
            assertThat(relay.awaitResult("after-bad-attempt").status()).isEqualTo(ResultStatus.SUCCEEDED);
            List<ConsumerRecord<String, DeadLetter>> deadLetters = relay.deadLetters(all -> !all.isEmpty());
            assertThat(deadLetters).singleElement().satisfies(record -> {
                assertThat(record.value().reason()).startsWith("unreadable attempt");
                assertThat(record.value().originalText()).isEqualTo("{\"not\": \"an attempt\"}");
                assertThat(record.value().source().topic()).endsWith("attempts");
            });
        }
    }
}
