package dev.tokenrelay.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How one {@link Endpoint} renders the behaviours that produce a response, in its API's own wire
 * format. {@link Behaviour.Reset} and {@link Behaviour.NoAnswer} send nothing, so the exchange
 * carries them out itself. Implementations are thread-safe.
 */
abstract class Dialect {

    final ObjectMapper mapper;
    private final AtomicLong ids = new AtomicLong();

    Dialect(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * The answer {@code behaviour} gives to {@code request}.
     *
     * @throws IllegalArgumentException for {@link Behaviour.Reset} and {@link Behaviour.NoAnswer}
     */
    final Answer render(Behaviour behaviour, JsonNode request) {
        return identified(answer(behaviour, request));
    }

    private Answer answer(Behaviour behaviour, JsonNode request) {
        if (behaviour instanceof Behaviour.Reply reply) {
            return text(request, reply.text());
        } else if (behaviour instanceof Behaviour.Echo) {
            return text(request, echo(request));
        } else if (behaviour instanceof Behaviour.EmptyCompletion) {
            return text(request, "");
        } else if (behaviour instanceof Behaviour.ToolCall toolCall) {
            return toolCall(request, toolCall);
        } else if (behaviour instanceof Behaviour.ErrorInOk errorInOk) {
            return errorInOk(request, errorInOk.message());
        } else if (behaviour instanceof Behaviour.TruncatedStream) {
            return truncated(request, echo(request));
        } else if (behaviour instanceof Behaviour.Status status) {
            return status(status.status(), status.errorCode());
        } else if (behaviour instanceof Behaviour.RateLimited rateLimited) {
            return rateLimited(rateLimited.retryAfterSeconds());
        }
        throw new IllegalArgumentException("No response body for " + behaviour);
    }

    /**
     * {@code answer} with the header in which this API names each response, as the real one sends it
     * on every response. By default unchanged, for a dialect that names its answers as it builds them.
     */
    Answer identified(Answer answer) {
        return answer;
    }

    /** {@code "echo: "} plus the request's last user text. */
    final String echo(JsonNode request) {
        return "echo: " + lastUserText(request);
    }

    /** A successful answer whose assistant text is {@code text} (possibly empty). */
    abstract Answer text(JsonNode request, String text);

    /** A successful answer calling one tool. */
    abstract Answer toolCall(JsonNode request, Behaviour.ToolCall toolCall);

    /** A 200 carrying an error instead of an answer. */
    abstract Answer errorInOk(JsonNode request, String message);

    /** A 200 whose body stops before its end; {@code text} is the answer it was sending. */
    abstract Answer truncated(JsonNode request, String text);

    /** An error status with this API's error body. */
    abstract Answer status(int status, String errorCode);

    /** A 429 with Retry-After and this API's rate-limit body. */
    abstract Answer rateLimited(long retryAfterSeconds);

    /** A routing failure (unknown account, wrong method) in this API's error format. */
    abstract Answer routingError(int status, String message, String code);

    /** The text of the request's last user message, empty when there is none. */
    abstract String lastUserText(JsonNode request);

    /** A fresh id such as {@code resp_sim_7}: unique per upstream and endpoint, readable in logs. */
    final String nextId(String prefix) {
        return prefix + ids.incrementAndGet();
    }

    final byte[] write(JsonNode body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    final Sse sse() {
        return new Sse(mapper);
    }

    static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }
}
