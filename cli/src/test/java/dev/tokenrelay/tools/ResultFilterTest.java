package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResultFilterTest {

    private static ChatResult result(String id, ResultStatus status, String metadataJson) throws Exception {
        return new ChatResult(id, 0, status, 200, null, null, null,
                metadataJson == null ? null : JsonCodec.parseTree(metadataJson.getBytes()), List.of(), Instant.now());
    }

    @Test
    void shouldKeepOnlyResultsThatMeetEveryCondition() throws Exception {
        // Given a filter on status, id and metadata
        ResultFilter filter = new ResultFilter(Set.of(ResultStatus.FAILED), Set.of("a", "b"), Map.of("customer", "acme"));

        // Then only a result meeting all three passes
        assertThat(filter).accepts(result("a", ResultStatus.FAILED, "{\"customer\":\"acme\"}"));
        assertThat(filter).rejects(result("a", ResultStatus.SUCCEEDED, "{\"customer\":\"acme\"}"),
                result("c", ResultStatus.FAILED, "{\"customer\":\"acme\"}"),
                result("b", ResultStatus.FAILED, "{\"customer\":\"other\"}"),
                result("b", ResultStatus.FAILED, null));
    }

    @Test
    void shouldCompareMetadataValuesAsText() throws Exception {
        ResultFilter filter = new ResultFilter(Set.of(), Set.of(), Map.of("priority", "2", "vip", "true"));

        assertThat(filter).accepts(result("a", ResultStatus.SUCCEEDED, "{\"priority\":2,\"vip\":true}"));
        assertThat(filter).rejects(result("a", ResultStatus.SUCCEEDED, "{\"priority\":3,\"vip\":true}"));
    }

    @Test
    void shouldReadStatusNamesInAnyCaseAndRefuseUnknownOnes() {
        assertThat(ResultFilter.statuses("--status", List.of("failed", "EXPIRED")))
                .containsExactlyInAnyOrder(ResultStatus.FAILED, ResultStatus.EXPIRED);
        assertThatThrownBy(() -> ResultFilter.statuses("--status", List.of("broken")))
                .isInstanceOf(ToolException.class)
                .hasMessage("--status: unknown status 'broken' (use succeeded, failed, expired or rejected)");
    }
}
