package dev.tokenrelay.upstream;

import java.time.Duration;
import java.time.Instant;

/**
 * What one upstream call produced before classification: a response, or the failure that stood
 * in for one.
 */
public sealed interface UpstreamExchange {

    Instant startedAt();

    Duration latency();

    /** An HTTP response; {@code retryAfter} is the raw header value or {@code null}. */
    record Response(int status, String retryAfter, byte[] body, Instant startedAt, Duration latency)
            implements UpstreamExchange {}

    /** No usable response: connect error, reset, timeout, cancellation. */
    record Failure(Throwable cause, Instant startedAt, Duration latency) implements UpstreamExchange {}
}
