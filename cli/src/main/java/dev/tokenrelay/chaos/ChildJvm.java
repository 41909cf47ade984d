package dev.tokenrelay.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenrelay} command in a JVM of its own, started from this JVM's class path (the jar an
 * operator runs), so {@code chaos} can kill it as a crash does (SIGKILL) or stop it as an operator
 * does (SIGTERM). Its standard output and error go to files in its directory, and it is killed
 * with this JVM if still running.
 */
public final class ChildJvm implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final Path out;
    private final Path err;
    private final Thread killOnExit;

    private ChildJvm(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
        this.killOnExit = new Thread(process::destroyForcibly, "kill-child-" + process.pid());
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts {@code tokenrelay args...} in {@code dir}, its output in {@code dir/name.out} and
     * {@code dir/name.err}.
     */
    public static ChildJvm start(Path dir, String name, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(absoluteClassPath());
        command.add("dev.tokenrelay.cli.Main");
        command.addAll(List.of(args));
        try {
            Files.createDirectories(dir);
            Path out = dir.resolve(name + ".out");
            Path err = dir.resolve(name + ".err");
            // Truncated per life: the lines a wait looks for must come from this start, not an earlier one.
            Process process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            return new ChildJvm(process, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Its process id, for what the operating system says about it ({@code /proc/<pid>}). */
    public long pid() {
        return process.pid();
    }

    /** Whether it still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until its standard output has a match of {@code pattern} and returns the first group
     * (or the whole match).
     *
     * @throws IllegalStateException if it exits first or {@code timeout} passes, with its last output
     */
    public String awaitOutput(Pattern pattern, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Optional<String> found = find(pattern);
            if (found.isPresent()) {
                return found.get();
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("process " + process.pid() + " exited with " + process.exitValue()
                        + " before printing " + pattern + "; its log ends:\n" + tail());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("process " + process.pid() + " did not print " + pattern + " within "
                        + timeout + "; its log ends:\n" + tail());
            }
            pause();
        }
    }

    /** SIGKILL, and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(KILL_WAIT);
    }

    /** SIGTERM, and waits until it has exited; returns its exit code. */
    public int stop(Duration timeout) {
        process.destroy();
        return awaitExit(timeout);
    }

    /** The last lines of its log, for messages. */
    public String tail() {
        String log = read(err);
        return log.length() <= 4_000 ? log : log.substring(log.length() - 4_000);
    }

    private int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("process " + process.pid() + " still runs " + timeout + " after it was "
                        + "asked to stop; its log ends:\n" + tail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for process " + process.pid(), e);
        }
        return process.exitValue();
    }

    /** Kills it if it still runs. */
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

    // The child runs in a directory of its own: a class path given relative to ours
    // (java -jar processor/target/tokenrelay.jar) must not be read relative to its.
    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            entries.add(entry.isEmpty() ? entry : Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private Optional<String> find(Pattern pattern) {
        Matcher matcher = pattern.matcher(read(out));
        return matcher.find() ? Optional.of(matcher.groupCount() > 0 ? matcher.group(1) : matcher.group()) : Optional.empty();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
