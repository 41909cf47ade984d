package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void shouldParseEveryUnitAndIso8601() {
        // Given durations in each accepted form
        // When they are parsed, Then each has its unit
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("15s")).isEqualTo(Duration.ofSeconds(15));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("PT15S")).isEqualTo(Duration.ofSeconds(15));
        assertThat(Durations.parse("P1DT2H")).isEqualTo(Duration.ofHours(26));
        assertThat(Durations.parse(" 0s ")).isZero();
    }

    @Test
    void shouldAddUpCompoundForms() {
        // Given durations written as several units in a row
        // When they are parsed, Then they are the sum of their parts
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("2m30s")).isEqualTo(Duration.ofSeconds(150));
        assertThat(Durations.parse("1s500ms")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("1d12h")).isEqualTo(Duration.ofHours(36));
        assertThat(Durations.parse(" 1m1ms ")).isEqualTo(Duration.ofMillis(60_001));
    }

    @Test
    void shouldRejectAnythingElse() {
        // Given texts without a unit, with an unknown unit, a fraction, a sign, a space between parts, or out of range
        // When they are parsed, Then each is rejected naming the text and the accepted forms
        for (String text : new String[] {"15", "15 s", "15sec", "1.5s", "-5s", "", "PT", "99999999999999999999d",
                "1h 30m", "1h30", "h30m", "1h-30m", "9223372036854775807d1d"}) {
            assertThatThrownBy(() -> Durations.parse(text)).as(text)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("expected a duration like 500ms, 15s, 5m, 1h30m, 7d or PT15S, got '" + text + "'");
        }
    }
}
