package dev.tokenrelay.tools;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.cli.AccountsCommand;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code accounts} command against a real broker and a running processor. */
class AccountsCommandIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    @TempDir
    Path dir;

    private SimulatedUpstream upstream;

    @BeforeEach
    void useUpstream() {
        upstream = UPSTREAM.get();
    }

    @Test
    void shouldShowACoolingAccountWithItsReasonNextToTheMetrics() throws IOException {
        // Given a pool whose first account answers 429 with Retry-After: 60, and a healthy second one
        upstream.script("limited", Behaviour.rateLimited(Duration.ofSeconds(60)));
        upstream.script("healthy", Behaviour.ok());
        String yaml = """
                pools:
                  main:
                    accounts: [limited, healthy, keyless]
                accounts:
                  limited: { provider: openai-chat, baseUrl: "{{url:limited}}" }
                  healthy: { provider: openai-chat, baseUrl: "{{url:healthy}}" }
                  keyless: { provider: openai-chat, baseUrl: "{{url:keyless}}", apiKey: "${env:TOKENRELAY_IT_UNSET_KEY_3}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            relay.send(request("meets-429", null, null));
            assertThat(relay.awaitResult("meets-429").status()).isEqualTo(ResultStatus.SUCCEEDED);
            relay.accountStates(all -> !all.isEmpty());
            Path config = commandConfig(relay);
            String metricsUrl = relay.processor().opsUri().orElseThrow() + "/metrics";

            // When the accounts command runs against the broker and the processor's metrics
            Run run = accounts("--config", config.toString(), "--metrics-url", metricsUrl);

            // Then the cooling account shows until when, why, its failures and its success rate
            assertThat(run.exit()).isZero();
            assertThat(run.err()).isEmpty();
            String[] limited = line(run.out(), "limited").split("\\s{2,}");
            assertThat(limited[1]).matches("\\d\\d:\\d\\d:\\d\\dZ \\(\\d+s left\\)");
            assertThat(limited).containsSubsequence("limited", "status_429", "1", "no", "ok", "0", "0", "0% (0/1)",
                    "status_429 (429)");
            assertThat(limited).hasSize(10);
            // And the healthy account is not cooling, with every attempt a success
            String healthy = line(run.out(), "healthy");
            assertThat(healthy).startsWith("healthy").contains("100% (1/1)").doesNotContain("left)");
            // And the account whose key variable is unset says so in its own column
            assertThat(line(run.out(), "keyless").split("\\s{2,}")).containsExactly("keyless", "-", "-", "0", "no",
                    "no credential", "0", "0", "-", "-");

            // When the metrics endpoint cannot be reached
            Run unreachable = accounts("--config", config.toString(), "--metrics-url", "http://127.0.0.1:1/metrics");

            // Then the table still shows the topic's states, with dashes for the metrics, and says why
            assertThat(unreachable.exit()).isZero();
            assertThat(line(unreachable.out(), "limited")).contains("status_429").doesNotContain("0% (0/1)");
            assertThat(unreachable.err()).contains("metrics: http://127.0.0.1:1/metrics is unreachable")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void shouldCountFailuresThatNeverCoolAndShowTheLatestOne() throws IOException {
        // Given an account that answers empty completions before a steady one, and one that resets every connection
        upstream.script("empty", Behaviour.emptyCompletion());
        upstream.script("steady", Behaviour.ok());
        upstream.script("resets", Behaviour.reset());
        String yaml = """
                pools:
                  main:
                    accounts: [empty, steady]
                accounts:
                  empty:  { provider: openai-chat, baseUrl: "{{url:empty}}" }
                  steady: { provider: openai-chat, baseUrl: "{{url:steady}}" }
                  resets: { provider: openai-chat, baseUrl: "{{url:resets}}" }
                """;
        try (RelayHarness relay = RelayHarness.start(KAFKA, upstream, 2, yaml)) {
            // And five requests that each meet an empty completion first, and three pinned to the resetting account
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                relay.send(request("empty-then-ok-" + i, null, null));
                ids.add("empty-then-ok-" + i);
            }
            for (int i = 0; i < 3; i++) {
                relay.send(request("pinned-reset-" + i, null, "resets"));
                ids.add("pinned-reset-" + i);
            }
            relay.awaitResults(ids);
            String metricsUrl = relay.processor().opsUri().orElseThrow() + "/metrics";

            // When the accounts command runs
            Run run = accounts("--config", relay.writeConfigFile(dir).toString(), "--metrics-url", metricsUrl);

            // Then FAILURES counts every failed attempt and LAST ERROR shows the latest, though neither account cools
            assertThat(run.exit()).isZero();
            assertThat(line(run.out(), "empty").split("\\s{2,}")).containsExactly("empty", "-", "-", "5", "no", "ok",
                    "0", "0", "0% (0/5)", "empty_completion (200)");
            assertThat(line(run.out(), "resets").split("\\s{2,}")).containsExactly("resets", "-", "-", "3", "no", "ok",
                    "0", "0", "0% (0/3)", "connection_reset");
            assertThat(line(run.out(), "steady").split("\\s{2,}")).containsExactly("steady", "-", "-", "0", "no", "ok",
                    "0", "0", "100% (5/5)", "-");
            // And a success clears them
            upstream.script("empty", Behaviour.ok());
            relay.send(request("ok-at-last", null, null));
            relay.awaitResult("ok-at-last");
            Run after = accounts("--config", relay.writeConfigFile(dir).toString(), "--metrics-url", metricsUrl);
            assertThat(line(after.out(), "empty").split("\\s{2,}")).containsSubsequence("empty", "-", "-", "0", "no")
                    .endsWith("-");
        }
    }

    @Test
    void shouldFailWithAMessageWhenTheAccountsTopicDoesNotExist() throws IOException {
        // Given a configuration naming an accounts topic nobody created
        Path config = Files.writeString(dir.resolve("tokenrelay.yaml"), """
                kafka: {bootstrapServers: "%s"}
                topics:
                  accounts: {name: "%s"}
                accounts:
                  a: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1"}
                pools:
                  main: {accounts: [a]}
                ops: {port: -1}
                """.formatted(KAFKA.bootstrapServers(), KAFKA.uniqueName("missing-accounts")));

        // When the command runs
        Run run = accounts("--config", config.toString());

        // Then it fails with a message that says what is missing
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("does not exist").contains("has a processor with this configuration run yet?")
                .doesNotContain("\tat ");
    }

    /** The processor's accounts and topics, as a user's configuration file would hold them. */
    private Path commandConfig(RelayHarness relay) throws IOException {
        return Files.writeString(dir.resolve("tokenrelay.yaml"), """
                kafka: {bootstrapServers: "%s"}
                topics:
                  accounts: {name: "%s", partitions: 1}
                accounts:
                  limited: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1"}
                  healthy: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1"}
                  keyless: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1", apiKey: "${env:TOKENRELAY_IT_UNSET_KEY_3}"}
                pools:
                  main: {accounts: [limited, healthy, keyless]}
                ops: {port: -1}
                """.formatted(KAFKA.bootstrapServers(), relay.config().topics().accounts().name()));
    }

    private static String line(String table, String account) {
        return table.lines().filter(l -> l.startsWith(account + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + account + " in:\n" + table));
    }

    private record Run(int exit, String out, String err) {}

    private static Run accounts(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new AccountsCommand());
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        int exit = command.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
