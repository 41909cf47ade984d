package dev.tokenrelay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The memory figures of the backlog mode: a process's resident memory, and growth per 100,000 queued. */
final class ProcessMemory {

    /**
     * Below this many queued, the growth per 100k is the noise of a working JVM (garbage, buffers,
     * JIT) scaled up, not the cost of the queue.
     */
    static final long MIN_QUEUED = 10_000;

    private ProcessMemory() {}

    /** The resident memory of process {@code pid} from {@code /proc/<pid>/status}; empty when it cannot be read. */
    static OptionalLong residentBytes(long pid) {
        try {
            return vmRss(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        } catch (IOException | RuntimeException e) {
            // Gone, or not Linux: the sample goes without it.
            return OptionalLong.empty();
        }
    }

    /** {@code VmRSS} of a {@code /proc/<pid>/status} text in bytes (the kernel writes it in kB); empty when absent. */
    static OptionalLong vmRss(String status) {
        for (String line : status.split("\n")) {
            if (!line.startsWith("VmRSS:")) {
                continue;
            }
            String[] parts = line.substring("VmRSS:".length()).strip().split("\\s+");
            try {
                long value = Long.parseLong(parts[0]);
                String unit = parts.length > 1 ? parts[1] : "kB";
                return switch (unit) {
                    case "kB" -> OptionalLong.of(value * 1024);
                    case "mB" -> OptionalLong.of(value * 1024 * 1024);
                    default -> OptionalLong.empty();
                };
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    /**
     * How much memory grew per 100,000 queued attempts: (peak - idle) x 100,000 / peak queued;
     * {@code null} when fewer than {@link #MIN_QUEUED} were queued. Heap used counts garbage not yet collected, so for the
     * heap it is an upper bound.
     */
    static Double perHundredThousand(long idleBytes, long peakBytes, long peakQueued) {
        if (peakQueued < MIN_QUEUED) {
            return null;
        }
        return Math.max(0, peakBytes - idleBytes) * 100_000.0 / peakQueued;
    }
}
