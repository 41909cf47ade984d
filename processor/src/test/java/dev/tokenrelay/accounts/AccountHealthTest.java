package dev.tokenrelay.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.DisableRule;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.UpstreamResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How outcomes change an account's health, with and without the disable rule. */
class AccountHealthTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private static final Duration COOLDOWN = Duration.ofSeconds(15);
    private static final DisableRule RULE = new DisableRule(3, Duration.ofMinutes(1), Duration.ofMinutes(5));

    private final AccountHealth withRule = new AccountHealth(RULE);
    private final AccountHealth withoutRule = new AccountHealth(null);

    @Test
    void shouldCoolAndCountAFailureWithoutEverDisablingWhenTheRuleIsOff() {
        // Given an account that failed many times already
        AccountState state = null;

        // When it fails ten times in a row
        for (int i = 0; i < 10; i++) {
            state = withoutRule.after("a", state, failure(), NOW.plus(COOLDOWN), NOW).orElseThrow();
        }

        // Then it cools and counts, and is never disabled
        assertThat(state.consecutiveFailures()).isEqualTo(10);
        assertThat(state.coolingUntil()).isEqualTo(NOW.plus(COOLDOWN));
        assertThat(state.disabled()).isFalse();
        assertThat(state.probeAt()).isNull();
    }

    @Test
    void shouldDisableOnTheFailureThatFillsTheWindowAndCoolUntilTheProbe() {
        // Given an account with two failures in the current window
        AccountState second = failTimes(2, NOW);
        assertThat(second.disabled()).isFalse();

        // When a third failure arrives within the minute
        Instant third = NOW.plusSeconds(40);
        AccountState state = withRule.after("a", second, failure(), third.plus(COOLDOWN), third).orElseThrow();

        // Then it is disabled, probed in five minutes, and cools until then
        assertThat(state.disabled()).isTrue();
        assertThat(state.windowFailures()).isEqualTo(3);
        assertThat(state.probeAt()).isEqualTo(third.plus(RULE.probeAfter()));
        assertThat(state.coolingUntil()).isEqualTo(state.probeAt());
        assertThat(state.reason()).isEqualTo("disabled after 3 failures within PT1M: status_500");
    }

    @Test
    void shouldStartANewWindowWhenTheFailuresAreFurtherApartThanIt() {
        // Given two failures in a window that began at NOW
        AccountState second = failTimes(2, NOW);

        // When the next failure comes after the window has ended
        Instant late = NOW.plus(RULE.within()).plusSeconds(1);
        AccountState state = withRule.after("a", second, failure(), late.plus(COOLDOWN), late).orElseThrow();

        // Then it starts a window of its own, and the account stays enabled
        assertThat(state.windowStart()).isEqualTo(late);
        assertThat(state.windowFailures()).isEqualTo(1);
        assertThat(state.consecutiveFailures()).isEqualTo(3);
        assertThat(state.disabled()).isFalse();
    }

    @Test
    void shouldDisableAgainWhenTheProbeFails() {
        // Given an account disabled by the rule whose probe is due
        AccountState disabled = failTimes(3, NOW);
        Instant probe = disabled.probeAt();

        // When the probe call fails
        AccountState state = withRule.after("a", disabled, failure(), probe.plus(COOLDOWN), probe).orElseThrow();

        // Then it stays disabled until a new probe, one rest later
        assertThat(state.disabled()).isTrue();
        assertThat(state.probeAt()).isEqualTo(probe.plus(RULE.probeAfter()));
        assertThat(state.coolingUntil()).isEqualTo(state.probeAt());
        assertThat(state.reason()).isEqualTo("probe failed: status_500");
    }

    @Test
    void shouldEnableAnAccountTheRuleDisabledOnASuccess() {
        // Given an account disabled by the rule whose probe is due
        AccountState disabled = failTimes(3, NOW);

        // When the probe succeeds
        AccountState state = withRule.after("a", disabled, success(), null, disabled.probeAt()).orElseThrow();

        // Then every failure is cleared and the account is enabled
        assertThat(state.disabled()).isFalse();
        assertThat(state.probeAt()).isNull();
        assertThat(state.coolingUntil()).isNull();
        assertThat(state.consecutiveFailures()).isZero();
        assertThat(state.windowStart()).isNull();
        assertThat(state.reason()).isEqualTo("recovered");
    }

    @Test
    void shouldKeepAnAccountDisabledByHandDisabledAfterASuccess() {
        // Given an account disabled by hand (no probe) that had failed
        AccountState byHand = new AccountState("a", null, "disabled by operator", null, null, 2, true, NOW);

        // When a call to it succeeds (a pinned request)
        AccountState state = withRule.after("a", byHand, success(), null, NOW).orElseThrow();

        // Then its failures are cleared but it stays disabled
        assertThat(state.consecutiveFailures()).isZero();
        assertThat(state.disabled()).isTrue();
    }

    @Test
    void shouldChangeNothingForAnOutcomeThatNeitherCoolsNorRecovers() {
        // Given a healthy account, and one with a failure
        AccountState failed = failTimes(1, NOW);

        // When a success arrives for the healthy one, and a failure without cooldown for the other
        Optional<AccountState> healthy = withRule.after("a", null, success(), null, NOW);
        Optional<AccountState> noCooldown = withRule.after("a", failed, failure(), null, NOW);

        // Then no state is written
        assertThat(healthy).isEmpty();
        assertThat(noCooldown).isEmpty();
    }

    @Test
    void shouldNameEachChangeForTheMetrics() {
        // Given the states an account goes through: cooling, disabled, a failed probe, enabled again
        AccountState cooling = failTimes(1, NOW);
        AccountState disabled = failTimes(3, NOW);
        Instant probe = disabled.probeAt();
        AccountState probeFailed = withRule.after("a", disabled, failure(), probe.plus(COOLDOWN), probe).orElseThrow();
        AccountState enabled = withRule.after("a", disabled, success(), null, probe).orElseThrow();
        AccountState recovered = withRule.after("a", cooling, success(), null, NOW).orElseThrow();

        // When each change is named / Then it says what happened
        assertThat(AccountHealth.Change.between(null, cooling, NOW)).isEqualTo(AccountHealth.Change.COOLING);
        assertThat(AccountHealth.Change.between(failTimes(2, NOW), disabled, NOW))
                .isEqualTo(AccountHealth.Change.DISABLED);
        assertThat(AccountHealth.Change.between(disabled, probeFailed, probe)).isEqualTo(AccountHealth.Change.PROBE_FAILED);
        assertThat(AccountHealth.Change.between(disabled, enabled, probe)).isEqualTo(AccountHealth.Change.ENABLED);
        assertThat(AccountHealth.Change.between(cooling, recovered, NOW)).isEqualTo(AccountHealth.Change.RECOVERED);
    }

    /** The state after {@code times} failures one second apart, from {@code start}. */
    private AccountState failTimes(int times, Instant start) {
        AccountState state = null;
        for (int i = 0; i < times; i++) {
            Instant at = start.plusSeconds(i);
            state = withRule.after("a", state, failure(), at.plus(COOLDOWN), at).orElseThrow();
        }
        return state;
    }

    private static Outcome failure() {
        ObjectNode body = JsonCodec.mapper().createObjectNode();
        body.putObject("error").put("message", "boom");
        return Outcome.retryable("status_500", new UpstreamResponse(500, body), COOLDOWN, NOW, Duration.ofMillis(100));
    }

    private static Outcome success() {
        ObjectNode completion = JsonCodec.mapper().createObjectNode().put("object", "chat.completion");
        completion.putArray("choices").addObject().put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", "hi");
        return Outcome.success(200, completion, null, NOW, Duration.ofMillis(100));
    }
}
