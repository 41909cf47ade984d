package dev.tokenrelay.bench;

import java.util.List;
import java.util.Map;

/**
 * Every figure of one benchmark run, as printed and as written with {@code --json}. Times are in
 * milliseconds, rates in requests per second; a reference that was not run is {@code null}.
 *
 * @param settings what was run
 * @param machine where
 * @param relay tokenrelay's figures
 * @param inFlight how full the in-flight window was
 * @param littleBound in-flight limit / upstream latency; {@code null} at zero latency, which has no bound
 * @param littleRatio tokenrelay's whole-run throughput over the bound
 * @param littleRatioSteady steady-state throughput over the bound
 * @param pipe the pipe's figures
 * @param pipeRatio tokenrelay's whole-run throughput over the pipe's
 * @param pipeRatioSteady the same in steady state
 * @param naive the naive reference's figures
 * @param processes with {@code --processes}: the processor's process, and the pipe's three runs
 */
public record BenchReport(BenchSettings settings, Machine machine, PhaseFigures relay, InFlight inFlight,
        Double littleBound, Double littleRatio, Double littleRatioSteady, PhaseFigures pipe, Double pipeRatio,
        Double pipeRatioSteady, NaiveFigures naive, ProcessFigures processes) {

    /**
     * One phase (tokenrelay or the pipe) measured from the first request produced to the last
     * result read.
     *
     * @param name the phase
     * @param applicationId its Kafka Streams application id
     * @param guarantee its processing guarantee
     * @param requests requests produced
     * @param completed distinct results read
     * @param duplicates results read for a request that already had one (exactly-once: 0)
     * @param statuses results by final status
     * @param requestBytes size of one request record value
     * @param seconds from the first request produced to the last result read
     * @param perSecond completed / seconds
     * @param steadySeconds length of the steady-state window (the middle 80% of completions by time)
     * @param steadyPerSecond completions per second inside it
     * @param endToEnd request produced to result read
     * @param endToEndSteady the same, for the requests completed in the steady-state window
     * @param toFirstCall request produced to its first upstream call started (intake, and waiting for capacity)
     * @param resultHop end of the last upstream call to result read (drain, commit, fetch)
     * @param failoverHop end of a failed call to the start of the request's next call
     * @param cpu CPU used during the phase
     * @param timeline second by second from the first request produced
     * @param streamThreads Kafka Streams' metrics of each stream thread at the end of the phase
     *     (ratios and latencies over its last minute, blocked time since the thread started)
     */
    public record PhaseFigures(String name, String applicationId, String guarantee, int requests, int completed,
            int duplicates, Map<String, Integer> statuses, int requestBytes, double seconds, double perSecond,
            double steadySeconds, double steadyPerSecond, Distribution endToEnd, Distribution endToEndSteady,
            Distribution toFirstCall, Distribution resultHop, Distribution failoverHop, CpuFigures cpu,
            List<Second> timeline, Map<String, Map<String, Double>> streamThreads) {}

    /**
     * One second of a phase.
     *
     * @param second seconds since the first request was produced
     * @param started upstream calls started in that second (first attempts and failovers, from the trails)
     * @param completed results read in that second
     * @param openCalls the mean of the calls open on the simulated upstream's primary accounts in it
     */
    public record Second(int second, int started, int completed, double openCalls) {}

    /**
     * CPU used during a phase, in milliseconds. All components share one JVM: Java threads are
     * attributed by name, native threads (RocksDB, GC, JIT) from /proc, and GC time by each
     * component's share of the bytes allocated.
     *
     * @param perRequest the application's CPU per completed request: its threads and its GC share
     * @param threadsPerRequest of which its own threads (Java threads and RocksDB's native threads)
     * @param gcSharePerRequest of which its share of garbage collection
     * @param jitPerRequest JIT compilation per completed request, shared by every component and not
     *     counted above: warm-up, which a longer run spreads thinner
     * @param counted which threads count as the application's
     * @param processor CPU of the application's threads
     * @param processorGcShare the application's share of GC
     * @param broker CPU of the broker's threads
     * @param simulator CPU of the simulated upstream's threads
     * @param load CPU of the benchmark's producer, result reader and sampler
     * @param gc CPU of the garbage collector's threads
     * @param jit CPU of the JIT compiler threads
     * @param jvm CPU of the VM's other threads
     * @param unaccounted process CPU that no thread above accounts for
     * @param process CPU of the whole process
     * @param wall length of the phase
     * @param cores cores of the machine
     * @param threads the busiest threads
     */
    public record CpuFigures(double perRequest, double threadsPerRequest, double gcSharePerRequest,
            double jitPerRequest, String counted, double processor, double processorGcShare, double broker,
            double simulator, double load, double gc, double jit, double jvm, double unaccounted, double process,
            double wall, int cores, List<ThreadFigure> threads) {}

    /** One thread's CPU during a phase, in milliseconds. */
    public record ThreadFigure(String name, String component, double cpu) {}

    /**
     * How full the in-flight window was, as the simulated upstream saw it.
     *
     * @param limit the primary accounts' in-flight limit, summed
     * @param peak the peak concurrency of the primary accounts, summed over accounts
     * @param spareLimit the spare account's limit
     * @param sparePeak the spare account's peak concurrency
     * @param meanSteady the mean of calls open on the primary accounts during steady state (sampled every 50 ms)
     */
    public record InFlight(int limit, int peak, int spareLimit, int sparePeak, double meanSteady) {}

    /**
     * The naive reference: calls made synchronously inside {@code process()}, run for a fixed time.
     *
     * @param guarantee its processing guarantee
     * @param requests requests produced to it
     * @param seconds how long it ran
     * @param completed distinct results read in that time
     * @param perSecond completed / seconds
     */
    public record NaiveFigures(String guarantee, int requests, double seconds, int completed, double perSecond) {}

    /**
     * The figures of a {@code --processes} run: the processor as its own process, read from
     * {@code /proc/<pid>}, so every thread it has counts (JIT, GC and native threads included).
     *
     * @param pid the processor's process id
     * @param jvmOptions the options its JVM was started with: the start script's, then the run's own
     * @param resultLog whether its log line per result was on
     * @param readyMillis its JVM's start to {@code /health/ready} answering 200
     * @param firstResultMillis its JVM's start to the first result read ({@code null}: none)
     * @param cpuMillis its CPU over the measured run (first request produced to last result read)
     * @param cpuPerRequest that CPU per completed request
     * @param steadyCpuPerRequest its CPU in the steady-state window per completion in it
     * @param startupCpuMillis its CPU from its start to the first request produced
     * @param rssPeak its largest resident memory, from its start to the end of the run
     * @param stopExitCode its exit code after SIGTERM ({@code null}: it had exited or did not stop)
     * @param brokerCpuMillis the broker process's CPU over the measured run
     * @param simulatorCpuMillis the simulated upstream's process's CPU over the measured run
     * @param loadCpuMillis the bench's own process's CPU over the measured run (the load generator)
     * @param clockTicks clock ticks per second /proc counts in
     * @param pipeRuns the pipe's throughput in each of its runs, whole run, requests/s
     * @param pipeSteadyRuns the same in steady state
     * @param pipeSpread (best - worst) / best of the whole-run throughputs; {@code null} without the pipe
     * @param cpuByKind the processor's CPU over the measured run by what its threads do, nanoseconds,
     *     largest first (see {@link ThreadKinds})
     * @param logEntries each of the processor's topics (its internal ones included) with the offsets
     *     written to it, records and transaction markers, from the broker's end offsets
     */
    public record ProcessFigures(long pid, List<String> jvmOptions, boolean resultLog, double readyMillis,
            Double firstResultMillis, double cpuMillis, double cpuPerRequest, Double steadyCpuPerRequest,
            double startupCpuMillis, long rssPeak, Integer stopExitCode, double brokerCpuMillis,
            double simulatorCpuMillis, double loadCpuMillis, long clockTicks, List<Double> pipeRuns,
            List<Double> pipeSteadyRuns, Double pipeSpread, Map<String, Long> cpuByKind,
            Map<String, Long> logEntries) {}

    /**
     * The machine the figures come from.
     *
     * @param cores available processors
     * @param cpuModel the CPU model, when the OS says
     * @param os name and version
     * @param java the JVM's version
     * @param maxHeapMiB the JVM's maximum heap
     */
    public record Machine(int cores, String cpuModel, String os, String java, long maxHeapMiB) {}
}
