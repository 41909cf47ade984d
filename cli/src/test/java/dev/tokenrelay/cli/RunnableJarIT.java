package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.tools.JvmOptions;
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

    @Test
    void shouldStartThroughTheStartScriptWithTheShippedJvmOptions() throws Exception {
        // Given the start script next to its jvm.options, and a JAVA_OPTS that asks the JVM to print its flags
        // When it runs tokenrelay --version
        String printed = runScript("-XX:+PrintCommandLineFlags");

        // Then the jar answers, in a JVM started with every shipped -XX option and then JAVA_OPTS
        assertThat(printed).contains("tokenrelay");
        List<String> flags = JvmOptions.shipped().stream().filter(option -> option.startsWith("-XX:")).toList();
        assertThat(flags).isNotEmpty();
        assertThat(printed).contains(flags).contains("-XX:+PrintCommandLineFlags");
    }

    @Test
    void shouldLetACollectorInJavaOptsReplaceTheShippedOne() throws Exception {
        // Given a JAVA_OPTS that chooses G1, which the JVM refuses next to the shipped serial collector
        // When the script runs tokenrelay --version
        String printed = runScript("-XX:+UseG1GC -XX:+PrintCommandLineFlags");

        // Then the JVM starts with G1 alone
        assertThat(printed).contains("tokenrelay", "-XX:+UseG1GC").doesNotContain("-XX:+UseSerialGC");
    }

    /** Runs {@code bin/tokenrelay --version} with {@code javaOpts}; its output, once it exited 0. */
    private String runScript(String javaOpts) throws Exception {
        Path script = Path.of("..", "bin", "tokenrelay").toAbsolutePath().normalize();
        assertThat(script).isExecutable();
        Path out = Files.createTempFile(dir, "version", ".out");
        ProcessBuilder builder = new ProcessBuilder(script.toString(), "--version").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        builder.environment().put("JAVA_OPTS", javaOpts);
        builder.environment().remove("TOKENRELAY_JAR");
        Process version = builder.start();
        boolean exited = version.waitFor(1, TimeUnit.MINUTES);
        if (!exited) {
            version.destroyForcibly();
        }
        assertThat(exited).as("the script's JVM exited within a minute").isTrue();
        String printed = Files.readString(out);
        assertThat(version.exitValue()).as("exit code; output:%n%s", printed).isZero();
        return printed;
    }

    private static String tail(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
