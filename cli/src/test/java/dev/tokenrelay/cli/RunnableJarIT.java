package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.JsonCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as the README's quick start runs it: built by the package phase (before the
 * integration tests), started with {@code java -jar} in a JVM of its own, so what only the shaded
 * jar can get wrong (its manifest, merged service files and Log4j plugin caches) is checked too.
 */
class RunnableJarIT {

    private static final Path JAR = Path.of("..", "processor", "target", "tokenrelay.jar").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void shouldRunTheDemoFromTheRunnableJarWithJsonLogLines() throws Exception {
        // Given the jar the build assembled
        assertThat(JAR).as("the runnable jar (mvn package builds it)").isRegularFile();

        // When the demo runs from it with six requests and JSON log lines
        Path out = dir.resolve("demo.out");
        Path err = dir.resolve("demo.err");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "demo", "--requests", "6", "--log-format", "json"));
        Process demo = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean exited = demo.waitFor(3, TimeUnit.MINUTES);
        if (!exited) {
            demo.destroyForcibly();
        }

        // Then it exits 0 once every request has its result
        assertThat(exited).as("demo exited within 3 minutes; stderr:%n%s", tail(err)).isTrue();
        assertThat(demo.exitValue()).as("exit code; stderr:%n%s", tail(err)).isZero();
        assertThat(Files.readString(out)).contains("6 results for 6 requests");
        // And its log lines are JSON objects, which only a jar with the layout's plugin merged can write
        List<String> logLines = Files.readAllLines(err).stream().filter(line -> line.startsWith("{")).toList();
        assertThat(logLines).isNotEmpty().allSatisfy(line -> {
            JsonNode event = JsonCodec.mapper().readTree(line);
            assertThat(event.path("message").isTextual()).as("a message in %s", line).isTrue();
        });
    }

    private static String tail(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
