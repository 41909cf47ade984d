package dev.tokenrelay.deploy;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tokenrelay.cli.Main;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two deployments of tokenrelay on one cluster, as staging and production share a company's
 * cluster: each keeps to its own topics, and one pointed at the other's attempts topic is refused.
 */
class SharedClusterIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    @TempDir
    Path dir;

    @Test
    void shouldKeepTwoDeploymentsWithTheirOwnApplicationIdsApart() {
        // Given a staging and a production deployment on one broker, each with its own account and
        // no topic names configured
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("staging-account", Behaviour.ok());
        upstream.script("production-account", Behaviour.ok());
        String staging = KAFKA.uniqueName("staging");
        String production = KAFKA.uniqueName("production");
        try (RelayHarness stagingRelay = RelayHarness.startWithKafkaSection(KAFKA, upstream, kafka(staging),
                    accounts("staging-account"));
                RelayHarness productionRelay = RelayHarness.startWithKafkaSection(KAFKA, upstream, kafka(production),
                    accounts("production-account"))) {

            // When both are sent requests with the same ids
            List<String> ids = IntStream.rangeClosed(1, 8).mapToObj(i -> "req-" + i).toList();
            ids.forEach(id -> stagingRelay.send(request(id, null, null)));
            ids.forEach(id -> productionRelay.send(request(id, null, null)));

            // Then each deployment's topics are named after its application id
            assertThat(stagingRelay.config().topics().requests().name()).isEqualTo(staging + ".requests");
            assertThat(productionRelay.config().topics().attempts().name()).isEqualTo(production + ".attempts");
            // And each wrote exactly one result per request of its own, every one a success
            for (RelayHarness relay : List.of(stagingRelay, productionRelay)) {
                List<ConsumerRecord<String, ChatResult>> results = relay.results(all -> RelayHarness.keys(all).size() >= ids.size());
                assertThat(results).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);
                assertThat(results).extracting(r -> r.value().status()).containsOnly(ResultStatus.SUCCEEDED);
            }
            // And neither called the upstream for the other's requests
            assertThat(upstream.calls("staging-account")).isEqualTo(ids.size());
            assertThat(upstream.calls("production-account")).isEqualTo(ids.size());
        }
    }

    @Test
    void shouldRefuseToStartOnTheAttemptsTopicOfAnotherDeployment() throws IOException {
        // Given a deployment that has served a request, so its group has committed offsets of its attempts topic
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("first-account", Behaviour.ok());
        String first = KAFKA.uniqueName("first");
        try (RelayHarness firstRelay = RelayHarness.startWithKafkaSection(KAFKA, upstream, kafka(first),
                accounts("first-account"))) {
            firstRelay.send(request("only", null, null));
            firstRelay.awaitResult("only");
            String attempts = firstRelay.config().topics().attempts().name();

            // When a second deployment, with another application id, is run on that attempts topic
            String second = KAFKA.uniqueName("second");
            Path config = Files.writeString(dir.resolve("second.yaml"), kafka(second).replace("{{state-dir}}",
                    dir.resolve("state").toString()) + "topics:\n  attempts: {name: \"" + attempts + "\"}\n"
                    + accounts("first-account").replace("{{url:first-account}}", upstream.baseUrl("first-account"))
                    + "ops:\n  port: -1\n");
            Cli.Run run = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> Cli.run(new Main(), "run", "--config", config.toString()));

            // Then it refuses to start, as a configuration error, naming the topic, the group and what to do
            assertThat(run.exitCode()).as(run.err()).isEqualTo(Main.EXIT_USAGE);
            assertThat(run.err()).contains("topic '" + attempts + "' is already consumed by consumer group '" + first + "'")
                    .contains("kafka-consumer-groups.sh").doesNotContain("\tat ");
            // And it created none of its own topics
            assertThat(topicNames()).noneMatch(name -> name.startsWith(second));
        }
    }

    private static java.util.Set<String> topicNames() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            return admin.listTopics().names().get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String kafka(String applicationId) {
        return """
                kafka:
                  bootstrapServers: "%s"
                  applicationId: "%s"
                  streams:
                    num.stream.threads: "1"
                    state.dir: "{{state-dir}}"
                """.formatted(KAFKA.bootstrapServers(), applicationId);
    }

    private static String accounts(String account) {
        return """
                pools:
                  main:
                    accounts: [%1$s]
                accounts:
                  %1$s: { provider: openai-chat, baseUrl: "{{url:%1$s}}" }
                """.formatted(account);
    }
}
