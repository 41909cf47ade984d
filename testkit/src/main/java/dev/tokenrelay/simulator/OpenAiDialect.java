package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpStatus;

/**
 * The OpenAI APIs (chat completions and Responses): their errors share one body and one set of
 * codes, so they are rendered here once.
 */
abstract class OpenAiDialect extends Dialect {

    OpenAiDialect(ObjectMapper mapper) {
        super(mapper);
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
        return Answer.json(status, write(OpenAiErrors.body(message, OpenAiErrors.type(status), code)));
    }
}
