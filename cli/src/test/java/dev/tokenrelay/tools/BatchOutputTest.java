package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchOutputTest {

    private static JsonNode parse(String json) throws Exception {
        return JsonCodec.parseTree(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldWriteASucceededResultAsABatchOutputLineWithTheCompletionAsBody() throws Exception {
        // Given a succeeded result
        ObjectNode completion = (ObjectNode) parse("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}");
        ChatResult result = new ChatResult("req-1", 0, ResultStatus.SUCCEEDED, 200, completion, null, null, null,
                List.of(), Instant.parse("2025-01-31T12:00:00Z"));

        // When it is written in the Batch format
        JsonNode line = parse(ResultFormat.BATCH.render(result));

        // Then it has the Batch output shape
        assertThat(line.get("id").asText()).isEqualTo("req-1");
        assertThat(line.get("custom_id").asText()).isEqualTo("req-1");
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
        assertThat(line.at("/response/request_id").asText()).isEqualTo("chatcmpl-1");
        assertThat(line.at("/response/body")).isEqualTo(completion);
        assertThat(line.get("error").isNull()).isTrue();
    }

    @Test
    void shouldWriteAFailedResultWithTheUpstreamErrorBodyAndAnError() throws Exception {
        // Given a failed, replayed result whose upstream error body was passed through
        JsonNode upstream = parse("{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}");
        ChatResult result = new ChatResult("req-2", 1, ResultStatus.FAILED, 429, null,
                new ErrorInfo("upstream_error", "every account failed", upstream), null, null, List.of(), Instant.now());

        // When it is written in the Batch format
        JsonNode line = parse(ResultFormat.BATCH.render(result));

        // Then the body is the upstream's error, the error names the failure, and the id tells generations apart
        assertThat(line.get("id").asText()).isEqualTo("req-2#1");
        assertThat(line.get("custom_id").asText()).isEqualTo("req-2");
        assertThat(line.at("/response/status_code").asInt()).isEqualTo(429);
        assertThat(line.at("/response/body")).isEqualTo(upstream);
        assertThat(line.at("/error/code").asText()).isEqualTo("upstream_error");
        assertThat(line.at("/error/message").asText()).isEqualTo("every account failed");
    }

    @Test
    void shouldBuildAnOpenAiErrorBodyWhenNoUpstreamBodyWasKept() throws Exception {
        // Given an expired result
        ChatResult result = new ChatResult("req-3", 0, ResultStatus.EXPIRED, 504, null,
                ErrorInfo.of("expired", "the deadline passed"), null, null, List.of(), Instant.now());

        // When it is written in the Batch format
        JsonNode line = parse(ResultFormat.BATCH.render(result));

        // Then the body is an OpenAI-style error object
        assertThat(line.at("/response/body/error/message").asText()).isEqualTo("the deadline passed");
        assertThat(line.at("/response/body/error/type").asText()).isEqualTo("expired");
        assertThat(line.at("/response/body/error/code").asText()).isEqualTo("expired");
        assertThat(line.at("/error/code").asText()).isEqualTo("expired");
    }

    @Test
    void shouldWriteAJsonlResultAsOnTheTopic() throws Exception {
        ChatResult result = new ChatResult("req-4", 0, ResultStatus.REJECTED, 400, null,
                ErrorInfo.of("invalid_request", "bad"), null, null, List.of(), Instant.parse("2025-01-31T12:00:00Z"));

        assertThat(JsonCodec.decode(ResultFormat.JSONL.render(result).getBytes(StandardCharsets.UTF_8), ChatResult.class))
                .isEqualTo(result);
    }
}
