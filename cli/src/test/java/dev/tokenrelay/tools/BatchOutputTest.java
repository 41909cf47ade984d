package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Results as lines of an OpenAI Batch output or error file ("the request output object"). */
class BatchOutputTest {

    private static final Instant T0 = Instant.parse("2025-01-31T12:00:00Z");

    private static JsonNode parse(String json) throws Exception {
        return JsonCodec.parseTree(json.getBytes(StandardCharsets.UTF_8));
    }

    private static TrailEntry attempt(int number, OutcomeKind outcome, String reason, Integer status, String requestId) {
        return new TrailEntry(number, "acct-" + number, "main", outcome, reason, status, 120, T0, requestId);
    }

    private static JsonNode render(ChatResult result) throws Exception {
        return parse(ResultFormat.OPENAI_BATCH.render(result));
    }

    @Test
    void shouldWriteASucceededResultWithTheCompletionAndTheUpstreamsRequestId() throws Exception {
        // Given a result that succeeded on its second attempt, whose upstream named its response
        ObjectNode completion = (ObjectNode) parse("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}");
        ChatResult result = new ChatResult("req-1", 0, ResultStatus.SUCCEEDED, 200, completion, null, null, null,
                List.of(attempt(1, OutcomeKind.RETRYABLE, "status_429", 429, "req_first"),
                        attempt(2, OutcomeKind.SUCCESS, "ok", 200, "req_0a1b2c")), T0);

        // When it is written in the OpenAI Batch format
        JsonNode line = render(result);

        // Then it is the request output object of a success
        assertThat(line.get("id").asText()).isEqualTo(BatchOutput.batchRequestId("req-1", 0)).matches("batch_req_[0-9a-f]{32}");
        assertThat(line.get("custom_id").asText()).isEqualTo("req-1");
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
        assertThat(line.at("/response/request_id").asText()).isEqualTo("req_0a1b2c");
        assertThat(line.at("/response/body")).isEqualTo(completion);
        assertThat(line.get("error").isNull()).isTrue();
        assertThat(BatchOutput.failed(result)).isFalse();
    }

    @Test
    void shouldWriteANullRequestIdWhenTheUpstreamSentNone() throws Exception {
        // Given a success whose upstream sent no request id header
        ObjectNode completion = (ObjectNode) parse("{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"choices\":[]}");
        ChatResult result = new ChatResult("req-1", 0, ResultStatus.SUCCEEDED, 200, completion, null, null, null,
                List.of(attempt(1, OutcomeKind.SUCCESS, "ok", 200, null)), T0);

        // When it is written
        JsonNode line = render(result);

        // Then request_id is there, as JSON null
        assertThat(line.get("response").has("request_id")).isTrue();
        assertThat(line.at("/response/request_id").isNull()).isTrue();
    }

    @Test
    void shouldWriteAnUpstreamErrorAsTheUpstreamsResponseWithItsOwnBodyAndNoError() throws Exception {
        // Given a failed, replayed result that passes the upstream's 429 and its error body through
        JsonNode upstream = parse("{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}");
        ChatResult result = new ChatResult("req-2", 1, ResultStatus.FAILED, 429, null,
                new ErrorInfo("upstream_error", "every account failed", upstream), null, null,
                List.of(attempt(1, OutcomeKind.RETRYABLE, "status_429", 429, "req_429")), T0);

        // When it is written in the OpenAI Batch format
        JsonNode line = render(result);

        // Then the response is the upstream's, as OpenAI writes a request answered with an error status
        assertThat(line.get("id").asText()).isEqualTo(BatchOutput.batchRequestId("req-2", 1));
        assertThat(line.get("custom_id").asText()).isEqualTo("req-2");
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(429);
        assertThat(line.at("/response/request_id").asText()).isEqualTo("req_429");
        assertThat(line.at("/response/body")).isEqualTo(upstream);
        assertThat(line.get("error").isNull()).isTrue();
        assertThat(BatchOutput.failed(result)).isTrue();
    }

