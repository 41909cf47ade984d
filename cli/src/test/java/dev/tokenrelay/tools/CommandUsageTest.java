package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.cli.ReplayCommand;
import dev.tokenrelay.cli.ResultsCommand;
import dev.tokenrelay.cli.SubmitCommand;
import dev.tokenrelay.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage errors: exit code 2, a message that says what is wrong and what to do, no stack trace. No broker needed. */
class CommandUsageTest {

    @TempDir
    Path dir;

    private static void assertUsageError(Cli.Run run, String message) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void shouldRefuseASubmitWithoutAFile() {
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092"),
                "Missing required parameter: 'FILE|-'");
    }

    @Test
    void shouldSayThatTheFileToSubmitDoesNotExist() {
        Cli.Run run = Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", dir.resolve("nope.jsonl").toString());

        assertUsageError(run, "nope.jsonl: no such file");
        assertThat(run.err()).contains("Run 'tokenrelay submit --help' for the options.");
    }

    @Test
    void shouldAskWhereKafkaIs() {
        assertUsageError(Cli.run(new ResultsCommand()),
                "tokenrelay results: say where Kafka is: --config FILE (the processor's configuration) or --bootstrap-servers HOST:PORT");
    }

    @Test
    void shouldRefuseAMalformedBootstrapAddress() {
        assertUsageError(Cli.run(new ResultsCommand(), "--bootstrap-servers", "localhost"),
                "--bootstrap-servers: expected host:port[,host:port...], e.g. localhost:9092, got 'localhost'");
    }

    @Test
    void shouldNameTheConfigurationProblem() throws IOException {
        // Given a configuration file with a typo
        Path config = Files.writeString(dir.resolve("bad.yaml"), "pools: {main: {accounts: [a]}}\naccounts: {a: {provider: openai-chat, baseUrl: \"http://127.0.0.1:1\", colour: red}}\n");

        assertUsageError(Cli.run(new ReplayCommand(), "--config", config.toString()), "invalid configuration: " + config);
        assertUsageError(Cli.run(new ReplayCommand(), "--config", dir.resolve("missing.yaml").toString()), "file not found");
    }

    @Test
    void shouldRefuseAnUnreadableTimeOrDuration() {
        assertUsageError(Cli.run(new ResultsCommand(), "--bootstrap-servers", "localhost:9092", "--since", "yesterday"),
                "--since: expected a time like 2025-01-31T12:00:00Z or a duration ago like 1h, got 'yesterday'");
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--wait", "--timeout", "10", "-"),
                "--timeout': expected a duration like 500ms, 15s, 5m, 1h30m, 7d or PT15S, got '10'");
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--wait", "--timeout", "0s", "-"),
                "--timeout: must be longer than zero, got '0s'");
    }

    @Test
    void shouldRefuseAPriorityThatIsNotANameOrAnIntegerInRange() {
        // Given submits whose --priority is unknown, in capitals, or out of range
        // When they run / Then each is a usage error naming the option and what it accepts
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--priority", "urgent", "-"),
                "--priority': priority must be interactive, default, batch or an integer from -100 to 100, got 'urgent'");
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--priority", "Batch", "-"),
                "got 'Batch'");
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--priority", "101", "-"),
                "got '101'");
    }

    @Test
    void shouldRefuseOptionsThatDoNotGoTogether() {
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--format", "batch", "-"),
                "--format, --output and --errors describe the results of --wait: add --wait, or leave them out");
        assertUsageError(Cli.run(new SubmitCommand(), "--bootstrap-servers", "localhost:9092", "--errors", "e.jsonl", "-"),
                "--format, --output and --errors describe the results of --wait: add --wait, or leave them out");
        assertUsageError(Cli.run(new ResultsCommand(), "--bootstrap-servers", "localhost:9092", "--from-beginning", "--since", "1h"),
                "--from-beginning and --since both say where to start: give one of them");
        assertUsageError(Cli.run(new ResultsCommand(), "--bootstrap-servers", "localhost:9092", "--latest", "--follow"),
                "--latest needs the end of the topic");
        assertUsageError(Cli.run(new ReplayCommand(), "--bootstrap-servers", "localhost:9092", "--since", "1h", "--until", "2h"),
                "must be before --until");
    }

    @Test
    void shouldRefuseUnknownStatusesAndFormats() {
        assertUsageError(Cli.run(new ResultsCommand(), "--bootstrap-servers", "localhost:9092", "--status", "failed,lost"),
                "--status: unknown status 'lost' (use succeeded, failed, expired or rejected)");
        assertUsageError(Cli.run(new ResultsCommand(), "--bootstrap-servers", "localhost:9092", "--format", "csv"),
                "--format: expected jsonl or openai-batch, got 'csv'");
    }

    @Test
    void shouldRefuseAPoolTheConfigurationDoesNotHave() throws IOException {
        Path config = Files.writeString(dir.resolve("tokenrelay.yaml"), """
                kafka: {bootstrapServers: "127.0.0.1:1"}
                pools: {main: {accounts: [a]}}
                accounts: {a: {provider: openai-chat, baseUrl: "http://127.0.0.1:1"}}
                """);

        assertUsageError(Cli.run(new ReplayCommand(), "--config", config.toString(), "--to-pool", "elsewhere"),
                "--to-pool: unknown pool 'elsewhere' (pools: main)");
    }

    @Test
    void shouldAskForTheAddressOfAnEmbeddedBrokerOnAnyPort() throws IOException {
        Path config = Files.writeString(dir.resolve("embedded.yaml"), """
                kafka: {embedded: {port: 0}}
                pools: {main: {accounts: [a]}}
                accounts: {a: {provider: openai-chat, baseUrl: "http://127.0.0.1:1"}}
                """);

        assertUsageError(Cli.run(new ResultsCommand(), "--config", config.toString()),
                "give --bootstrap-servers 127.0.0.1:PORT");
    }
}
