package dev.tokenrelay.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.cli.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tokenrelay processor in a JVM of its own, {@code tokenrelay run --config FILE}, for tests that
 * must end it as a crash does ({@link #kill()}, SIGKILL: no shutdown hook, no commit, no leaving
 * the group) or as an operator does ({@link #stop()}, SIGTERM). Everything it prints, standard
 * output and error, goes to one log file.
 *
 * <pre>{@code
 * try (ChildProcessor processor = ChildProcessor.start(harness.writeConfigFile(dir))) {
 *     processor.awaitOutput("tokenrelay started", RelayHarness.WAIT);
 *     ...
 *     processor.kill();
 * }
 * }</pre>
 *
 * <p>The child runs this JVM's {@code java} on the test class path, so it runs the code under
 * test, not a jar built earlier. A child still alive when the test JVM ends is killed with it.
 */
public final class ChildProcessor implements AutoCloseable {

    /** How long {@link #kill()} and {@link #close()} wait for the process to be gone. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    /**
     * The options of {@link #start(Path)}. The test machines are small and shared, and a JVM starting
     * the processor compiles far more than it runs: on two busy cores the default compilers and
     * collector make a start take twice as long. The client compiler alone (C1) and the serial
     * collector take much less CPU while it starts, and change nothing the processor does.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Process process;
    private final Instant startedAt;
    private final Path log;
    private final Thread killOnExit;

    private ChildProcessor(Process process, Instant startedAt, Path log) {
        this.process = process;
        this.startedAt = startedAt;
        this.log = log;
        this.killOnExit = new Thread(process::destroyForcibly, "kill-child-processor-" + process.pid());
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts {@code tokenrelay run --config configFile} with {@link #DEFAULT_JVM_OPTIONS}, logging to
     * {@code processor-N.log} beside the configuration file.
     */
    public static ChildProcessor start(Path configFile) {
        Path log = configFile.toAbsolutePath().resolveSibling("processor-" + COUNTER.incrementAndGet() + ".log");
        return start(configFile, log, DEFAULT_JVM_OPTIONS);
    }

    /**
     * Starts {@code tokenrelay run --config configFile} with the given JVM options (e.g.
     * {@code -Xmx256m}), appending what it prints to {@code log}.
     */
    public static ChildProcessor start(Path configFile, Path log, List<String> jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(testClassPath());
        command.add(Main.class.getName());
        command.add("run");
        command.add("--config");
        command.add(configFile.toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Instant startedAt = Instant.now();
            return new ChildProcessor(builder.start(), startedAt, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** The operating system's id of the child process. */
    public long pid() {
        return process.pid();
    }

    /** When the process was started, just before the operating system was asked to. */
    public Instant startedAt() {
        return startedAt;
    }

    /** The file that holds what the process printed. */
    public Path log() {
        return log;
    }

    /** Everything the process has printed so far. */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until the process has printed {@code text}; fails with its output if it exits first
     * or {@code timeout} passes.
     */
    public void awaitOutput(String text, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> output().contains(text) || !process.isAlive());
        assertThat(output()).as(() -> "processor " + pid() + " printed '" + text + "'; its output:\n" + output())
                .contains(text);
    }

    /** Kills the process with SIGKILL, as a crash would, and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(EXIT_WAIT);
    }

    /** Asks the process to stop with SIGTERM, as an operator or an orchestrator does; see {@link #awaitExit}. */
    public void stop() {
        process.destroy();
    }

    /**
     * Waits until the process has ended and returns its exit code; fails with its output if it is
     * still running after {@code timeout}.
     */
    public int awaitExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(exited).as(() -> "processor " + pid() + " exited within " + timeout + "; its output:\n" + output())
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for processor " + pid(), e);
        }
        return process.exitValue();
    }

    /** Kills the process if it still runs: a test that failed half-way leaves nothing behind. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down, and the hook kills the process.
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    // Failsafe and Surefire may start the test JVM from a jar whose manifest holds the class path,
    // leaving java.class.path with that jar alone; they give the real one in this property.
    private static String testClassPath() {
        String classPath = System.getProperty("surefire.test.class.path");
        if (classPath == null || classPath.isBlank()) {
            classPath = System.getProperty("java.class.path");
        }
        return classPath;
    }
}
