package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * How the processor itself runs.
 *
 * @param dedupeRetention how long a request id is remembered to drop a resubmitted request; default 7d
 * @param drainInterval how often completed upstream calls are drained on the stream thread; default 10ms
 * @param defaultMaxInFlight concurrent calls per account unless the account sets its own; default 64
 * @param shutdownTimeout how long a shutdown waits for in-flight work; default 30s
 * @param defaultDeadline how long a request that names no deadline may take from its arrival; default 1h
 * @param limits how large and how deep a request may be; defaults in {@link RequestLimits}
 * @param queueWindow how many of an account's queued attempts a dispatch task holds decoded on the
 *                    heap, ready to start; the rest of the queue waits in the task's store, so the
 *                    heap does not grow with the backlog. {@code null}: the account's in-flight limit
 * @param separateIntake whether intake runs on stream threads of its own, apart from dispatch, so
 *                       that a backlog of requests never takes a dispatch task's turn to read; default false
 * @param intakeThreads the stream threads of intake when it runs apart; default 1
 */
public record ProcessorSettings(Duration dedupeRetention, Duration drainInterval, int defaultMaxInFlight,
        Duration shutdownTimeout, Duration defaultDeadline, RequestLimits limits, Integer queueWindow,
        boolean separateIntake, int intakeThreads) {

    /** Default {@link #dedupeRetention()}. */
    public static final Duration DEFAULT_DEDUPE_RETENTION = Duration.ofDays(7);
    /** Default {@link #drainInterval()}: short, because a completed call waits this long at most to be forwarded. */
    public static final Duration DEFAULT_DRAIN_INTERVAL = Duration.ofMillis(10);
    /** Default {@link #defaultMaxInFlight()}. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    /** Default {@link #shutdownTimeout()}. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Default {@link #defaultDeadline()}: long enough to wait out rate limits, short enough that a
     * request nobody waits for any more does not hold an account's queue.
     */
    public static final Duration DEFAULT_DEADLINE = Duration.ofHours(1);
    /** Default {@link #separateIntake()}. */
    public static final boolean DEFAULT_SEPARATE_INTAKE = false;
    /** Default {@link #intakeThreads()}: intake does little per request, one thread reads a large backlog. */
    public static final int DEFAULT_INTAKE_THREADS = 1;

    /** Applies the defaults for absent durations and checks every value. */
    public ProcessorSettings {
        dedupeRetention = Settings.positive(dedupeRetention, DEFAULT_DEDUPE_RETENTION, "dedupeRetention");
        drainInterval = Settings.positive(drainInterval, DEFAULT_DRAIN_INTERVAL, "drainInterval");
        if (defaultMaxInFlight < 1) {
            throw new InvalidConfigException("defaultMaxInFlight", "must be at least 1, got " + defaultMaxInFlight);
        }
        shutdownTimeout = Settings.positive(shutdownTimeout, DEFAULT_SHUTDOWN_TIMEOUT, "shutdownTimeout");
        defaultDeadline = Settings.positive(defaultDeadline, DEFAULT_DEADLINE, "defaultDeadline");
        limits = limits == null ? RequestLimits.defaults() : limits;
        if (queueWindow != null && queueWindow < 1) {
            throw new InvalidConfigException("queueWindow", "must be at least 1, got " + queueWindow);
        }
        if (intakeThreads < 1) {
            throw new InvalidConfigException("intakeThreads", "must be at least 1, got " + intakeThreads);
        }
    }

    /** The settings before intake could run apart: it does not. */
    public ProcessorSettings(Duration dedupeRetention, Duration drainInterval, int defaultMaxInFlight,
            Duration shutdownTimeout, Duration defaultDeadline, RequestLimits limits, Integer queueWindow) {
        this(dedupeRetention, drainInterval, defaultMaxInFlight, shutdownTimeout, defaultDeadline, limits, queueWindow,
                DEFAULT_SEPARATE_INTAKE, DEFAULT_INTAKE_THREADS);
    }

    /** The settings before the queue window existed: it follows each account's in-flight limit. */
    public ProcessorSettings(Duration dedupeRetention, Duration drainInterval, int defaultMaxInFlight,
            Duration shutdownTimeout, Duration defaultDeadline, RequestLimits limits) {
        this(dedupeRetention, drainInterval, defaultMaxInFlight, shutdownTimeout, defaultDeadline, limits, null);
    }

    /** The settings before request limits existed; the limits take their defaults. */
    public ProcessorSettings(Duration dedupeRetention, Duration drainInterval, int defaultMaxInFlight,
            Duration shutdownTimeout, Duration defaultDeadline) {
        this(dedupeRetention, drainInterval, defaultMaxInFlight, shutdownTimeout, defaultDeadline, null);
    }

    /** Every setting at its default. */
    public static ProcessorSettings defaults() {
        return new ProcessorSettings(null, null, DEFAULT_MAX_IN_FLIGHT, null, null);
    }

    // Boxed: Jackson hands an absent int over as 0, which must mean "default", not "invalid".
    @JsonCreator
    private static ProcessorSettings fromYaml(@JsonProperty("dedupeRetention") Duration dedupeRetention,
            @JsonProperty("drainInterval") Duration drainInterval,
            @JsonProperty("defaultMaxInFlight") Integer defaultMaxInFlight,
            @JsonProperty("shutdownTimeout") Duration shutdownTimeout,
            @JsonProperty("defaultDeadline") Duration defaultDeadline,
            @JsonProperty("limits") RequestLimits limits,
            @JsonProperty("queueWindow") Integer queueWindow,
            @JsonProperty("separateIntake") Boolean separateIntake,
            @JsonProperty("intakeThreads") Integer intakeThreads) {
        return new ProcessorSettings(dedupeRetention, drainInterval,
                defaultMaxInFlight == null ? DEFAULT_MAX_IN_FLIGHT : defaultMaxInFlight, shutdownTimeout, defaultDeadline,
                limits, queueWindow, separateIntake == null ? DEFAULT_SEPARATE_INTAKE : separateIntake,
                intakeThreads == null ? DEFAULT_INTAKE_THREADS : intakeThreads);
    }
}
