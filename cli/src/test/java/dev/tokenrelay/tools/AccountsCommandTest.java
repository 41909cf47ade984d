package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.cli.AccountsCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code accounts} command's answers to wrong arguments and an unreachable broker. */
class AccountsCommandTest {

    private static final String CONFIG = """
            kafka: {bootstrapServers: "127.0.0.1:1"}
            accounts:
              a: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1"}
            pools:
              main: {accounts: [a]}
            ops: {port: -1}
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void shouldExitWithUsageWhenTheConfigIsMissing() {
        // When the command runs without --config
        int exit = run();

        // Then it is a usage error that names the option
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--config");
    }

    @Test
    void shouldExitWithUsageForAnInvalidConfiguration() throws IOException {
        // Given a configuration with a misspelt key
        Path config = write(CONFIG.replace("pools:", "pool:"));

        // When the command runs
        int exit = run("--config", config.toString());

        // Then the message names the problem, without a stack trace
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("invalid configuration").contains("pool: unknown key");
        assertThat(err.toString()).doesNotContain("\tat ");
    }

    @Test
    void shouldExitWithUsageForAMetricsUrlThatIsNotHttp() throws IOException {
        int exit = run("--config", write(CONFIG).toString(), "--metrics-url", "localhost:9464");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--metrics-url").contains("is not an http(s) URL");
    }

    @Test
    void shouldExitWithUsageForAnIntervalWithoutWatch() throws IOException {
        int exit = run("--config", write(CONFIG).toString(), "--interval", "1s");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--interval only applies with --watch");
    }

    @Test
    void shouldExitWithFailureAndAMessageWhenTheBrokerIsUnreachable() throws IOException {
        // Given a configuration whose broker does not listen
        Path config = write(CONFIG);

        // When the command runs with a short timeout
        int exit = run("--config", config.toString(), "--timeout", "1s");

        // Then it says it cannot reach Kafka, and where, without a stack trace
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("cannot connect to Kafka at 127.0.0.1:1").contains("connection refused").doesNotContain("\tat ");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldAcceptACompoundTimeout() throws IOException {
        // Given a configuration whose broker refuses connections at once
        Path config = write(CONFIG);

        // When the command runs with a timeout written as hours and minutes
        int exit = run("--config", config.toString(), "--timeout", "1h30m");

        // Then the timeout is read (no usage error): the command gets as far as the broker
        assertThat(err.toString()).doesNotContain("Invalid value").contains("cannot connect to Kafka at 127.0.0.1:1");
        assertThat(exit).isEqualTo(1);
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("tokenrelay.yaml"), yaml);
    }

    private int run(String... args) {
        CommandLine command = new CommandLine(new AccountsCommand());
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        return command.execute(args);
    }
}
