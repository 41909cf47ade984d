package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {

    private final DurationConverter converter = new DurationConverter();

    @Test
    void shouldReadDurationsAsTheConfigurationDoesAndZeroWithoutAUnit() {
        // Given the forms a user types / When they are converted / Then each is the duration meant
        assertThat(converter.convert("0")).isZero();
        assertThat(converter.convert("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(converter.convert(" 2m ")).isEqualTo(Duration.ofMinutes(2));
        assertThat(converter.convert("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(converter.convert("PT1S")).isEqualTo(Duration.ofSeconds(1));
        assertThat(converter.convert("1h30m")).isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void shouldRefuseANumberWithoutAUnitNamingTheAcceptedForms() {
        // Given a number other than 0 with no unit / When it is converted / Then picocli gets a clear message
        assertThatThrownBy(() -> converter.convert("10"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("expected a duration like 500ms, 15s, 5m, 1h30m, 7d or PT15S, got '10'");
    }
}
