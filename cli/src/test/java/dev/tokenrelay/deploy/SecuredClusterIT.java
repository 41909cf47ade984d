package dev.tokenrelay.deploy;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tokenrelay.cli.AccountsCommand;
import dev.tokenrelay.cli.Main;
import dev.tokenrelay.cli.ReplayCommand;
import dev.tokenrelay.cli.ResultsCommand;
import dev.tokenrelay.cli.SubmitCommand;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenrelay on a cluster that requires SASL/PLAIN: the processor and every command work with the
 * credentials of the configuration, and fail in seconds with a message that says why without them.
 */
class SecuredClusterIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    private static final String ACCOUNTS = """
            pools:
              main:
                accounts: [steady]
            accounts:
              steady: { provider: openai-chat, baseUrl: "{{url:steady}}" }
              broken: { provider: openai-chat, baseUrl: "{{url:broken}}" }
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void requireSasl() {
        assumeThat(KAFKA.hasSaslListener()).as("the embedded broker has a SASL listener; a container does not").isTrue();
    }

    @Test
    void shouldRunAndServeEveryCommandWithTheConfiguredCredentials() throws IOException {
        // Given a processor whose Kafka credentials are in a file the configuration names
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("steady", Behaviour.echo());
        upstream.script("broken", Behaviour.status(400));
        Path jaas = jaasFile("jaas.conf", KafkaBroker.SASL_PASSWORD);
        try (RelayHarness relay = RelayHarness.startWithKafkaSection(KAFKA, upstream,
                securedKafka(KAFKA.uniqueName("secured"), jaas), ACCOUNTS)) {
            String config = relay.writeConfigFile(dir).toString();
            relay.send(request("broken-1", null, "broken"));
            Path input = Files.writeString(dir.resolve("requests.jsonl"), requestLine("s-1") + "\n" + requestLine("s-2") + "\n");

            // When requests are submitted and waited for through the secured listener
            Cli.Run submit = Cli.run(new SubmitCommand(), "--config", config, "--wait", "--timeout", "60s", input.toString());

            // Then they are answered, and results, replay and accounts read the cluster too
            assertThat(submit.exitCode()).as(submit.err()).isZero();
            assertThat(submit.err()).contains("submit: 2 of 2 results in");
            assertThat(relay.awaitResult("broken-1").status()).isEqualTo(ResultStatus.FAILED);
            Cli.Run results = Cli.run(new ResultsCommand(), "--config", config, "--id", "s-1");
            assertThat(results.exitCode()).as(results.err()).isZero();
            assertThat(results.out()).contains("\"id\":\"s-1\"").contains("\"status\":\"succeeded\"");
            relay.deadLetters(all -> !all.isEmpty());
            Cli.Run replay = Cli.run(new ReplayCommand(), "--config", config, "--dry-run");
            assertThat(replay.exitCode()).as(replay.err()).isZero();
            assertThat(replay.out()).contains("\"id\":\"broken-1\"");
            Cli.Run accounts = Cli.run(new AccountsCommand(), "--config", config);
            assertThat(accounts.exitCode()).as(accounts.err()).isZero();
            assertThat(accounts.out()).contains("steady").contains("broken");
            // And the password appears in nothing they printed
            for (Cli.Run run : java.util.List.of(submit, results, replay, accounts)) {
                assertThat(run.out() + run.err()).doesNotContain(KafkaBroker.SASL_PASSWORD);
            }
        }
    }

    @Test
    void shouldFailEveryCommandClearlyWhenTheCredentialsAreRefused() throws IOException {
        // Given a configuration of the secured listener with a wrong password
        Path config = writeConfig("wrong.yaml", securedKafka(KAFKA.uniqueName("refused"),
                jaasFile("wrong-jaas.conf", "wrong-password-for-test")));

        // When the processor and each command are run with it
        Cli.Run run = within(() -> Cli.run(new Main(), "run", "--config", config.toString()));
        Cli.Run submit = within(() -> Cli.run(new SubmitCommand(), "--config", config.toString(),
                Files.writeString(dir.resolve("one.jsonl"), requestLine("x") + "\n").toString()));
        Cli.Run results = within(() -> Cli.run(new ResultsCommand(), "--config", config.toString()));
        Cli.Run replay = within(() -> Cli.run(new ReplayCommand(), "--config", config.toString(), "--dry-run"));
        Cli.Run accounts = within(() -> Cli.run(new AccountsCommand(), "--config", config.toString()));

        // Then each fails with one line saying the credentials were refused and where to set them
        for (Cli.Run failed : java.util.List.of(run, submit, results, replay, accounts)) {
            assertThat(failed.exitCode()).as(failed.err()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(failed.err()).contains("Kafka at " + KAFKA.saslBootstrapServers() + " refused the credentials")
                    .contains("sasl.jaas.config").doesNotContain("\tat ").doesNotContain("wrong-password-for-test");
        }
    }

    @Test
    void shouldTellTheProcessorToSetSecuritySettingsWhenItSpeaksPlaintextToASaslListener() throws IOException {
        // Given a configuration of the secured listener with no security settings at all
        Path config = writeConfig("plain.yaml", """
                kafka:
                  bootstrapServers: "%s"
                  applicationId: "%s"
                """.formatted(KAFKA.saslBootstrapServers(), KAFKA.uniqueName("plain")));

        // When the processor is run with it
        long start = System.nanoTime();
        Cli.Run run = within(() -> Cli.run(new Main(), "run", "--config", config.toString()));

        // Then it fails within 15 s, saying that the broker did not answer and what to set
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(run.err()).contains("no answer from Kafka at " + KAFKA.saslBootstrapServers())
                .contains("requires TLS or SASL, set security.protocol").doesNotContain("\tat ");
    }

    private static <T> T within(ThrowingSupplier<T> command) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), command::get);
    }

    @FunctionalInterface
    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    private Path writeConfig(String name, String kafkaSection) throws IOException {
        return Files.writeString(dir.resolve(name), kafkaSection.replace("{{state-dir}}", dir.resolve("state").toString())
                + ACCOUNTS.replace("{{url:steady}}", "http://127.0.0.1:1/v1").replace("{{url:broken}}", "http://127.0.0.1:1/v1")
                + "ops:\n  port: -1\n");
    }

    private Path jaasFile(String name, String password) throws IOException {
        return Files.writeString(dir.resolve(name), "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"" + KafkaBroker.SASL_USER + "\" password=\"" + password + "\";\n");
    }

    private static String securedKafka(String applicationId, Path jaas) {
        return """
                kafka:
                  bootstrapServers: "%s"
                  applicationId: "%s"
                  streams:
                    num.stream.threads: "1"
                    state.dir: "{{state-dir}}"
                    security.protocol: SASL_PLAINTEXT
                    sasl.mechanism: PLAIN
                    sasl.jaas.config: "${file:%s}"
                """.formatted(KAFKA.saslBootstrapServers(), applicationId, jaas);
    }

    private static String requestLine(String id) {
        return "{\"id\":\"" + id + "\",\"body\":{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";
    }
}
