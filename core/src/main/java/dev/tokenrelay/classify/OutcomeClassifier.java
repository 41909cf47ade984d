package dev.tokenrelay.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.config.OutcomePolicy;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.UpstreamResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * Turns an upstream exchange into an {@link Outcome} by the policy of docs/design.md, section 3: the status
 * lists decide non-2xx responses, the content checks decide 2xx ones ("a 200 with no answer" is
 * not a success), and transport failures are retryable or fatal by their kind.
 *
 * <p>Immutable and thread-safe: it runs on the HTTP client's I/O threads.
 */
public final class OutcomeClassifier {

    private final OutcomePolicy policy;
    private final Clock clock;

    public OutcomeClassifier(OutcomePolicy policy, Clock clock) {
        this.policy = policy;
        this.clock = clock;
    }

    /**
     * The outcome of {@code exchange}, whose answer {@code provider} reads. Never throws: a reader
     * that fails on an answer ends the attempt as a fatal {@code classification_error}.
     */
    public Outcome classify(UpstreamExchange exchange, AnswerReader provider) {
        try {
            if (exchange instanceof UpstreamExchange.Response response) {
                return withRequestId(classifyResponse(response, provider), response.upstreamRequestId());
            }
            if (exchange instanceof UpstreamExchange.NotSent notSent) {
                return notSent(notSent);
            }
            return classifyFailure((UpstreamExchange.Failure) exchange);
        } catch (RuntimeException e) {
            return Outcome.fatalTransport("classification_error", e.getClass().getSimpleName(), exchange.startedAt(),
                    exchange.latency());
        }
    }

    /** {@code outcome} carrying the upstream's request id, so a result can name the response it came from. */
    private static Outcome withRequestId(Outcome outcome, String upstreamRequestId) {
        if (upstreamRequestId == null) {
            return outcome;
        }
        if (outcome instanceof Outcome.Success success) {
            return success.withUpstreamRequestId(upstreamRequestId);
        }
        if (outcome instanceof Outcome.Retryable retryable) {
            return retryable.withUpstreamRequestId(upstreamRequestId);
        }
        return outcome;
    }

    private static Outcome notSent(UpstreamExchange.NotSent notSent) {
        return switch (notSent.why()) {
            case UNSENDABLE_REQUEST -> Outcome.fatal("unsendable_request", 400, notSent.detail());
            case UNUSABLE_CREDENTIAL -> Outcome.skippedAuth(notSent.detail());
        };
    }

    private Outcome classifyResponse(UpstreamExchange.Response response, AnswerReader provider) {
        int status = response.status();
        Instant started = response.startedAt();
        Duration latency = response.latency();
        if (status >= 200 && status < 300) {
            Conversion conversion = provider.readSuccess(response.body(), response.header("content-type"));
            if (conversion instanceof Conversion.NoAnswer noAnswer) {
                Outcome finalAnswer = finalAnswerInSuccess(noAnswer.error(), provider, started, latency);
                return finalAnswer != null ? finalAnswer : Outcome.fakeSuccess(noAnswer.reason(), status, started, latency);
            }
            ObjectNode completion = ((Conversion.Completion) conversion).completion();
            if (policy.checkErrorInSuccess() && completion.hasNonNull("error") && !completion.has("choices")) {
                Outcome finalAnswer = finalAnswerInSuccess(completion, provider, started, latency);
                return finalAnswer != null ? finalAnswer
                        : Outcome.fakeSuccess("error_in_success", status, started, latency);
            }
            if (policy.checkEmptyCompletion() && EmptyCompletion.isEmpty(completion)) {
                return Outcome.fakeSuccess("empty_completion", status, started, latency);
            }
            if (!completion.path("created").isNumber()) {
                // An answer that does not say when it was created (Anthropic, Responses) was created now.
                completion.put("created", clock.instant().getEpochSecond());
            }
            return Outcome.success(status, completion, completion.get("usage"), started, latency);
        }
        JsonNode json = parseOrNull(response.body());
        UpstreamResponse upstream = new UpstreamResponse(status, json);
        String errorCode = provider.errorCode(json);
        if (errorCode != null && policy.finalAnswerErrorCodes().contains(errorCode)) {
            return Outcome.nonSuccessStatus(upstream, true, errorCode, started, latency);
        }
        String reason = "status_" + status;
        if (policy.retryableStatuses().contains(status)) {
            Duration cooldown = policy.cooldownStatuses().contains(status) ? cooldownFor(response) : null;
            return Outcome.retryable(reason, upstream, cooldown, started, latency);
        }
        return Outcome.nonSuccessStatus(upstream, false, reason, started, latency);
    }

    /**
     * An error sent inside a 2xx whose code is a final-answer code (a context window exceeded, a
     * content policy) is a final answer as it would be outside a stream, where the providers send
     * it as a 400: every account would answer the same. {@code null} for any other error.
     */
    private Outcome finalAnswerInSuccess(JsonNode errorBody, AnswerReader provider, Instant started, Duration latency) {
        String code = errorBody == null ? null : provider.errorCode(errorBody);
        if (code == null || !policy.finalAnswerErrorCodes().contains(code)) {
            return null;
        }
        return Outcome.nonSuccessStatus(new UpstreamResponse(400, errorBody), true, code, started, latency);
    }

    private Outcome classifyFailure(UpstreamExchange.Failure failure) {
        Throwable cause = failure.cause();
        Instant started = failure.startedAt();
        Duration latency = failure.latency();
        Duration transportCooldown = policy.cooldownOnTransportError() ? policy.defaultCooldown() : null;
        if (cause instanceof CancellationException) {
            // Only a stopping processor cancels calls; the attempt is re-issued, so no cooldown.
            return Outcome.transportFailure("cancelled", false, null, started, latency);
        }
        if (isTimeout(cause)) {
            return Outcome.transportFailure("timeout", true, transportCooldown, started, latency);
        }
        if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                || cause instanceof UnknownHostException) {
            return Outcome.transportFailure("connect_error", false, transportCooldown, started, latency);
        }
        // Also the HTTP client's ConnectionClosedException, an IOException.
        if (cause instanceof SocketException || cause instanceof IOException) {
            return Outcome.transportFailure("connection_reset", false, null, started, latency);
        }
        return Outcome.fatalTransport("transport_error", cause.getClass().getSimpleName(), started, latency);
    }

    private static boolean isTimeout(Throwable cause) {
        // The HTTP client's ConnectTimeoutException is a SocketTimeoutException.
        return cause instanceof SocketTimeoutException || cause instanceof TimeoutException || cause instanceof InterruptedIOException;
    }

    private Duration cooldownFor(UpstreamExchange.Response response) {
        return RateLimitHeaders.cooldown(response, clock.instant()).orElse(policy.defaultCooldown());
    }

    private static JsonNode parseOrNull(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return JsonCodec.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

}
