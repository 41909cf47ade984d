package dev.tokenrelay.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * What the {@link SimulatedUpstream} does with one chat-completions call.
 *
 * <p>Every behaviour carries a latency: the time between the request being fully received and the
 * response starting. The latency is served by a scheduler, never by a parked thread, so thousands
 * of slow calls can be open at once. Build behaviours with the static factories and add a latency
 * with {@link #after(Duration)}:
 *
 * <pre>{@code
 * upstream.script("acct-1",
 *         Behaviour.rateLimited(Duration.ofSeconds(2)),
 *         Behaviour.reply("hello").after(Duration.ofMillis(200)));
 * }</pre>
 */
public sealed interface Behaviour {

    /** The delay before the response starts; {@link Duration#ZERO} answers as soon as possible. */
    Duration latency();

    /**
     * Returns a copy of this behaviour that waits {@code latency} before the response starts.
     *
     * @param latency a non-negative delay
     * @return a behaviour identical to this one except for its latency
     */
    Behaviour after(Duration latency);

    /** A 200 chat completion whose assistant message is {@code text}. */
    static Behaviour reply(String text) {
        return new Reply(text, Duration.ZERO);
    }

    /**
     * A 200 chat completion whose assistant message is {@code "echo: "} followed by the content of
     * the request's last user message, so a test can tell which request got which answer.
     */
    static Behaviour echo() {
        return new Echo(Duration.ZERO);
    }

    /** Shorthand for {@link #echo()}: the default "everything works" behaviour. */
    static Behaviour ok() {
        return echo();
    }

    /** A 200 chat completion with {@code finish_reason: "stop"} and empty content: a fake success. */
    static Behaviour emptyCompletion() {
        return new EmptyCompletion(Duration.ZERO);
    }

    /** A 200 whose body is an OpenAI-style error object ({@code type: "server_error"}) and no choices. */
    static Behaviour errorInOk(String message) {
        return new ErrorInOk(message, Duration.ZERO);
    }

    /**
     * An error status (400-599) with an OpenAI-style error body whose {@code code} is derived from
     * the status, for example {@code "service_unavailable"} for 503.
     */
    static Behaviour status(int status) {
        return new Status(status, Status.defaultCode(status), Duration.ZERO);
    }

    /** An error status (400-599) with an OpenAI-style error body carrying the given {@code error.code}. */
    static Behaviour status(int status, String errorCode) {
        return new Status(status, errorCode, Duration.ZERO);
    }

    /** A 429 with a {@code Retry-After} header of {@code retryAfter} rounded up to whole seconds. */
    static Behaviour rateLimited(Duration retryAfter) {
        return new RateLimited(retryAfter, Duration.ZERO);
    }

    /** The connection is closed abruptly with no response, so the client sees an I/O error. */
    static Behaviour reset() {
        return new Reset(Duration.ZERO);
    }

    /** Never responds; the exchange stays open until the client gives up or the server closes. */
    static Behaviour noAnswer() {
        return new NoAnswer(Duration.ZERO);
    }

    /** See {@link Behaviour#reply(String)}. */
    record Reply(String text, Duration latency) implements Behaviour {
        public Reply {
            Objects.requireNonNull(text, "text");
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new Reply(text, latency);
        }
    }

    /** See {@link Behaviour#echo()}. */
    record Echo(Duration latency) implements Behaviour {
        public Echo {
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new Echo(latency);
        }
    }

    /** See {@link Behaviour#emptyCompletion()}. */
    record EmptyCompletion(Duration latency) implements Behaviour {
        public EmptyCompletion {
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new EmptyCompletion(latency);
        }
    }

    /** See {@link Behaviour#errorInOk(String)}. */
    record ErrorInOk(String message, Duration latency) implements Behaviour {
        public ErrorInOk {
            Objects.requireNonNull(message, "message");
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new ErrorInOk(message, latency);
        }
    }

    /** See {@link Behaviour#status(int, String)}. */
    record Status(int status, String errorCode, Duration latency) implements Behaviour {
        public Status {
            // Only error statuses: a success status with an error body is what errorInOk is for.
            if (status < 400 || status > 599) {
                throw new IllegalArgumentException("status must be 400-599, was " + status);
            }
            Objects.requireNonNull(errorCode, "errorCode");
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new Status(status, errorCode, latency);
        }

        static String defaultCode(int status) {
            return switch (status) {
                case 400 -> "invalid_request";
                case 401 -> "invalid_api_key";
                case 403 -> "permission_denied";
                case 404 -> "not_found";
                case 408 -> "request_timeout";
                case 409 -> "conflict";
                case 413 -> "request_too_large";
                case 422 -> "unprocessable_entity";
                case 429 -> "rate_limit_exceeded";
                case 500 -> "internal_error";
                case 502 -> "bad_gateway";
                case 503 -> "service_unavailable";
                case 504 -> "gateway_timeout";
                default -> "http_" + status;
            };
        }
    }

    /** See {@link Behaviour#rateLimited(Duration)}. */
    record RateLimited(Duration retryAfter, Duration latency) implements Behaviour {
        public RateLimited {
            Objects.requireNonNull(retryAfter, "retryAfter");
            if (retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
            }
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new RateLimited(retryAfter, latency);
        }

        /** The {@code Retry-After} value: rounded up, so a client never retries before the window ends. */
        long retryAfterSeconds() {
            long seconds = retryAfter.getSeconds();
            return retryAfter.getNano() > 0 ? seconds + 1 : seconds;
        }
    }

    /** See {@link Behaviour#reset()}. */
    record Reset(Duration latency) implements Behaviour {
        public Reset {
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new Reset(latency);
        }
    }

    /** See {@link Behaviour#noAnswer()}. */
    record NoAnswer(Duration latency) implements Behaviour {
        public NoAnswer {
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new NoAnswer(latency);
        }
    }

    private static void checkLatency(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative, was " + latency);
        }
    }
}
