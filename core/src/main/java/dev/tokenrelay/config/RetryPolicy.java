package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * When a request may go back to an account it has already tried: only once no untried account is
 * left, only after a RETRYABLE outcome whose status is in {@code sameAccountStatuses} or that had
 * no status at all (a connect error, reset or timeout), never for a pinned request, and no sooner
 * than both the account's cooldown end and an exponential backoff with jitter; the retry must
 * start before the request's deadline.
 *
 * <p>A 4xx that says the request is bad (400, 404, 413, 422) still sends the request on to the
 * next account, but the same account would only answer the same again: retrying it there burns
 * money and time, so those statuses are not in the default list.
 *
 * @param sameAccountRetries how many more times one account may be tried for one request; default 1
 * @param backoff the backoff before the first retry of an account; doubled for each later one;
 *     default 1s
 * @param maxBackoff the longest backoff; default 30s
 * @param sameAccountStatuses the upstream statuses after which the same account may be tried
 *     again; default 408, 429 and 5xx. Transport errors (no status) always may; a 2xx that failed a
 *     content check may only if its status is listed (e.g. {@code 2xx})
 */
public record RetryPolicy(int sameAccountRetries, Duration backoff, Duration maxBackoff,
        StatusSet sameAccountStatuses) {

    /** Default {@link #sameAccountRetries()}: one more chance, so a rate limit is waited out, not passed on. */
    public static final int DEFAULT_SAME_ACCOUNT_RETRIES = 1;
    /** Default {@link #backoff()}. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);
    /** Default {@link #maxBackoff()}. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
    /** Default {@link #sameAccountStatuses()}: what a wait can cure, not what says the request is bad. */
    public static final StatusSet DEFAULT_SAME_ACCOUNT_STATUSES = StatusSet.parse(List.of(408, 429, "5xx"));

    private static final RetryPolicy DEFAULTS = new RetryPolicy(DEFAULT_SAME_ACCOUNT_RETRIES, null, null, null);

    /** Applies the defaults and checks every value. */
    public RetryPolicy {
        if (sameAccountRetries < 0) {
            throw new InvalidConfigException("sameAccountRetries", "must be 0 or more, got " + sameAccountRetries);
        }
        backoff = Settings.positive(backoff, DEFAULT_BACKOFF, "backoff");
        maxBackoff = Settings.positive(maxBackoff, DEFAULT_MAX_BACKOFF, "maxBackoff");
        if (maxBackoff.compareTo(backoff) < 0) {
            throw new InvalidConfigException("maxBackoff", "must not be shorter than backoff (" + backoff + ")");
        }
        sameAccountStatuses = sameAccountStatuses == null ? DEFAULT_SAME_ACCOUNT_STATUSES : sameAccountStatuses;
        // A 1xx never ends an attempt, and a redirect (307) would send the request away again.
        for (int status = 100; status < 400; status++) {
            if ((status < 200 || status >= 300) && sameAccountStatuses.contains(status)) {
                throw new InvalidConfigException("sameAccountStatuses",
                        "only 2xx (a fake success), 4xx and 5xx statuses can be retried on the same account, got "
                                + status);
            }
        }
    }

    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * Whether an attempt that ended RETRYABLE with {@code httpStatus} ({@code null}: no response, a
     * transport error) allows the same account to be tried again for the request.
     */
    public boolean allowsSameAccountAfter(Integer httpStatus) {
        return httpStatus == null || sameAccountStatuses.contains(httpStatus);
    }

    /**
     * The backoff before retry number {@code retry} (from 1) of one account: {@link #backoff()}
     * doubled per earlier retry, capped at {@link #maxBackoff()}, scaled by {@code jitter} in [0.5, 1]
     * so that requests rate-limited together do not come back together.
     */
    public Duration backoffFor(int retry, double jitter) {
        long base = backoff.toMillis();
        long doubled = retry <= 1 ? base : base << Math.min(retry - 1, 20);
        long capped = Math.min(doubled, maxBackoff.toMillis());
        return Duration.ofMillis((long) (capped * Math.max(0.5, Math.min(1.0, jitter))));
    }

    // Boxed: Jackson hands an absent int over as 0, which here must mean "default", not "no retries".
    @JsonCreator
    private static RetryPolicy fromYaml(@JsonProperty("sameAccountRetries") Integer sameAccountRetries,
            @JsonProperty("backoff") Duration backoff, @JsonProperty("maxBackoff") Duration maxBackoff,
            @JsonProperty("sameAccountStatuses") StatusSet sameAccountStatuses) {
        return new RetryPolicy(sameAccountRetries == null ? DEFAULT_SAME_ACCOUNT_RETRIES : sameAccountRetries,
                backoff, maxBackoff, sameAccountStatuses);
    }
}
