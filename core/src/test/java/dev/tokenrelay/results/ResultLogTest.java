package dev.tokenrelay.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultLogTest {

    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void shouldDescribeTheAccountsPathAndTheLatencyFromTheFirstCall() {
        // Given a request that skipped an account without a key, failed over once and then succeeded
        List<TrailEntry> trail = List.of(
                new TrailEntry(1, "keyless", "main", OutcomeKind.SKIPPED_AUTH, "no_credential", null, 0, null),
                new TrailEntry(2, "first", "main", OutcomeKind.RETRYABLE, "status_500", 500, 120, START),
                new TrailEntry(3, "second", "main", OutcomeKind.SUCCESS, "ok", 200, 300, START.plusMillis(500)));
        ChatResult result = new ChatResult("r-1", 0, ResultStatus.SUCCEEDED, 200, null, null, null, null, trail,
                START.plusMillis(900));

        // Then the path lists every account in order, and the latency counts from the first call
        assertThat(ResultLog.accountsPath(result.attempts())).isEqualTo("keyless->first->second");
        assertThat(ResultLog.latencyMs(result)).isEqualTo(900);
    }

    @Test
    void shouldReportNoLatencyWhenNoCallWasMade() {
        // Given a request rejected at intake
        ChatResult rejected = new ChatResult("r-2", 0, ResultStatus.REJECTED, 400, null, null, null, null, List.of(),
                START);

        // Then its path is empty and its latency 0
        assertThat(ResultLog.accountsPath(rejected.attempts())).isEmpty();
        assertThat(ResultLog.latencyMs(rejected)).isZero();
    }
}
