package dev.tokenrelay.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Token estimates for the tokens-per-minute limit. */
class TokenCountTest {

    @Test
    void shouldEstimateThePromptAtFourCharactersATokenPlusMaxTokens() {
        // Given messages with 31 characters of strings in all (roles and part types included) and max_tokens 100
        ChatRequest request = request("""
                {"model": "m", "max_tokens": 100,
                 "messages": [{"role": "user", "content": "0123456789"},
                              {"role": "assistant", "content": [{"type": "text", "text": "abcd"}]}]}
                """);

        // When it is estimated
        int tokens = TokenCount.estimate(request);

        // Then it is ceil(31 / 4) + 100
        assertThat(tokens).isEqualTo(8 + 100);
    }

    @Test
    void shouldPreferMaxCompletionTokensAndCountTools() {
        // Given 4 characters of messages, 8 of tool definitions, and both output limits
        ChatRequest request = request("""
                {"model": "m", "max_tokens": 100, "max_completion_tokens": 20,
                 "messages": [{"role": "user"}],
                 "tools": [{"type": "function"}]}
                """);

        // When it is estimated, then it is (4 + 8) / 4 + 20
        assertThat(TokenCount.estimate(request)).isEqualTo(3 + 20);
    }

    @Test
    void shouldEstimateAtLeastOneToken() {
        assertThat(TokenCount.estimate(request("{\"model\": \"m\", \"messages\": []}"))).isEqualTo(1);
    }

    @Test
    void shouldTakeWhatACallUsedFromItsUsage() {
        // Given a success whose usage reports 42 tokens, and one with no usage
        JsonNode completion = JsonCodec.mapper().createObjectNode();
        Outcome withUsage = new Outcome.Success(200, completion,
                JsonCodec.mapper().createObjectNode().put("total_tokens", 42), null, false, "ok", Instant.EPOCH,
                Duration.ZERO);
        Outcome withoutUsage = new Outcome.Success(200, completion, null, null, false, "ok", Instant.EPOCH,
                Duration.ZERO);

        // When their use is read, then the first counts 42 and the second keeps its estimate
        assertThat(TokenCount.used(withUsage)).isEqualTo(42);
        assertThat(TokenCount.used(withoutUsage)).isNull();
    }

    private static ChatRequest request(String body) {
        return new ChatRequest("r", 0, JsonCodec.decode(body.getBytes(StandardCharsets.UTF_8), ObjectNode.class),
                null, null, null, null);
    }
}
