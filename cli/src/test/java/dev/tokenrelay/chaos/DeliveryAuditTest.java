package dev.tokenrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliveryAuditTest {

    private static final Instant AT = Instant.parse("2026-12-02T12:00:00Z");

    @Test
    void shouldFindNothingWrongWithOneResultPerRequestThatAgreesWithItsOutcomes() {
        // Given two requests, one answered after a failover, each with its outcomes
        List<ChatResult> results = List.of(
                result("a", ResultStatus.SUCCEEDED, entry(1, "p1", OutcomeKind.RETRYABLE), entry(2, "p2", OutcomeKind.SUCCESS)),
                result("b", ResultStatus.SUCCEEDED, entry(1, "p2", OutcomeKind.SUCCESS)));
        List<AttemptOutcome> outcomes = List.of(outcome("a", entry(2, "p2", OutcomeKind.SUCCESS)),
                outcome("b", entry(1, "p2", OutcomeKind.SUCCESS)), outcome("a", entry(1, "p1", OutcomeKind.RETRYABLE)));

        // When they are audited with one call more at the upstream than in the trails
        DeliveryAudit audit = DeliveryAudit.of(List.of("a", "b"), results, outcomes, List.of(), 4,
                Map.of("a", 2, "b", 2));

        // Then exactly-once held and the extra call is counted as repeated
        assertThat(audit.exactlyOnce()).as(audit.examples()::toString).isTrue();
        assertThat(audit.results()).isEqualTo(2);
        assertThat(audit.callsInTrails()).isEqualTo(3);
        assertThat(audit.callsRepeated()).isEqualTo(1);
    }

    @Test
    void shouldCountDuplicatesLostRequestsMismatchedTrailsAndDeadLettersOfSuccesses() {
        // Given a request answered twice, one never answered, a trail the outcomes do not back and a dead-lettered success
        ChatResult a = result("a", ResultStatus.SUCCEEDED, entry(1, "p1", OutcomeKind.SUCCESS));
        List<ChatResult> results = List.of(a, a, result("c", ResultStatus.FAILED, entry(1, "p1", OutcomeKind.RETRYABLE)));
        List<AttemptOutcome> outcomes = List.of(outcome("a", entry(1, "p1", OutcomeKind.SUCCESS)),
                outcome("c", entry(1, "p2", OutcomeKind.RETRYABLE)));
        DeadLetter deadLetter = new DeadLetter("a", ResultStatus.FAILED, "test", null, null, null, null, List.of(), AT);

        // When they are audited
        DeliveryAudit audit = DeliveryAudit.of(List.of("a", "b", "c"), results, outcomes, List.of(deadLetter), 2,
                Map.of("a", 1));

        // Then each violation is counted, and exactly-once did not hold
        assertThat(audit.duplicates()).isEqualTo(1);
        assertThat(audit.lost()).isEqualTo(1);
        assertThat(audit.trailMismatches()).isEqualTo(1);
        assertThat(audit.deadLettersForSuccesses()).isEqualTo(1);
        assertThat(audit.underCalledRequests()).isEqualTo(1);
        assertThat(audit.exactlyOnce()).isFalse();
        assertThat(audit.examples()).anyMatch(e -> e.contains("no result for b"));
    }

    @Test
    void shouldPrintEveryCount() {
        // Given an audit of one request
        DeliveryAudit audit = DeliveryAudit.of(List.of("a"),
                List.of(result("a", ResultStatus.SUCCEEDED, entry(1, "p1", OutcomeKind.SUCCESS))),
                List.of(outcome("a", entry(1, "p1", OutcomeKind.SUCCESS))), List.of(), 1, Map.of());

        // When it is printed with the faults of the run
        String report = audit.report(new FaultCounts(3, 1, 4, 8, 1), 10);

        // Then every count a run reports is there, and a broker outage interrupts every instance
        assertThat(new FaultCounts(3, 1, 4, 8, 1).interruptions()).isEqualTo(1 + 4 + 8 + 3);
        assertThat(report).contains("instances          3", "requests           1", "kills              1",
                "restarts           4", "rebalances         8", "broker restarts    1", "duplicates         0",
                "lost               0", "calls repeated     0 (bound 10)");
    }

    private static ChatResult result(String id, ResultStatus status, TrailEntry... trail) {
        return new ChatResult(id, 0, status, status == ResultStatus.SUCCEEDED ? 200 : 502, null, null, null, null,
                List.of(trail), AT);
    }

    private static AttemptOutcome outcome(String id, TrailEntry entry) {
        return new AttemptOutcome(id, 0, entry, null, null);
    }

    private static TrailEntry entry(int number, String account, OutcomeKind outcome) {
        return new TrailEntry(number, account, "primary", outcome, null, 200, 10, AT);
    }
}
