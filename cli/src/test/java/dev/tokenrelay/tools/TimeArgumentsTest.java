package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeArgumentsTest {

    private static final Instant NOW = Instant.parse("2025-01-31T12:00:00Z");

    @Test
    void shouldReadInstantsDatesAndDurationsAgo() {
        // Given times and durations as typed / When they are read / Then each is the instant meant
        assertThat(TimeArguments.instantOrAgo("--since", "2025-01-30T10:00:00Z", NOW)).isEqualTo("2025-01-30T10:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "2025-01-30T11:00:00+01:00", NOW)).isEqualTo("2025-01-30T10:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "2025-01-30", NOW)).isEqualTo("2025-01-30T00:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "1h", NOW)).isEqualTo("2025-01-31T11:00:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "PT30M", NOW)).isEqualTo("2025-01-31T11:30:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "1h30m", NOW)).isEqualTo("2025-01-31T10:30:00Z");
        assertThat(TimeArguments.instantOrAgo("--since", "2m30s", NOW)).isEqualTo("2025-01-31T11:57:30Z");
    }

    @Test
    void shouldExplainWhatItExpectsAsAUsageError() {
        // Given neither a time nor a duration, and a duration of zero / When read / Then a usage error says why
        assertThatThrownBy(() -> TimeArguments.instantOrAgo("--since", "yesterday", NOW))
                .isInstanceOf(ToolException.class)
                .hasMessage("--since: expected a time like 2025-01-31T12:00:00Z or a duration ago like 1h, got 'yesterday'")
                .matches(e -> ((ToolException) e).isUsage());
        assertThatThrownBy(() -> TimeArguments.instantOrAgo("--until", "0s", NOW))
                .isInstanceOf(ToolException.class)
                .hasMessage("--until: must be longer than zero, got '0s'");
    }
}
