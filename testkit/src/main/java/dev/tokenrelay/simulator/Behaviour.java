package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Objects;

/**
 * What the {@link SimulatedUpstream} does with one call.
 *
 * <p>The same behaviour is rendered in the format of whichever {@link Endpoint} was called: a
 * {@link #reply(String) reply} is a {@code chat.completion} on the chat endpoint (or its
 * {@code chat.completion.chunk} stream), a stream of Responses events ending in
 * {@code response.completed} on the Responses endpoint and a {@code message} on the Anthropic
 * Messages endpoint, and each error carries that API's own error body. So a script does not care
 * which provider type calls the account.
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

    /** A 200 answer whose assistant text is {@code text}. */
    static Behaviour reply(String text) {
        return new Reply(text, Duration.ZERO);
    }

    /**
     * A 200 answer whose assistant text is {@code "echo: "} followed by the text of the request's
     * last user message (chat and Anthropic {@code messages}, Responses {@code input}), so a test can
     * tell which request got which answer.
     */
    static Behaviour echo() {
        return new Echo(Duration.ZERO);
    }

    /** Shorthand for {@link #echo()}: the default "everything works" behaviour. */
    static Behaviour ok() {
        return echo();
    }

    /**
     * A 200 that looks finished but holds no text: a fake success. Chat: empty content with
     * {@code finish_reason: "stop"}; Responses: {@code response.completed} whose message has an empty
     * {@code output_text}; Anthropic: {@code content: []} with {@code stop_reason: "end_turn"}.
     */
    static Behaviour emptyCompletion() {
        return new EmptyCompletion(Duration.ZERO);
    }

    /**
     * A 200 that carries an error instead of an answer. Chat: an OpenAI error object and no choices
     * (streamed: an error object as an event, then no {@code [DONE]}); Responses: an {@code error}
     * event followed by {@code response.failed} (not streamed: a response with status
     * {@code failed}); Anthropic: an {@code api_error} body (streamed: an {@code error} event after
     * {@code message_start}).
     */
    static Behaviour errorInOk(String message) {
        return new ErrorInOk(message, Duration.ZERO);
    }

    /**
     * An error status (400-599) with the endpoint's error body; for OpenAI endpoints its
     * {@code code} is derived from the status, for example {@code "service_unavailable"} for 503,
     * and Anthropic's error {@code type} follows the status ({@code overloaded_error} for 503/529).
     */
    static Behaviour status(int status) {
        return new Status(status, Status.defaultCode(status), Duration.ZERO);
    }

    /**
     * An error status (400-599) with an OpenAI-style error body carrying the given
     * {@code error.code}. Anthropic bodies have no code: their {@code error.type} follows the status,
     * except that {@code "context_length_exceeded"} becomes an {@code invalid_request_error} saying
     * "prompt is too long" and {@code "content_policy_violation"} one saying the output was blocked.
     */
    static Behaviour status(int status, String errorCode) {
        return new Status(status, errorCode, Duration.ZERO);
    }

    /**
     * A 429 with a {@code Retry-After} header of {@code retryAfter} rounded up to whole seconds and
     * the endpoint's rate-limit error body; Anthropic answers also carry
     * {@code anthropic-ratelimit-requests-reset}.
     */
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

    /**
     * A 200 whose body stops before the answer is complete, and whose HTTP exchange then ends
     * normally, so only the content shows the failure. Streams (chat with {@code stream: true},
     * Responses, Anthropic with {@code stream: true}) send the first text deltas of the echo answer
     * and end without their terminal event ({@code [DONE]}, {@code response.completed},
     * {@code message_stop}); JSON answers are cut in the middle.
     */
    static Behaviour truncatedStream() {
        return new TruncatedStream(Duration.ZERO);
    }

    /**
     * A 200 in which the model calls one tool. Chat: {@code tool_calls} with
     * {@code finish_reason: "tool_calls"}; Responses: a {@code function_call} output item;
     * Anthropic: a {@code tool_use} block with {@code stop_reason: "tool_use"}.
     *
     * @param name the function name
     * @param argumentsJson the arguments as a JSON object, for example {@code {"city":"Paris"}}
     * @throws IllegalArgumentException if {@code argumentsJson} is not a JSON object
     */
    static Behaviour toolCall(String name, String argumentsJson) {
        return new ToolCall(name, argumentsJson, Duration.ZERO);
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

    /** See {@link Behaviour#truncatedStream()}. */
    record TruncatedStream(Duration latency) implements Behaviour {
        public TruncatedStream {
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new TruncatedStream(latency);
        }
    }

    /** See {@link Behaviour#toolCall(String, String)}. */
    record ToolCall(String name, String argumentsJson, Duration latency) implements Behaviour {
        public ToolCall {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("A tool call needs a name");
            }
            // Checked up front because Anthropic sends the arguments as a JSON object, not a string:
            // a script mistake should fail where it is written, not as a 500 inside a test run.
            if (!ToolArguments.parse(argumentsJson).isObject()) {
                throw new IllegalArgumentException("argumentsJson must be a JSON object, was " + argumentsJson);
            }
            checkLatency(latency);
        }

        @Override
        public Behaviour after(Duration latency) {
            return new ToolCall(name, argumentsJson, latency);
        }

        /** The arguments as a JSON tree. */
        JsonNode arguments() {
            return ToolArguments.parse(argumentsJson);
        }
    }

    private static void checkLatency(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative, was " + latency);
        }
    }
}
