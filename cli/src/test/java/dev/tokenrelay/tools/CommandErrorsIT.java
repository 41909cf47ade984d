package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.cli.ReplayCommand;
import dev.tokenrelay.cli.ResultsCommand;
import dev.tokenrelay.testing.Cli;
import dev.tokenrelay.testing.KafkaBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Runtime failures of the tools: exit code 1, one short message that says what to do, no stack trace. */
class CommandErrorsIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @TempDir
    Path dir;

    @Test
    void shouldFailWithinSecondsWithAShortMessageWhenTheBrokerIsUnreachable() throws IOException {
        // Given an address where no broker listens
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }

        // When results are asked of it
        long start = System.nanoTime();
        Cli.Run run = Cli.run(new ResultsCommand(), "--bootstrap-servers", "127.0.0.1:" + port);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        // Then it fails soon, with one line saying what to check
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(took).isLessThan(Duration.ofSeconds(20));
        assertThat(run.err().strip()).isEqualTo("tokenrelay results: cannot connect to Kafka at 127.0.0.1:" + port
                + " (--bootstrap-servers): connection refused; check that the broker is running and that the address is right");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void shouldNameTheTopicsThatDoNotExist() {
        // Given a configuration naming topics nobody created
        String prefix = KAFKA.uniqueName("absent");
        Path config = ToolConfig.write(dir, KAFKA.bootstrapServers(), prefix);

        // When failed requests are replayed
        Cli.Run run = Cli.run(new ReplayCommand(), "--config", config.toString());

        // Then it says which topics are missing and how they come to exist
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("tokenrelay replay: topics [" + prefix + ".dead-letter, " + prefix
                + ".requests] do not exist at " + KAFKA.bootstrapServers() + ": start the processor once (tokenrelay run "
                + "creates its topics), or check the topic names (topics.* in the configuration)");
    }
}
