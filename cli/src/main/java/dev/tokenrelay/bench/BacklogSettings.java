package dev.tokenrelay.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What one backlog run does ({@code bench --backlog}): a huge job handed over at once to a
 * processor in a JVM of its own, one account with a few slots. Every value is checked here, with
 * messages for people.
 *
 * @param requests the size of the job: requests produced at once, priority {@code batch}
 * @param latency the simulated upstream's latency for every call
 * @param inFlight the account's in-flight limit ({@code maxInFlight})
 * @param partitions partitions of every topic
 * @param streamThreads Kafka Streams threads of the processor
 * @param timeout how long each phase (admission, the interactive request, the restart, the drain) may take
 * @param promptChars length of each request's user message
 * @param processorHeap the processor JVM's maximum heap, as {@code -Xmx} takes it: {@code 512m}, {@code 2g}
 * @param drain whether to wait for every result at the end, and count the duplicates and the lost
 */
public record BacklogSettings(int requests, Duration latency, int inFlight, int partitions, int streamThreads,
        Duration timeout, int promptChars, String processorHeap, boolean drain) {

    /** The default of {@code --timeout} in this mode: a million requests take minutes to admit on a small machine. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kmg]?");
    private static final long MIN_HEAP = 64L << 20;

    /** Checks every value; throws {@link IllegalArgumentException} naming the option at fault. */
    public BacklogSettings {
        require(requests >= 1 && requests <= BenchSettings.MAX_REQUESTS,
                "--requests must be 1 to " + BenchSettings.MAX_REQUESTS + ", got " + requests);
        require(latency != null && !latency.isNegative() && latency.compareTo(Duration.ofMinutes(1)) <= 0,
                "--latency must be 0 to 1m, got " + latency);
        require(inFlight >= 1 && inFlight <= BenchSettings.MAX_TOTAL_IN_FLIGHT,
                "--in-flight must be 1 to " + BenchSettings.MAX_TOTAL_IN_FLIGHT + ", got " + inFlight);
        require(partitions >= 1 && partitions <= 64, "--partitions must be 1 to 64, got " + partitions);
        require(streamThreads >= 1 && streamThreads <= 32, "--stream-threads must be 1 to 32, got " + streamThreads);
        require(timeout != null && timeout.compareTo(Duration.ofSeconds(5)) >= 0 && timeout.compareTo(Duration.ofHours(24)) <= 0,
                "--timeout must be 5s to 24h, got " + timeout);
        require(promptChars >= 16 && promptChars <= 100_000, "--prompt-chars must be 16 to 100000, got " + promptChars);
        processorHeap = processorHeap == null ? "" : processorHeap.strip().toLowerCase(Locale.ROOT);
        require(HEAP.matcher(processorHeap).matches(),
                "--processor-heap must be a size as -Xmx takes it, e.g. 512m or 2g, got '" + processorHeap + "'");
        require(heapBytes(processorHeap) >= MIN_HEAP, "--processor-heap must be at least 64m, got " + processorHeap);
    }

    /**
     * The processor JVM's options: its heap, and an exit on {@link OutOfMemoryError}, so that a heap
     * too small for the backlog shows as an exit the bench reports rather than a JVM that limps on.
     */
    public List<String> jvmOptions() {
        return List.of("-Xmx" + processorHeap, "-XX:+ExitOnOutOfMemoryError");
    }

    /** The processor's maximum heap in bytes. */
    public long processorHeapBytes() {
        return heapBytes(processorHeap);
    }

    /** How often the account frees a slot once every slot is busy: latency / in-flight limit. */
    public Duration slotInterval() {
        return latency.dividedBy(inFlight);
    }

    static long heapBytes(String size) {
        char unit = size.charAt(size.length() - 1);
        int shift = switch (unit) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? size : size.substring(0, size.length() - 1);
        try {
            long value = Long.parseLong(digits);
            return value > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : value << shift;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
