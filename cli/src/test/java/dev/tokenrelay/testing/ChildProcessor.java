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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenrelay} command in a JVM of its own, for what only a process shows: its exit code,
 * what it writes to standard output and error, and how it ends when killed as a crash does
 * ({@link #kill()}, SIGKILL: no shutdown hook, no commit, no leaving the group) or stopped as an
 * operator does ({@link #stop()}, SIGTERM).
 *
 * <pre>{@code
 * try (ChildProcessor processor = ChildProcessor.run(harness.writeConfigFile(dir))) {
 *     processor.awaitOutput("tokenrelay started", RelayHarness.WAIT);
 *     processor.kill();
 * }
 * try (ChildProcessor child = ChildProcessor.command("run", "--config", file.toString(), "--log-format", "json")
 *         .directory(dir).environment("TOKENRELAY_X", "y").start()) {
 *     URI ops = URI.create(child.awaitOutput(Pattern.compile("metrics on (http://\\S+)/metrics"), WAIT));
 *     child.stop();
 *     assertThat(child.awaitExit(WAIT)).isZero();
 *     assertThat(child.err()).doesNotContain("Exception");
 * }
 * }</pre>
 *
 * <p>The child always runs the code under test: this JVM's {@code java} on the test class path,
 * never the shaded jar, which an IDE does not rebuild and which may be older than the classes. It
 * logs with the product's {@code log4j2.xml}, not the tests' {@code log4j2-test.xml} that comes
 * first on that class path, so its log looks as a user's does. Standard output and error go to
 * files of their own, so a chatty child never blocks on a full pipe and a test can tell them apart.
 * A child still alive when the test JVM ends is killed with it.
 */
public final class ChildProcessor implements AutoCloseable {

    /**
     * The JVM options unless {@link Builder#jvmOptions} says otherwise. The test machines are small
     * and shared, and a JVM starting the processor compiles far more than it runs: on two busy cores
     * the default compilers and collector make a start take twice as long. The client compiler
     * alone (C1) and the serial collector take much less CPU while it starts, and change nothing the
     * processor does.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    /** How long {@link #kill()} and {@link #close()} wait for the process to be gone. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    // Numbers the output files, so that the processors of one test, restarted or side by side,
    // each keep their own.
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Process process;
    private final Instant startedAt;
    private final Path out;
    private final Path err;
    private final Thread killOnExit;

    private ChildProcessor(Process process, Instant startedAt, Path out, Path err) {
        this.process = process;
        this.startedAt = startedAt;
        this.out = out;
        this.err = err;
        this.killOnExit = new Thread(process::destroyForcibly, "kill-child-processor-" + process.pid());
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts {@code tokenrelay run --config configFile} with {@link #DEFAULT_JVM_OPTIONS}, its output
     * files beside the configuration file.
     */
    public static ChildProcessor run(Path configFile) {
        Path config = configFile.toAbsolutePath();
        return command("run", "--config", config.toString()).directory(config.getParent()).start();
    }

    /** A child that will run {@code tokenrelay args...}; see {@link Builder#start()}. */
    public static Builder command(String... args) {
        return new Builder(List.of(args));
    }

    /** What to start: the command's arguments, its directory, environment and JVM options. */
    public static final class Builder {

        private final List<String> args;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;
        private Path directory;

        private Builder(List<String> args) {
            this.args = args;
        }

        /** Its working directory, where its output files go too; the test JVM's if not given. */
        public Builder directory(Path directory) {
            this.directory = directory.toAbsolutePath();
            return this;
        }

        /** Adds a variable to the environment it inherits from the test JVM. */
        public Builder environment(String name, String value) {
            environment.put(name, value);
            return this;
        }

        /** Adds variables to the environment it inherits from the test JVM. */
        public Builder environment(Map<String, String> variables) {
            environment.putAll(variables);
            return this;
        }

        /** JVM options instead of {@link #DEFAULT_JVM_OPTIONS}, e.g. the JVM's defaults with {@code List.of()}. */
        public Builder jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        /** Starts the process, with standard output and error in {@code NAME-N.out} and {@code NAME-N.err}. */
        public ChildProcessor start() {
            Path dir = directory != null ? directory : Path.of("").toAbsolutePath();
            String name = (args.isEmpty() ? "tokenrelay" : args.get(0)) + "-" + COUNTER.incrementAndGet();
            Path out = dir.resolve(name + ".out");
            Path err = dir.resolve(name + ".err");
            List<String> command = new ArrayList<>();
            command.add(javaExecutable());
            command.addAll(jvmOptions);
            command.add("-Dlog4j2.configurationFile=classpath:log4j2.xml");
            command.add("-cp");
            command.add(testClassPath());
            command.add(Main.class.getName());
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(environment);
            try {
                Instant startedAt = Instant.now();
                return new ChildProcessor(builder.start(), startedAt, out, err);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
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

    /** Whether the process still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything written to standard output so far. */
    public String out() {
        return read(out);
    }

    /** Everything written to standard error so far: the log. */
    public String err() {
        return read(err);
    }

    /** Everything printed so far, standard output then standard error, for messages and searches. */
    public String output() {
        return "--- standard output:\n" + out() + "--- standard error:\n" + err();
    }

    /**
     * Waits until the process has printed {@code text} on standard output or error; fails with its
     * output if it exits first or {@code timeout} passes.
     */
    public void awaitOutput(String text, Duration timeout) {
        awaitOutput(Pattern.compile(Pattern.quote(text)), timeout);
    }

    /**
     * Waits until standard output or error has a match of {@code pattern} and returns its first
     * group, or the whole match if it has none; fails with the output if the process exits first or
     * {@code timeout} passes.
     */
    public String awaitOutput(Pattern pattern, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> find(pattern).isPresent() || !process.isAlive());
        Optional<String> found = find(pattern);
        assertThat(found).as(() -> "processor " + pid() + " printed a match of " + pattern
                + (process.isAlive() ? "" : " before it exited with " + process.exitValue()) + "; its output:\n" + output())
                .isPresent();
        return found.orElseThrow();
    }

    private Optional<String> find(Pattern pattern) {
        Matcher matcher = pattern.matcher(out());
        if (!matcher.find()) {
            matcher = pattern.matcher(err());
            if (!matcher.find()) {
                return Optional.empty();
            }
        }
        return Optional.of(matcher.groupCount() > 0 ? matcher.group(1) : matcher.group());
    }

    /** Kills the process with SIGKILL, as a crash would, and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(EXIT_WAIT);
    }

    /** Asks the process to stop with SIGTERM, as {@code kill}, {@code docker stop} or a service manager does; see {@link #awaitExit}. */
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

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
