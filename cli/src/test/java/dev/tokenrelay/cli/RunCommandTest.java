package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.testing.Cli;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {

    @TempDir
    Path dir;

    @Test
    void shouldStopAtOnceSayingWhichAddressRefusedTheConnection() throws IOException {
        // Given a configuration whose bootstrap server has nothing listening
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("tokenrelay.yaml"), """
                kafka:
                  bootstrapServers: "127.0.0.1:%d"
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1"}
                ops:
                  port: -1
                """.formatted(port));

        // When the processor is run with it
        long start = System.nanoTime();
        Cli.Run run = Cli.run(new Main(), "run", "--config", config.toString());

        // Then it fails in seconds with the address, the cause and what to check, without a stack trace
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(run.err().strip()).isEqualTo("tokenrelay: cannot connect to Kafka at 127.0.0.1:" + port
                + " (kafka.bootstrapServers): connection refused; check that the broker is running and that the address is right");
    }

    @Test
    void shouldRefuseAKafkaPasswordReferenceThatResolvesToNothingAsAConfigurationError() throws IOException {
        // Given a SASL password kept in a file that does not exist
        Path config = Files.writeString(dir.resolve("tokenrelay.yaml"), """
                kafka:
                  bootstrapServers: "127.0.0.1:1"
                  streams:
                    sasl.jaas.config: "${file:%s}"
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1"}
                ops:
                  port: -1
                """.formatted(dir.resolve("missing-jaas.conf")));

        // When the processor is run with it
        Cli.Run run = Cli.run(new Main(), "run", "--config", config.toString());

        // Then it is a configuration error naming the setting
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run.err()).contains("kafka.streams[\"sasl.jaas.config\"]").contains("is unset, empty or unreadable");
    }
}
