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
        assertThat(state.lastError()).isEqualTo("status_500");
        assertThat(state.lastErrorStatus()).isEqualTo(500);
        assertThat(state.coolingUntil()).isEqualTo(NOW.plus(COOLDOWN));
        assertThat(state.disabled()).isFalse();
        assertThat(state.probeAt()).isNull();
    }

    @Test
    void shouldKeepTheLaterEndWhenAShorterCooldownFollowsALongerOne() {
        // Given an account cooling for a minute after a 429 with Retry-After: 60
        AccountState limited = withoutRule.after("a", null, failure(), NOW.plusSeconds(60), NOW).orElseThrow();

        // When a 500 with the 15 s default cooldown ends a call that was already in flight
        Instant later = NOW.plusSeconds(1);
        AccountState state = withoutRule.after("a", limited, failure(), later.plus(COOLDOWN), later).orElseThrow();

        // Then the published cooldown still ends a minute after the 429
        assertThat(state.coolingUntil()).isEqualTo(NOW.plusSeconds(60));
        assertThat(state.consecutiveFailures()).isEqualTo(2);
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
    void shouldChangeNothingForAnOutcomeThatIsNeitherAFailureNorARecovery() {
        // Given a healthy account, and one with a failure
        AccountState failed = failTimes(1, NOW);

        // When a success arrives for the healthy one, and a skipped credential and a non-2xx success for the other
        Optional<AccountState> healthy = withRule.after("a", null, success(), null, NOW);
        Optional<AccountState> skipped = withRule.after("a", failed, Outcome.skippedAuth("refresh_refused"), null, NOW);
        Optional<AccountState> teapot = withRule.after("a", failed,
                Outcome.nonSuccessStatus(new UpstreamResponse(418, null), false, "status_418", NOW, Duration.ZERO), null,
                NOW);

        // Then no state is written
        assertThat(healthy).isEmpty();
        assertThat(skipped).isEmpty();
        assertThat(teapot).isEmpty();
    }

    @Test
    void shouldCountEveryFailureThatDoesNotCoolWithoutTouchingCoolingOrTheDisableRule() {
        // Given an account that never failed
        AccountState state = null;

        // When it answers 100 empty completions and then its connection is reset
        for (int i = 0; i < 100; i++) {
            state = withRule.after("a", state, Outcome.fakeSuccess("empty_completion", 200, NOW, Duration.ZERO), null,
                    NOW.plusSeconds(i)).orElseThrow();
        }
        state = withRule.after("a", state, Outcome.transportFailure("reset", false, null, NOW, Duration.ZERO), null,
                NOW.plusSeconds(100)).orElseThrow();

        // Then all 101 failures are counted and the latest is recorded, but it neither cools nor moves toward disabling
        assertThat(state.consecutiveFailures()).isEqualTo(101);
        assertThat(state.lastError()).isEqualTo("reset");
        assertThat(state.lastErrorStatus()).isNull();
        assertThat(state.coolingUntil()).isNull();
        assertThat(state.windowFailures()).isZero();
        assertThat(state.disabled()).isFalse();
        assertThat(AccountHealth.countsOnly(Outcome.fakeSuccess("empty_completion", 200, NOW, Duration.ZERO), null))
                .isTrue();
    }

    @Test
    void shouldCountAFailureThatDoesNotCoolOnTopOfACooldownAndKeepTheCooldown() {
        // Given an account cooling after a 500, one failure into the rule's window
        AccountState cooling = failTimes(1, NOW);

        // When a fatal failure follows
        AccountState state = withRule.after("a", cooling, Outcome.fatal("unsendable", 400, "cannot convert"), null,
                NOW.plusSeconds(1)).orElseThrow();

        // Then it is counted and is the last error, while the cooldown, its reason and the window are unchanged
        assertThat(state.consecutiveFailures()).isEqualTo(2);
        assertThat(state.lastError()).isEqualTo("unsendable");
        assertThat(state.coolingUntil()).isEqualTo(cooling.coolingUntil());
        assertThat(state.reason()).isEqualTo("status_500");
        assertThat(state.windowFailures()).isEqualTo(1);
    }

    @Test
    void shouldClearCountedFailuresOnASuccess() {
        // Given an account whose only failures were empty completions
        AccountState failed = withRule.after("a", null, Outcome.fakeSuccess("empty_completion", 200, NOW, Duration.ZERO),
                null, NOW).orElseThrow();

        // When a call succeeds
        AccountState state = withRule.after("a", failed, success(), null, NOW.plusSeconds(1)).orElseThrow();

        // Then its failures and last error are cleared, which is a recovery
        assertThat(state.consecutiveFailures()).isZero();
        assertThat(state.lastError()).isNull();
        assertThat(AccountHealth.Change.between(failed, state, NOW)).isEqualTo(AccountHealth.Change.RECOVERED);
        assertThat(AccountHealth.countsOnly(success(), null)).isFalse();
        assertThat(AccountHealth.countsOnly(failure(), NOW.plus(COOLDOWN))).isFalse();
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
