package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class AccountStateTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void shouldKeepADisabledAccountOutOfRotationUntilItsProbeIsDue() {
        // Given an account disabled by the rule, with its probe in a minute
        AccountState state = disabled(NOW.plusSeconds(60));

        // When it is looked at before, at and after the probe time / Then it is out, then probing
        assertThat(state.disabledAt(NOW)).isTrue();
        assertThat(state.probingAt(NOW)).isFalse();
        assertThat(state.disabledAt(NOW.plusSeconds(60))).isFalse();
        assertThat(state.probingAt(NOW.plusSeconds(60))).isTrue();
        assertThat(state.probingAt(NOW.plusSeconds(3600))).isTrue();
        assertThat(state.usableFrom(NOW)).isEqualTo(NOW.plusSeconds(60));
        assertThat(state.usableFrom(NOW.plusSeconds(61))).isEqualTo(NOW.plusSeconds(61));
    }

    @Test
    void shouldKeepAnAccountDisabledWithoutAProbeOutForEver() {
        // Given an account disabled with no probe time
        AccountState state = disabled(null);

        // When it is looked at much later / Then it is still out and never probing
        assertThat(state.disabledAt(NOW.plusSeconds(86_400))).isTrue();
        assertThat(state.probingAt(NOW.plusSeconds(86_400))).isFalse();
        assertThat(state.usableFrom(NOW)).isNull();
    }

    @Test
    void shouldNeitherDisableNorProbeAnEnabledAccount() {
        // Given an enabled account that is cooling
        AccountState state = new AccountState("a", NOW.plusSeconds(5), "status_429", OutcomeKind.RETRYABLE, 429, 1,
                false, NOW);

        // When it is looked at / Then it is cooling, but neither disabled nor probing
        assertThat(state.coolingAt(NOW)).isTrue();
        assertThat(state.disabledAt(NOW)).isFalse();
        assertThat(state.probingAt(NOW)).isFalse();
        assertThat(state.usableFrom(NOW)).isEqualTo(NOW.plusSeconds(5));
    }

    private static AccountState disabled(Instant probeAt) {
        return new AccountState("a", probeAt, "disabled", OutcomeKind.RETRYABLE, 500, 5, NOW, 5, true, probeAt, NOW);
    }
}
