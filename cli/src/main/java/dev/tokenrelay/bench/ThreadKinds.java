package dev.tokenrelay.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The CPU of another JVM's threads, summed by what they do, from {@code /proc/<pid>/task}: where a
 * processor's CPU goes (JIT, GC, stream threads, upstream HTTP, ...) without an agent in it. Linux
 * cuts thread names at 15 characters, so a thread is told by the start of its name.
 */
final class ThreadKinds {

    static final String JIT = "JIT compilers";
    static final String GC = "GC";
    static final String VM = "VM";
    static final String STREAMS = "Kafka Streams threads";
    static final String CLIENTS = "Kafka client I/O threads";
    static final String HTTP = "upstream HTTP I/O";
    static final String ROCKSDB = "RocksDB background";
    static final String LOGGING = "logging";
    static final String OTHER = "other";

    private ThreadKinds() {}

    /**
     * CPU so far of each thread alive in process {@code pid}, by task id, in nanoseconds; empty
     * when it cannot be read (gone, not Linux).
     *
     * @param streamsPrefix how the names of the application's Kafka Streams threads start (its
     *                      application id)
     */
    static Map<String, Sample> sample(long pid, String streamsPrefix) {
        Map<String, Sample> samples = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String name = read(task.resolve("comm"));
                String schedstat = read(task.resolve("schedstat"));
                if (name == null || schedstat == null || schedstat.isBlank()) {
                    continue;
                }
                try {
                    long nanos = Long.parseLong(schedstat.strip().split(" ")[0]);
                    samples.put(task.getFileName().toString(), new Sample(kindOf(name.strip(), streamsPrefix), nanos));
                } catch (NumberFormatException e) {
                    // Not a schedstat line: the thread is left out.
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return samples;
    }

    /**
     * CPU by kind between two samples, in nanoseconds, largest first. A thread that started after
     * {@code before} counts from 0; one that ended before {@code after} is not seen.
     */
    static Map<String, Long> between(Map<String, Sample> before, Map<String, Sample> after) {
        Map<String, Long> byKind = new TreeMap<>();
        after.forEach((task, sample) -> {
            Sample earlier = before.get(task);
            long nanos = sample.nanos() - (earlier == null ? 0 : earlier.nanos());
            byKind.merge(sample.kind(), Math.max(0, nanos), Long::sum);
        });
        Map<String, Long> sorted = new LinkedHashMap<>();
        byKind.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** What a thread does, from its name as Linux keeps it (at most 15 characters). */
    static String kindOf(String name, String streamsPrefix) {
        if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            return JIT;
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")) {
            // The VM thread runs the serial and parallel collectors' pauses, and the G1 pauses' safepoints.
            return GC;
        }
        if (name.startsWith("VM Periodic") || name.equals("Sweeper thread") || name.startsWith("Monitor Deflati")
                || name.equals("Service Thread") || name.startsWith("Notification Th") || name.equals("Signal Dispatche")
                || name.startsWith("Common-Cleaner") || name.equals("Reference Handl") || name.equals("Finalizer")) {
            return VM;
        }
        if (name.startsWith(streamsPrefix.substring(0, Math.min(streamsPrefix.length(), 15)))) {
            return STREAMS;
        }
        if (name.startsWith("kafka-")) {
            return CLIENTS;
        }
        if (name.startsWith("httpclient-")) {
            return HTTP;
        }
        if (name.startsWith("rocksdb:")) {
            return ROCKSDB;
        }
        if (name.startsWith("Log4j2-")) {
            return LOGGING;
        }
        return OTHER;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    /** One thread's kind and CPU so far. */
    record Sample(String kind, long nanos) {}
}
