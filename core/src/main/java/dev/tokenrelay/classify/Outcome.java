package dev.tokenrelay.classify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.UpstreamResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How one attempt ended, with what the next stages need: the answer for a success, the cooldown
 * and the response to pass through for a retryable outcome. Built only through the static factories.
 */
public sealed interface Outcome {

    OutcomeKind kind();

    /** A short machine-readable reason: {@code ok}, {@code status_429}, {@code empty_completion}, ... */
    String reason();

    /** The upstream HTTP status, {@code null} when no response came back. */
    Integer httpStatus();

    /** When the call started, {@code null} when no call was made. */
    Instant startedAt();

    /** How long the call took; zero when no call was made. */
    Duration latency();

    /**
     * The id the upstream gave its response in a header ({@link UpstreamExchange.Response#upstreamRequestId()}),
     * {@code null} when it sent none or no response came back.
     */
    String upstreamRequestId();

    /**
     * A usable answer. A 2xx carries the chat completion; a non-2xx status outside the retryable
     * list carries the upstream's body as {@code response}. {@code finalAnswer} marks a non-2xx that
     * must not fail over (context window, content policy).
     */
    record Success(
            int status,
            JsonNode completion,
            JsonNode usage,
            UpstreamResponse response,
            boolean finalAnswer,
            String reason,
            Instant startedAt,
            Duration latency,
            String upstreamRequestId)
            implements Outcome {

        /** A success whose upstream named no request id. */
        public Success(int status, JsonNode completion, JsonNode usage, UpstreamResponse response, boolean finalAnswer,
                String reason, Instant startedAt, Duration latency) {
            this(status, completion, usage, response, finalAnswer, reason, startedAt, latency, null);
        }

        /** This outcome with the upstream's request id. */
        public Success withUpstreamRequestId(String id) {
            return new Success(status, completion, usage, response, finalAnswer, reason, startedAt, latency, id);
        }

        @Override
        public OutcomeKind kind() {
            return OutcomeKind.SUCCESS;
        }

        @Override
        public Integer httpStatus() {
            return status;
        }

        public boolean is2xx() {
            return status >= 200 && status < 300;
        }
    }

    /**
     * Worth trying on another account. {@code cooldown} is how long this account should rest,
     * {@code null} for none; {@code response} is the non-2xx upstream response, if any.
     */
    record Retryable(
            String reason,
            Integer httpStatus,
            UpstreamResponse response,
            Duration cooldown,
            boolean timeout,
            Instant startedAt,
            Duration latency,
            String upstreamRequestId)
            implements Outcome {

        /** A retryable outcome whose upstream named no request id. */
        public Retryable(String reason, Integer httpStatus, UpstreamResponse response, Duration cooldown, boolean timeout,
                Instant startedAt, Duration latency) {
            this(reason, httpStatus, response, cooldown, timeout, startedAt, latency, null);
        }

        /** This outcome with the upstream's request id. */
        public Retryable withUpstreamRequestId(String id) {
            return new Retryable(reason, httpStatus, response, cooldown, timeout, startedAt, latency, id);
        }

        @Override
        public OutcomeKind kind() {
            return OutcomeKind.RETRYABLE;
        }
    }

    /** Nobody can serve the request: stop. {@code status} is what the result should answer. */
    record Fatal(String reason, Integer httpStatus, int resultStatus, String message, Instant startedAt, Duration latency)
            implements Outcome {

        /** Fatal outcomes come from failed or unsent calls, and from an unreadable response: none keeps an id. */
        @Override
        public String upstreamRequestId() {
            return null;
        }

        @Override
        public OutcomeKind kind() {
            return OutcomeKind.FATAL;
        }
    }

    /** The account has no usable credential; no call was made. */
    record SkippedAuth(String reason) implements Outcome {
        @Override
        public OutcomeKind kind() {
            return OutcomeKind.SKIPPED_AUTH;
        }

        @Override
        public Integer httpStatus() {
            return null;
        }

        @Override
        public Instant startedAt() {
            return null;
        }

        @Override
        public Duration latency() {
            return Duration.ZERO;
        }

        @Override
        public String upstreamRequestId() {
            return null;
        }
    }

    static Success success(int status, JsonNode completion, JsonNode usage, Instant startedAt, Duration latency) {
        return new Success(status, Objects.requireNonNull(completion), usage, null, false, "ok", startedAt, latency);
    }

    static Success nonSuccessStatus(UpstreamResponse response, boolean finalAnswer, String reason, Instant startedAt, Duration latency) {
        return new Success(response.status(), null, null, response, finalAnswer, reason, startedAt, latency);
    }

    static Retryable retryable(String reason, UpstreamResponse response, Duration cooldown, Instant startedAt, Duration latency) {
        return new Retryable(reason, response == null ? null : response.status(), response, cooldown, false, startedAt, latency);
    }

    static Retryable fakeSuccess(String reason, int status, Instant startedAt, Duration latency) {
        return new Retryable(reason, status, null, null, false, startedAt, latency);
    }

    static Retryable transportFailure(String reason, boolean timeout, Duration cooldown, Instant startedAt, Duration latency) {
        return new Retryable(reason, null, null, cooldown, timeout, startedAt, latency);
    }

    static Fatal fatal(String reason, int resultStatus, String message) {
        return new Fatal(reason, null, resultStatus, message, null, Duration.ZERO);
    }

    static Fatal fatalTransport(String reason, String message, Instant startedAt, Duration latency) {
        return new Fatal(reason, null, 502, message, startedAt, latency);
    }

    static SkippedAuth skippedAuth(String reason) {
        return new SkippedAuth(reason);
    }
}
