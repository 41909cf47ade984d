package dev.tokenrelay.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one benchmark run does. Every value is checked here, with messages for people.
 *
 * @param requests requests to run through the processor (and through the pipe)
 * @param latency the simulated upstream's latency for every call
 * @param failureRate the share of calls on the primary accounts answered with a retryable failure
 *     (429, 500 or an empty completion, in turn), so that the request fails over
 * @param inFlight the in-flight limit ({@code maxInFlight}) of each primary account
 * @param accounts how many primary accounts share the load
 * @param partitions partitions of every topic
 * @param streamThreads Kafka Streams threads of each application
 * @param timeout how long each phase may take before it is cut short
 * @param warmup requests run through each application before it is measured, not counted
 * @param rate requests produced per second; 0 produces them all at once
 * @param promptChars length of each request's user message
 * @param pipe whether to run the pipe reference
 * @param naive whether to run the naive reference
 * @param naiveTime how long the naive reference runs
 * @param resultLog whether the processor's one log line per result stays on (it goes to the console)
 * @param seed seed of the failure mix, so that runs are repeatable
 * @param streamsConfig extra Kafka Streams properties for every application
 * @param processes whether the broker, the simulated upstream and the processor each run in a
 *     process of their own ({@code --processes}); the warm-up and the naive reference belong to
 *     the one-JVM run
 * @param separateIntake whether tokenrelay runs intake apart from dispatch ({@code processor.separateIntake}),
 *     as two Kafka Streams clients with intake's one stream thread of its own
 * @param processorJvmOptions JVM options for the processor's process with {@code --processes},
 *     after the ones the start script ships (a later option wins), e.g. to record a flight
 */
public record BenchSettings(int requests, Duration latency, double failureRate, int inFlight, int accounts,
        int partitions, int streamThreads, Duration timeout, int warmup, double rate, int promptChars, boolean pipe,
        boolean naive, Duration naiveTime, boolean resultLog, long seed, Map<String, String> streamsConfig,
        boolean processes, boolean separateIntake, List<String> processorJvmOptions) {

    /**
     * In one JVM each connection takes two file descriptors of the one process (the client's end and
     * the simulator's); more would need more than a default machine allows.
     */
    public static final int MAX_TOTAL_IN_FLIGHT = 8192;
    /**
     * With {@code --processes} each end of a connection is in a process of its own, so the primaries
     * may hold twice as many (the spare account's calls are counted apart: it takes only failovers).
     */
    public static final int MAX_PROCESSES_IN_FLIGHT = 16_384;
    public static final int MAX_REQUESTS = 1_000_000;

    // Set by the benchmark itself, or by an option of its own.
    private static final Set<String> RESERVED = Set.of("bootstrap.servers", "application.id", "state.dir",
            "num.stream.threads");

    /** Checks every value; throws {@link IllegalArgumentException} naming the option at fault. */
    public BenchSettings {
        require(requests >= 1 && requests <= MAX_REQUESTS, "--requests must be 1 to " + MAX_REQUESTS + ", got " + requests);
        require(latency != null && !latency.isNegative() && latency.compareTo(Duration.ofMinutes(1)) <= 0,
                "--latency must be 0 to 1m, got " + latency);
        require(failureRate >= 0 && failureRate < 1, "--failure-rate must be at least 0 and below 1, got " + failureRate);
        require(inFlight >= 1, "--in-flight must be at least 1, got " + inFlight);
        require(accounts >= 1 && accounts <= 64, "--accounts must be 1 to 64, got " + accounts);
        if (processes) {
            require((long) inFlight * accounts <= MAX_PROCESSES_IN_FLIGHT, "--in-flight x --accounts must be at most "
                    + MAX_PROCESSES_IN_FLIGHT + " connections with --processes, got " + (long) inFlight * accounts);
        } else {
            // The spare account that failed attempts move to has the same limit as a primary one.
            require((long) inFlight * (accounts + 1) <= MAX_TOTAL_IN_FLIGHT, "--in-flight x (--accounts + 1 spare) must "
                    + "be at most " + MAX_TOTAL_IN_FLIGHT + " connections, got " + (long) inFlight * (accounts + 1));
        }
        require(partitions >= 1 && partitions <= 64, "--partitions must be 1 to 64, got " + partitions);
        require(streamThreads >= 1 && streamThreads <= 32, "--stream-threads must be 1 to 32, got " + streamThreads);
        require(timeout != null && timeout.compareTo(Duration.ofSeconds(5)) >= 0 && timeout.compareTo(Duration.ofHours(1)) <= 0,
                "--timeout must be 5s to 1h, got " + timeout);
        require(warmup >= 0 && warmup <= MAX_REQUESTS, "--warmup must be 0 to " + MAX_REQUESTS + ", got " + warmup);
        require(rate >= 0, "--rate must not be negative, got " + rate);
        require(promptChars >= 16 && promptChars <= 100_000, "--prompt-chars must be 16 to 100000, got " + promptChars);
        require(naiveTime != null && naiveTime.compareTo(Duration.ofSeconds(1)) >= 0
                && naiveTime.compareTo(Duration.ofMinutes(10)) <= 0, "--naive-time must be 1s to 10m, got " + naiveTime);
        streamsConfig = streamsConfig == null ? Map.of() : new LinkedHashMap<>(streamsConfig);
        for (String key : streamsConfig.keySet()) {
            require(!RESERVED.contains(key), "--streams-config " + key + " is set by the benchmark"
                    + (key.equals("num.stream.threads") ? "; use --stream-threads" : ""));
        }
        if (separateIntake) {
            // tokenrelay would run one client (with a warning) and the group would never have the
            // member the benchmark waits for.
            String protocol = streamsConfig.getOrDefault("group.protocol", "classic");
            require(protocol.equalsIgnoreCase("classic"), "--separate-intake needs the classic group protocol, got "
                    + "--streams-config group.protocol=" + protocol);
            require(!streamsConfig.containsKey("task.assignor.class"),
                    "--separate-intake needs tokenrelay's own task assignor; drop --streams-config task.assignor.class");
        }
        streamsConfig = Map.copyOf(streamsConfig);
        processorJvmOptions = processorJvmOptions == null ? List.of() : List.copyOf(processorJvmOptions);
        require(processes || processorJvmOptions.isEmpty(), "--processor-jvm-option applies to --processes only");
        if (processes) {
            // The naive way needs the simulator in this JVM, and a warm-up would hide the fresh JVM this
            // mode is about.
            require(!naive, "--naive does not apply to --processes");
            require(warmup == 0, "--warmup does not apply to --processes: the processor starts as a fresh JVM");
        }
    }

    /** The Little's-law bound in requests per second: every primary slot busy, each call taking the latency. */
    public double littleBound() {
        return latency.isZero() ? Double.POSITIVE_INFINITY : (double) inFlight * accounts / (latency.toNanos() / 1e9);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The members tokenrelay's consumer group has once every stream thread joined: with intake
     * apart, dispatch's {@link #streamThreads()} and intake's one thread.
     */
    public int relayMembers() {
        return streamThreads + (separateIntake ? 1 : 0);
    }
}