    @Test
    void shouldNameTheAttemptWhoseResponseIsPassedThroughWhenALaterOneGotNone() throws Exception {
        // Given a 503 passed through after a later attempt timed out
        JsonNode upstream = parse("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":null}}");
        ChatResult result = new ChatResult("req-5", 0, ResultStatus.FAILED, 503, null,
                new ErrorInfo("upstream_error", "all 2 attempts failed", upstream), null, null,
                List.of(attempt(1, OutcomeKind.RETRYABLE, "status_503", 503, "req_503"),
                        attempt(2, OutcomeKind.RETRYABLE, "timeout", null, null)), T0);

        // When it is written
        JsonNode line = render(result);

        // Then request_id is that of the response shown
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(503);
        assertThat(line.at("/response/request_id").asText()).isEqualTo("req_503");
    }

    @Test
    void shouldWriteAnOpenAiErrorBodyWhenTheUpstreamsBodyWasNotJson() throws Exception {
        // Given a 429 passed through whose body was not JSON, so not kept
        ChatResult result = new ChatResult("req-6", 0, ResultStatus.FAILED, 429, null,
                ErrorInfo.of("upstream_error", "the only attempt failed"), null, null,
                List.of(attempt(1, OutcomeKind.RETRYABLE, "status_429", 429, "req_x")), T0);

        // When it is written
        JsonNode line = render(result);

        // Then the body is the error OpenAI would have sent for that status
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(429);
        assertThat(line.at("/response/body/error/type").asText()).isEqualTo("rate_limit_error");
        assertThat(line.at("/response/body/error/code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(line.at("/response/body/error/message").asText()).isEqualTo("the only attempt failed");
        assertThat(line.at("/response/body/error/param").isNull()).isTrue();
        assertThat(line.get("error").isNull()).isTrue();
    }

    @Test
    void shouldWriteACancelledRequestAsBatchCancelledWithNoResponse() throws Exception {
        // Given a request cancelled while it waited, never called
        ChatResult result = new ChatResult("req-9", 0, ResultStatus.CANCELLED, 499, null,
                ErrorInfo.of("cancelled", "batch nightly cancelled"), null, null, List.of(), T0);

        // When it is written in the OpenAI Batch format
        JsonNode line = render(result);

        // Then it has no response and OpenAI's error code for a cancelled batch's request
        assertThat(line.get("custom_id").asText()).isEqualTo("req-9");
        assertThat(line.get("response").isNull()).isTrue();
        assertThat(line.at("/error/code").asText()).isEqualTo("batch_cancelled");
        assertThat(line.at("/error/message").asText()).isEqualTo("batch nightly cancelled");
    }

    @Test
    void shouldWriteAnExpiredRequestAsBatchExpiredWithNoResponse() throws Exception {
        // Given a request whose deadline passed after a 429
        ChatResult result = new ChatResult("req-3", 0, ResultStatus.EXPIRED, 504, null,
                ErrorInfo.of("expired", "the deadline passed after 1 attempt(s)"), null, null,
                List.of(attempt(1, OutcomeKind.RETRYABLE, "status_429", 429, "req_429")), T0);

        // When it is written in the OpenAI Batch format
        JsonNode line = render(result);

        // Then it has no response and OpenAI's error code for a request its window closed on
        assertThat(line.get("custom_id").asText()).isEqualTo("req-3");
        assertThat(line.get("response").isNull()).isTrue();
        assertThat(line.at("/error/code").asText()).isEqualTo("batch_expired");
        assertThat(line.at("/error/message").asText()).isEqualTo("the deadline passed after 1 attempt(s)");
        assertThat(BatchOutput.failed(result)).isTrue();
    }

    @Test
    void shouldWriteATransportFailureWithNoResponseAndTheResultsErrorCode() throws Exception {
        // Given a request whose only attempt timed out, and one whose calls were all reset
        ChatResult timedOut = new ChatResult("req-4", 0, ResultStatus.FAILED, 504, null,
                ErrorInfo.of("upstream_timeout", "the only attempt failed; the last one timed out"), null, null,
                List.of(attempt(1, OutcomeKind.RETRYABLE, "timeout", null, null)), T0);
        ChatResult reset = new ChatResult("req-7", 0, ResultStatus.FAILED, 502, null,
                ErrorInfo.of("upstream_error", "the only attempt failed; the last failure was connection_reset"), null,
                null, List.of(attempt(1, OutcomeKind.RETRYABLE, "connection_reset", null, null)), T0);

        // When they are written
        JsonNode timedOutLine = render(timedOut);
        JsonNode resetLine = render(reset);

        // Then neither has a response, and each error says what happened
        assertThat(timedOutLine.get("response").isNull()).isTrue();
        assertThat(timedOutLine.at("/error/code").asText()).isEqualTo("upstream_timeout");
        assertThat(timedOutLine.at("/error/message").asText()).contains("timed out");
        assertThat(resetLine.get("response").isNull()).isTrue();
        assertThat(resetLine.at("/error/code").asText()).isEqualTo("upstream_error");
        assertThat(resetLine.at("/error/message").asText()).contains("connection_reset");
    }

    @Test
    void shouldWriteARejectedRequestWithNoResponse() throws Exception {
        // Given a request rejected on arrival, with no attempt
        ChatResult result = new ChatResult("req-8", 0, ResultStatus.REJECTED, 400, null,
                ErrorInfo.of("invalid_request", "/body/messages: required"), null, null, List.of(), T0);

        // When it is written
        JsonNode line = render(result);

        // Then there is no response, and the error names the rejection
        assertThat(line.get("response").isNull()).isTrue();
        assertThat(line.at("/error/code").asText()).isEqualTo("invalid_request");
    }

    @Test
    void shouldGiveOneSubmissionTheSameIdEveryTimeAndAReplayAnother() {
        // Given one request id at two generations

        // When their ids are made, twice
        String first = BatchOutput.batchRequestId("req-1", 0);
        String again = BatchOutput.batchRequestId("req-1", 0);
        String replay = BatchOutput.batchRequestId("req-1", 1);

        // Then one submission always has one id, SHA-256 of "req-1#0" cut to 32 hex digits
        assertThat(first).isEqualTo(again).isEqualTo("batch_req_89b9e33115fea6652ad96de58826adf0");
        assertThat(replay).isNotEqualTo(first).startsWith("batch_req_").hasSize("batch_req_".length() + 32);
    }

    @Test
    void shouldNameOpenAisErrorTypeForEachStatus() {
        assertThat(BatchOutput.openAiErrorType(400)).isEqualTo("invalid_request_error");
        assertThat(BatchOutput.openAiErrorType(401)).isEqualTo("authentication_error");
        assertThat(BatchOutput.openAiErrorType(403)).isEqualTo("permission_error");
        assertThat(BatchOutput.openAiErrorType(404)).isEqualTo("invalid_request_error");
        assertThat(BatchOutput.openAiErrorType(429)).isEqualTo("rate_limit_error");
        assertThat(BatchOutput.openAiErrorType(500)).isEqualTo("server_error");
        assertThat(BatchOutput.openAiErrorType(503)).isEqualTo("server_error");
    }

    @Test
    void shouldWriteAJsonlResultAsOnTheTopic() throws Exception {
        ChatResult result = new ChatResult("req-4", 0, ResultStatus.REJECTED, 400, null,
                ErrorInfo.of("invalid_request", "bad"), null, null, List.of(), T0);

        assertThat(JsonCodec.decode(ResultFormat.JSONL.render(result).getBytes(StandardCharsets.UTF_8), ChatResult.class))
                .isEqualTo(result);
    }
}
