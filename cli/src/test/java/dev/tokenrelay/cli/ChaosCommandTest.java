package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code chaos} refuses before it starts anything. The run itself is what FaultSuiteIT plays. */
class ChaosCommandTest {

    @TempDir
    Path dir;

    @Test
    void shouldRefuseAConfigurationWithoutACluster() throws IOException {
        // Given a configuration that names no bootstrap servers, so each instance would embed a broker of its own
        Path config = Files.writeString(dir.resolve("tokenrelay.yaml"),
                "pools: {main: {accounts: [a]}}\naccounts: {a: {provider: openai-chat, baseUrl: \"http://127.0.0.1:1/v1\"}}\n");

        // When chaos is asked to run it without a broker of its own
        Cli.Run run = Cli.run(new ChaosCommand(), "--config", config.toString(), "--work-dir", dir.resolve("work").toString());

        // Then it stops with a usage error that says what to do, and started nothing
        assertThat(run.exitCode()).as(run.err()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run.err()).contains("names no kafka.bootstrapServers").contains("--broker-dir").doesNotContain("Exception");
        assertThat(dir.resolve("work")).doesNotExist();
    }

    @Test
    void shouldRefuseAMissingConfigurationAndAnEmptyRun() {
        // Given no configuration file, then a run of no requests
        // When chaos is asked for either
        Cli.Run missing = Cli.run(new ChaosCommand(), "--config", dir.resolve("nope.yaml").toString());
        Cli.Run empty = Cli.run(new ChaosCommand(), "--config", dir.resolve("nope.yaml").toString(), "--requests", "0");

        // Then each is a usage error naming the problem
        assertThat(missing.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(missing.err()).contains("nope.yaml: no such file");
        assertThat(empty.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(empty.err()).contains("--requests, --rounds and --instances must be at least 1");
    }
}
