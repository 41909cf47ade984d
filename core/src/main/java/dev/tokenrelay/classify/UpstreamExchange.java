package dev.tokenrelay.classify;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one upstream call produced before classification: a response, the failure that stood in
 * for one, or the reason no call was sent.
 */
public sealed interface UpstreamExchange {

    Instant startedAt();

    Duration latency();

    /**
     * An HTTP response. {@code headers} holds only the headers classification reads
     * ({@link #CLASSIFIED_HEADERS}), by lower-case name.
     */
    record Response(int status, Map<String, String> headers, byte[] body, Instant startedAt, Duration latency)
            implements UpstreamExchange {

        public Response {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }

        /** The header's value, or {@code null}. */
        public String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }
    }

    /** The response headers classification reads: the content type, and those that say when to call again. */
    List<String> CLASSIFIED_HEADERS = List.of("content-type", "retry-after", "retry-after-ms", "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens", "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
            "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset");

    /** No usable response: connect error, reset, timeout, cancellation. */
    record Failure(Throwable cause, Instant startedAt, Duration latency) implements UpstreamExchange {}

    /** No call was sent. {@code detail} is for people and never holds a credential. */
    record NotSent(Why why, String detail, Instant startedAt) implements UpstreamExchange {

        @Override
        public Duration latency() {
            return Duration.ZERO;
        }
    }

    /** Why no call was sent. */
    enum Why {
        /** The request cannot be written in this provider's format: no account can send it. */
        UNSENDABLE_REQUEST,
        /** The account's credential turned out unusable (a refresh refused for good). */
        UNUSABLE_CREDENTIAL
    }

    static NotSent unsendable(String detail, Instant startedAt) {
        return new NotSent(Why.UNSENDABLE_REQUEST, detail, startedAt);
    }

    static NotSent noCredential(String reason, Instant startedAt) {
        return new NotSent(Why.UNUSABLE_CREDENTIAL, reason, startedAt);
    }
}
