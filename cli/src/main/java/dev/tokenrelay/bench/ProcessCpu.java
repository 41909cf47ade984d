package dev.tokenrelay.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time of another process from {@code /proc/<pid>/stat}: user plus system time of every
 * thread it has, so JIT compilation, garbage collection and native threads count as they do for an
 * operator looking at {@code top}.
 */
final class ProcessCpu {

    /** Linux's USER_HZ on every mainstream architecture, used when {@code getconf} cannot say. */
    static final long DEFAULT_TICKS_PER_SECOND = 100;

    private static final long TICKS_PER_SECOND = askGetconf();

    private ProcessCpu() {}

    /** The clock ticks per second {@code /proc/<pid>/stat} counts in. */
    static long ticksPerSecond() {
        return TICKS_PER_SECOND;
    }

    /** CPU time of process {@code pid} so far, in nanoseconds; empty when it cannot be read (gone, not Linux). */
    static OptionalLong cpuNanos(long pid) {
        try {
            OptionalLong ticks = cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"),
                    StandardCharsets.US_ASCII));
            return ticks.isPresent() ? OptionalLong.of(ticks.getAsLong() * 1_000_000_000L / ticksPerSecond())
                    : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * utime + stime (fields 14 and 15) of a {@code /proc/<pid>/stat} line, in clock ticks; empty
     * when the line is not one. The fields are counted after the last {@code ')'}: the command
     * name before it may hold spaces and parentheses.
     */
    static OptionalLong cpuTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return OptionalLong.empty();
        }
        // After ") " come field 3 (state) onwards: utime is field 14, so index 11 here.
        String[] fields = stat.substring(close + 1).strip().split("\\s+");
        if (fields.length < 13) {
            return OptionalLong.empty();
        }
        try {
            long user = Long.parseLong(fields[11]);
            long system = Long.parseLong(fields[12]);
            return user < 0 || system < 0 ? OptionalLong.empty() : OptionalLong.of(user + system);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static long askGetconf() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String text = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (getconf.waitFor(5, TimeUnit.SECONDS) && getconf.exitValue() == 0) {
                long ticks = Long.parseLong(text);
                return ticks > 0 ? ticks : DEFAULT_TICKS_PER_SECOND;
            }
        } catch (IOException | NumberFormatException e) {
            // No getconf: the default below.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_TICKS_PER_SECOND;
    }
}
