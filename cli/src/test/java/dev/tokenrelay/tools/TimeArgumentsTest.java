package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeArgumentsTest {

    private static final Instant NOW = Instant.parse("2025-01-31T12:00:00Z");

    @Test
    void shouldReadInstantsDatesAndDurationsAgo() {
        assertThat(TimeArguments.instantOrAgo("--since", "2025-01-30T10:00:00Z", NOW)).isEqualTo("2025-01-30T10:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "2025-01-30T11:00:00+01:00", NOW)).isEqualTo("2025-01-30T10:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "2025-01-30", NOW)).isEqualTo("2025-01-30T00:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "1h", NOW)).isEqualTo("2025-01-31T11:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "PT30M", NOW)).isEqualTo("2025-01-31T11:30:00Z");
    }

    @Test
    void shouldReadDurationsWithUnits() {
        assertThat(TimeArguments.duration("--timeout", "10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(TimeArguments.duration("--timeout", "1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(TimeArguments.duration("--timeout", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(TimeArguments.duration("--timeout", "PT2S")).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void shouldExplainWhatItExpectsAsAUsageError() {
        assertThatThrownBy(() -> TimeArguments.instantOrAgo("--since", "yesterday", NOW))
                .isInstanceOf(ToolException.class)
                .hasMessage("--since: expected a time like 2025-01-31T12:00:00Z or a duration ago like 1h, got 'yesterday'")
                .matches(e -> ((ToolException) e).isUsage());
        assertThatThrownBy(() -> TimeArguments.duration("--timeout", "10")).hasMessageContaining("like 90s, 15m");
        assertThatThrownBy(() -> TimeArguments.duration("--timeout", "0s")).hasMessage("--timeout: must be longer than zero, got '0s'");
    }
}
