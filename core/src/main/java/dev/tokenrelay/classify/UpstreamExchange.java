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
     * An HTTP response. {@code headers} holds only the headers classification reads and the
     * upstream's request id ({@link #CLASSIFIED_HEADERS}), by lower-case name.
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

        /**
         * The id the upstream gave this response ({@code x-request-id} from OpenAI, {@code request-id}
         * from Anthropic), or {@code null} when it sent neither.
         */
        public String upstreamRequestId() {
            for (String name : REQUEST_ID_HEADERS) {
                String value = header(name);
                if (value != null && !value.isBlank()) {
                    return value.strip();
                }
            }
            return null;
        }
    }

    /** The headers in which providers name a response, for matching a result with their logs and support. */
    List<String> REQUEST_ID_HEADERS = List.of("x-request-id", "request-id");

    /**
     * The response headers kept: the content type, those that say when to call again, and the
     * upstream's request id.
     */
    List<String> CLASSIFIED_HEADERS = List.of("content-type", "retry-after", "retry-after-ms", "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens", "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
            "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset", "x-request-id",
            "request-id");

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
