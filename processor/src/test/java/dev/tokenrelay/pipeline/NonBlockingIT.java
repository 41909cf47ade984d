package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The stream thread never waits for an upstream call: one thread keeps many calls in flight. */
class NonBlockingIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    @Test
    void shouldKeepAtLeastFiftyCallsInFlightWithOneStreamThread() {
        SimulatedUpstream upstream = UPSTREAM.get();
        // Given one stream thread, one account whose calls take 1 s, and an in-flight limit of 64
        upstream.script("slow", Behaviour.echo().after(Duration.ofSeconds(1)));
        String yaml = """
                pools:
                  main:
                    accounts: [slow]
                accounts:
                  slow: { provider: openai-chat, baseUrl: "{{url:slow}}", maxInFlight: 64 }
                """;
        List<String> ids = IntStream.rangeClosed(1, 60).mapToObj(i -> "concurrent-" + i).toList();
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When 60 requests arrive
            ids.forEach(id -> relay.send(request(id, null, null)));

            // Then all succeed, and the upstream saw at least 50 of them at once
            Map<String, ChatResult> results = relay.awaitResults(ids);
            assertThat(results.values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ResultStatus.SUCCEEDED));
            assertThat(upstream.peakConcurrency("slow")).isGreaterThanOrEqualTo(50);
            // And each answer belongs to its own request
            assertThat(results.values()).allSatisfy(r -> assertThat(
                    r.completion().at("/choices/0/message/content").asText()).isEqualTo("echo: question " + r.id()));
        }
    }

    @Test
    void shouldNeverExceedTheAccountsInFlightLimit() {
        SimulatedUpstream upstream = UPSTREAM.get();
        // Given an account limited to 5 calls at once
        upstream.script("limited", Behaviour.echo().after(Duration.ofMillis(300)));
        String yaml = """
                pools:
                  main:
                    accounts: [limited]
                accounts:
                  limited: { provider: openai-chat, baseUrl: "{{url:limited}}", maxInFlight: 5 }
                """;
        List<String> ids = IntStream.rangeClosed(1, 20).mapToObj(i -> "limited-" + i).toList();
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // When 20 requests arrive together
            ids.forEach(id -> relay.send(request(id, null, null)));

            // Then all are answered, the waiting ones queued, and never more than 5 ran at once
            relay.awaitResults(ids);
            assertThat(upstream.calls("limited")).isEqualTo(20);
            assertThat(upstream.peakConcurrency("limited")).isBetween(2, 5);
        }
    }
}
