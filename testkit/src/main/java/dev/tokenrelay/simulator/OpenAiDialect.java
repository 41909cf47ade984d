package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.UUID;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpStatus;

/**
 * The OpenAI APIs (chat completions and Responses): their errors share one body and one set of
 * codes, so they are rendered here once, and every answer carries an {@code x-request-id} header.
 */
abstract class OpenAiDialect extends Dialect {

    /** The header in which OpenAI names each response. */
    static final String REQUEST_ID_HEADER = "x-request-id";

    OpenAiDialect(ObjectMapper mapper) {
        super(mapper);
    }

    /** Adds {@code x-request-id: req_<32 hex>}, unique across endpoints and upstreams as OpenAI's are. */
    @Override
    final Answer identified(Answer answer) {
        if (answer.hasHeader(REQUEST_ID_HEADER)) {
            return answer;
        }
        return answer.withHeader(REQUEST_ID_HEADER, "req_" + UUID.randomUUID().toString().replace("-", ""));
    }

    @Override
    final Answer status(int status, String errorCode) {
        return routingError(status, OpenAiErrors.statusMessage(status), errorCode);
    }

    @Override
    final Answer rateLimited(long retryAfterSeconds) {
        return Answer.json(HttpStatus.SC_TOO_MANY_REQUESTS,
                        write(OpenAiErrors.body(OpenAiErrors.rateLimitMessage(retryAfterSeconds),
                                OpenAiErrors.type(HttpStatus.SC_TOO_MANY_REQUESTS), "rate_limit_exceeded")))
                .withHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds));
    }

    @Override
    final Answer routingError(int status, String message, String code) {
        return identified(Answer.json(status, write(OpenAiErrors.body(message, OpenAiErrors.type(status), code))));
    }
}
