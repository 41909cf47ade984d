package dev.tokenrelay.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code tokenrelay} command in a JVM of its own, as a user starts it: for what only a process
 * shows, its exit code after a signal and what it writes to standard output and error.
 *
 * <p>It runs the shaded jar named by the system property {@value #JAR_PROPERTY} (failsafe sets it:
 * the jar is built before the integration tests), and otherwise the test JVM's own class path.
 * Standard output and error go to files, so a chatty child never blocks on a full pipe.
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(dir, Map.of(), "run", "--config", file.toString())) {
 *     child.awaitOut(line -> line.contains("metrics on"), Duration.ofSeconds(60));
 *     child.terminate();                                  // SIGTERM
 *     assertThat(child.awaitExit(Duration.ofSeconds(60))).isEqualTo(0);
 *     assertThat(child.err()).doesNotContain("Exception");
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {

    /** System property naming the runnable jar. */
    public static final String JAR_PROPERTY = "tokenrelay.jar";
    private static final String MAIN_CLASS = "dev.tokenrelay.cli.Main";

    private final Process process;
    private final Path out;
    private final Path err;

    private ChildJvm(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * Starts {@code tokenrelay args...}.
     *
     * @param dir         where its output files go (and its working directory)
     * @param environment variables added to this JVM's environment
     */
    public static ChildJvm start(Path dir, Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx512m");
        String jar = System.getProperty(JAR_PROPERTY);
        if (jar != null && Files.isRegularFile(Path.of(jar))) {
            command.addAll(List.of("-jar", jar));
        } else {
            // Under failsafe this may be a manifest-only jar, whose Class-Path the child follows too.
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS));
        }
        command.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().putAll(environment);
        try {
            return new ChildJvm(builder.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
    }

    /**
     * Waits until a line of standard output matches {@code pattern} and returns its first group.
     *
     * @throws org.awaitility.core.ConditionTimeoutException when none does in time; the message
     *     carries the child's standard error
     */
    public String awaitOut(Pattern pattern, Duration timeout) {
        return await().atMost(timeout).pollInterval(Duration.ofMillis(100))
                .alias("a line matching " + pattern + " on the child's standard output")
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the child exited with " + process.exitValue()
                                + "; standard error:\n" + err());
                    }
                    return firstMatch(out(), pattern);
                }, Optional::isPresent).orElseThrow();
    }

    private static Optional<String> firstMatch(String text, Pattern pattern) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? Optional.of(matcher.groupCount() > 0 ? matcher.group(1) : matcher.group()) : Optional.empty();
    }

    /** Sends SIGTERM, as {@code kill}, {@code docker stop} and a service manager do. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the child to exit and returns its exit code; -1 if it has not exited in time. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Everything written to standard output so far. */
    public String out() {
        return read(out);
    }

    /** Everything written to standard error so far. */
    public String err() {
        return read(err);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills the child if it still runs (a test that failed half-way must not leave it behind). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
