package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * How large and how deep a request may be. Intake rejects a request over a limit before it parses
 * it further or calls anyone, with the limit's path and value in the reason, so a hostile or
 * mistaken record costs one rejection instead of a stack overflow, a heap full of tree nodes or an
 * output record the Kafka producer refuses.
 *
 * <p>Every record a request becomes (its attempts, its dead letter) holds the whole request, so
 * {@code maxRequestBytes} must stay below the Streams producer's {@code max.request.size} and the
 * topics' {@code max.message.bytes} (both about 1 MiB by default), with room for the trail.
 *
 * @param maxRequestBytes the largest record value accepted on the requests topic, in bytes;
 *     default 1,000,000
 * @param maxNestingDepth the deepest nesting of JSON objects and arrays in a request, the request
 *     object itself counting as 1; default 64
 * @param maxMetadataBytes the largest {@code metadata} of a request, as compact JSON, in bytes: it
 *     comes back in the result and the dead letter; default 16,384
 */
public record RequestLimits(int maxRequestBytes, int maxNestingDepth, int maxMetadataBytes) {

    /**
     * Default {@link #maxRequestBytes()}: what the Kafka producer accepts by default (1 MiB), less
     * room for the attempt's trail and the record's other fields.
     */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1_000_000;
    /** Default {@link #maxNestingDepth()}: far deeper than any real chat request (tools' schemas included). */
    public static final int DEFAULT_MAX_NESTING_DEPTH = 64;
    /** Default {@link #maxMetadataBytes()}. */
    public static final int DEFAULT_MAX_METADATA_BYTES = 16_384;

    /** The smallest {@link #maxRequestBytes()}: below it not even a short request fits. */
    static final int MIN_REQUEST_BYTES = 1024;
    /** The smallest {@link #maxNestingDepth()}: a message with a list of content parts is 6 deep. */
    static final int MIN_NESTING_DEPTH = 8;
    /** The largest {@link #maxNestingDepth()}: deeper trees risk the stack of the code that walks them. */
    static final int MAX_NESTING_DEPTH = 1000;

    private static final RequestLimits DEFAULTS = new RequestLimits(DEFAULT_MAX_REQUEST_BYTES,
            DEFAULT_MAX_NESTING_DEPTH, DEFAULT_MAX_METADATA_BYTES);

    /** Checks every value. */
    public RequestLimits {
        if (maxRequestBytes < MIN_REQUEST_BYTES) {
            throw new InvalidConfigException("maxRequestBytes",
                    "must be at least " + MIN_REQUEST_BYTES + ", got " + maxRequestBytes);
        }
        if (maxNestingDepth < MIN_NESTING_DEPTH || maxNestingDepth > MAX_NESTING_DEPTH) {
            throw new InvalidConfigException("maxNestingDepth",
                    "must be " + MIN_NESTING_DEPTH + " to " + MAX_NESTING_DEPTH + ", got " + maxNestingDepth);
        }
        if (maxMetadataBytes < 0 || maxMetadataBytes > maxRequestBytes) {
            throw new InvalidConfigException("maxMetadataBytes",
                    "must be 0 to maxRequestBytes (" + maxRequestBytes + "), got " + maxMetadataBytes);
        }
    }

    /** Every limit at its default. */
    public static RequestLimits defaults() {
        return DEFAULTS;
    }

    /**
     * Why a request value of {@code size} bytes is refused, or {@code null} when it is within
     * {@link #maxRequestBytes()}.
     */
    public String requestTooLarge(long size) {
        return size <= maxRequestBytes ? null
                : "request is " + grouped(size) + " bytes, over processor.limits.maxRequestBytes (" + maxRequestBytes + ")";
    }

    /**
     * Why a request whose metadata is {@code size} bytes is refused, or {@code null} when it is
     * within {@link #maxMetadataBytes()}.
     */
    public String metadataTooLarge(long size) {
        return size <= maxMetadataBytes ? null
                : "/metadata: " + grouped(size) + " bytes, over processor.limits.maxMetadataBytes (" + maxMetadataBytes
                        + ")";
    }

    /** The reason given for a request nested deeper than {@link #maxNestingDepth()}. */
    public String tooDeep() {
        return "nested deeper than processor.limits.maxNestingDepth (" + maxNestingDepth + ")";
    }

    private static String grouped(long size) {
        return String.format(Locale.ROOT, "%,d", size);
    }

    // Boxed: Jackson hands an absent int over as 0, which must mean "default", not "invalid".
    @JsonCreator
    private static RequestLimits fromYaml(@JsonProperty("maxRequestBytes") Integer maxRequestBytes,
            @JsonProperty("maxNestingDepth") Integer maxNestingDepth,
            @JsonProperty("maxMetadataBytes") Integer maxMetadataBytes) {
        return new RequestLimits(maxRequestBytes == null ? DEFAULT_MAX_REQUEST_BYTES : maxRequestBytes,
                maxNestingDepth == null ? DEFAULT_MAX_NESTING_DEPTH : maxNestingDepth,
                maxMetadataBytes == null ? DEFAULT_MAX_METADATA_BYTES : maxMetadataBytes);
    }
}
