package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A processor stopped while calls are in flight loses nothing and answers nothing twice. */
class RestartIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    @Test
    void shouldFinishEveryRequestExactlyOnceAfterARestartWithCallsInFlight() {
        SimulatedUpstream upstream = UPSTREAM.get();
        // Given two accounts whose calls take 2 s, and 20 requests whose calls are all in flight
        upstream.script("slow-a", Behaviour.echo().after(Duration.ofSeconds(2)));
        upstream.script("slow-b", Behaviour.echo().after(Duration.ofSeconds(2)));
        String yaml = """
                pools:
                  main:
                    strategy: round-robin
                    accounts: [slow-a, slow-b]
                accounts:
                  slow-a: { provider: openai-chat, baseUrl: "{{url:slow-a}}" }
                  slow-b: { provider: openai-chat, baseUrl: "{{url:slow-b}}" }
                """;
        List<String> ids = IntStream.rangeClosed(1, 20).mapToObj(i -> "restart-" + i).toList();
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 4, yaml)) {
            ids.forEach(id -> relay.send(request(id, null, null)));
            await().atMost(RelayHarness.WAIT)
                    .until(() -> upstream.inFlight("slow-a") + upstream.inFlight("slow-b") == ids.size());

            // When the processor is stopped with every call in flight and started again on a new machine
            relay.stopProcessor();
            int callsBeforeRestart = upstream.totalCalls();
            relay.startProcessorOnNewMachine();

            // Then every request gets its result
            relay.awaitResults(ids);
            // And read_committed, the results topic holds exactly one result per request
            List<ConsumerRecord<String, ChatResult>> results = relay.results(all -> all.size() >= ids.size());
            assertThat(results).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(results).allSatisfy(r -> assertThat(r.value().status()).isEqualTo(ResultStatus.SUCCEEDED));
            // And the calls cut off by the stop were made again (the upstream call is at-least-once)
            assertThat(callsBeforeRestart).isEqualTo(ids.size());
            assertThat(upstream.totalCalls()).isEqualTo(2 * ids.size());
        }
    }
}
