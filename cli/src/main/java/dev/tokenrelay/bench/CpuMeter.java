package dev.tokenrelay.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * CPU time of this JVM's threads over a measured stretch, attributed to the components that share
 * the JVM (processor, broker, simulated upstream, load generator).
 *
 * <ul>
 *   <li>Java threads: CPU time and bytes allocated from {@link com.sun.management.ThreadMXBean},
 *       attributed by thread name. A thread that ends between two samples loses the time since the
 *       last sample, which is why the benchmark samples every 200 ms.</li>
 *   <li>Native threads, on Linux from {@code /proc/self/task/*}: RocksDB's background threads (the
 *       processor's state stores), garbage collection, the JIT compilers and the VM's own.</li>
 *   <li>Garbage collection serves every component: each gets the share of GC time that matches its
 *       share of the bytes allocated. The JIT is warm-up shared by all and is reported apart.</li>
 * </ul>
 */
final class CpuMeter {

    /** Who CPU time is spent for. */
    enum Component { PROCESSOR, BROKER, SIMULATOR, LOAD, GC, JIT, JVM }

    private static final Path TASKS = Path.of("/proc/self/task");
    // Linux's USER_HZ, for the fallback when a kernel has no schedstat.
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final com.sun.management.ThreadMXBean threads = threadBean();
    private final com.sun.management.OperatingSystemMXBean os = operatingSystem();
    // Guarded by this: the sampler thread and the thread that stops the meter both use them.
    private final Map<Long, Sample> baseline = new HashMap<>();
    private final Map<Long, Sample> latest = new HashMap<>();
    private final Map<String, Sample> nativeBaseline = new HashMap<>();
    private final Map<String, Sample> nativeLatest = new HashMap<>();
    private long processStart;
    private long wallStart;

    /** Starts the measured stretch: what threads have used so far is not counted. */
    synchronized void start() {
        baseline.clear();
        latest.clear();
        nativeBaseline.clear();
        nativeLatest.clear();
        readJavaThreads(baseline);
        readNativeThreads(nativeBaseline);
        processStart = os.getProcessCpuTime();
        wallStart = System.nanoTime();
    }

    /** Records every live thread's use so far, so that threads ending later are still counted. */
    synchronized void sample() {
        readJavaThreads(latest);
        readNativeThreads(nativeLatest);
    }

    /**
     * Ends the stretch and attributes what was used in it.
     *
     * @param componentOf the component of a Java thread, or of a RocksDB thread, by its name
     */
    synchronized CpuUse stop(Function<String, Component> componentOf) {
        sample();
        long wall = System.nanoTime() - wallStart;
        long process = os.getProcessCpuTime() - processStart;
        Map<Component, Long> cpu = new EnumMap<>(Component.class);
        Map<Component, Long> allocated = new EnumMap<>(Component.class);
        for (Component component : Component.values()) {
            cpu.put(component, 0L);
            allocated.put(component, 0L);
        }
        List<ThreadCpu> perThread = new ArrayList<>();
        long counted = 0;
        for (Map.Entry<Long, Sample> entry : latest.entrySet()) {
            Sample before = baseline.getOrDefault(entry.getKey(), Sample.ZERO);
            Sample now = entry.getValue();
            Component component = componentOf.apply(now.name());
            long used = Math.max(0, now.cpuNanos() - before.cpuNanos());
            cpu.merge(component, used, Long::sum);
            allocated.merge(component, Math.max(0, now.allocatedBytes() - before.allocatedBytes()), Long::sum);
            counted += used;
            if (used > 0) {
                perThread.add(new ThreadCpu(now.name(), component, used / 1e6));
            }
        }
        for (Map.Entry<String, Sample> entry : nativeLatest.entrySet()) {
            Sample now = entry.getValue();
            long used = Math.max(0, now.cpuNanos() - nativeBaseline.getOrDefault(entry.getKey(), Sample.ZERO).cpuNanos());
            Component component = nativeComponent(now.name(), componentOf);
            cpu.merge(component, used, Long::sum);
            counted += used;
            if (used > 0) {
                perThread.add(new ThreadCpu(now.name() + " (native)", component, used / 1e6));
            }
        }
        perThread.sort((a, b) -> Double.compare(b.cpuMillis(), a.cpuMillis()));
        Map<Component, Double> millis = new EnumMap<>(Component.class);
        cpu.forEach((component, nanos) -> millis.put(component, nanos / 1e6));
        return new CpuUse(wall / 1e6, process / 1e6, Math.max(0, process - counted) / 1e6, millis, allocated, perThread);
    }

    private void readJavaThreads(Map<Long, Sample> into) {
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids, 0);
        long[] cpu = threads.getThreadCpuTime(ids);
        long[] allocated = threads.getThreadAllocatedBytes(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] != null && cpu[i] >= 0) {
                into.put(ids[i], new Sample(infos[i].getThreadName(), cpu[i], Math.max(0, allocated[i])));
            }
        }
    }

    /** The native threads of interest, keyed by task id; nothing where there is no /proc. */
    private static void readNativeThreads(Map<String, Sample> into) {
        if (!Files.isDirectory(TASKS)) {
            return;
        }
        try (Stream<Path> tasks = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String name = readOrNull(task.resolve("comm"));
                if (name == null || !isNative(name.strip())) {
                    continue;
                }
                long cpu = taskCpuNanos(task);
                if (cpu >= 0) {
                    into.put(task.getFileName().toString(), new Sample(name.strip(), cpu, 0));
                }
            }
        } catch (IOException | RuntimeException e) {
            // A task can end while it is read; the next sample sees the rest.
        }
    }

    /** Threads that are not Java threads, so ThreadMXBean does not see them. Names are cut at 15 characters. */
    private static boolean isNative(String name) {
        return name.startsWith("rocksdb:") || name.startsWith("GC Thread") || name.startsWith("G1 ")
                || name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")
                || name.equals("VM Thread") || name.startsWith("VM Periodic") || name.equals("Sweeper thread")
                || name.startsWith("Monitor Deflati");
    }

    private static Component nativeComponent(String name, Function<String, Component> componentOf) {
        if (name.startsWith("rocksdb:")) {
            return componentOf.apply(name);
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
            return Component.GC;
        }
        if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            return Component.JIT;
        }
        return Component.JVM;
    }

    /** CPU time of a task: schedstat's nanoseconds, else stat's clock ticks; -1 when unreadable. */
    private static long taskCpuNanos(Path task) {
        String schedstat = readOrNull(task.resolve("schedstat"));
        if (schedstat != null && !schedstat.isBlank()) {
            return Long.parseLong(schedstat.strip().split(" ")[0]);
        }
        String stat = readOrNull(task.resolve("stat"));
        if (stat == null) {
            return -1;
        }
        // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
        // are fields 14 and 15 of the line, so 11 and 12 of the rest.
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(rest[11]) + Long.parseLong(rest[12])) * NANOS_PER_TICK;
    }

    private static String readOrNull(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return null;
        }
    }

    private static com.sun.management.ThreadMXBean threadBean() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadCpuTimeSupported() && bean.isThreadAllocatedMemorySupported()) {
            bean.setThreadCpuTimeEnabled(true);
            bean.setThreadAllocatedMemoryEnabled(true);
            return bean;
        }
        throw new IllegalStateException("this JVM cannot measure the CPU time and allocations of its threads");
    }

    private static com.sun.management.OperatingSystemMXBean operatingSystem() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean bean) {
            return bean;
        }
        throw new IllegalStateException("this JVM cannot measure its process CPU time");
    }

    private record Sample(String name, long cpuNanos, long allocatedBytes) {
        static final Sample ZERO = new Sample("", 0, 0);
    }

    /**
     * What was used over a measured stretch; times in milliseconds.
     *
     * @param wallMillis length of the stretch
     * @param processMillis CPU of the whole process
     * @param unaccountedMillis process CPU no thread above accounts for
     * @param byComponent CPU of each component's threads (GC, JIT and JVM: their native threads)
     * @param allocatedBytes bytes allocated by each component's Java threads
     * @param threads CPU of each thread, most first
     */
    record CpuUse(double wallMillis, double processMillis, double unaccountedMillis,
            Map<Component, Double> byComponent, Map<Component, Long> allocatedBytes, List<ThreadCpu> threads) {

        double of(Component component) {
            return byComponent.getOrDefault(component, 0.0);
        }

        /** The component's share of GC time: GC time times its share of the bytes allocated. */
        double gcShareOf(Component component) {
            long total = allocatedBytes.values().stream().mapToLong(Long::longValue).sum();
            return total == 0 ? 0 : of(Component.GC) * allocatedBytes.getOrDefault(component, 0L) / total;
        }
    }

    /** One thread's CPU over the stretch. */
    record ThreadCpu(String name, Component component, double cpuMillis) {}
}
