package dev.tokenrelay.accounts;

import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.DisableRule;
import dev.tokenrelay.schema.AccountState;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an attempt's outcome changes its account's health (docs/design.md, section 3): a failure that cools
 * the account cools it; with the {@link DisableRule} on, the failure that fills the rule's window
 * (only failures that cool count there), or a failed probe, disables it until its next probe; a 2xx
 * clears every failure and enables an account the rule disabled.
 *
 * <p>Every failed attempt (RETRYABLE or FATAL), whether it cools the account or not, is counted in
 * {@link AccountState#consecutiveFailures()} and recorded as {@link AccountState#lastError()}:
 * an account that answers 200s with empty completions, or resets every connection, is failing
 * although it never cools, and the {@code accounts} command must show it. Such a failure changes
 * only those fields; other outcomes (a non-2xx success, a skipped credential) change nothing.
 *
 * <p>A disabled account cools until its probe, so that choosing, parking and waiting all read one
 * time; {@link AccountState#disabled()} then tells dispatch to run one call at a time.
 */
public final class AccountHealth {

    private static final Logger LOG = LoggerFactory.getLogger(AccountHealth.class);

    /** What a new state did to the account, for metrics; written by name. */
    public enum Change {
        /** Cooling after a failure, still enabled. */
        COOLING,
        /** Disabled by the rule. */
        DISABLED,
        /** A disabled account's probe failed: disabled until the next one. */
        PROBE_FAILED,
        /** A disabled account answered: enabled again. */
        ENABLED,
        /** A success cleared the failures of an enabled account. */
        RECOVERED;

        /** The change from {@code previous} ({@code null}: none) to {@code next}, seen at {@code now}. */
        public static Change between(AccountState previous, AccountState next, Instant now) {
            boolean wasDisabled = previous != null && previous.disabled();
            if (next.disabled()) {
                if (!wasDisabled) {
                    return DISABLED;
                }
                return previous.probingAt(now) ? PROBE_FAILED : COOLING;
            }
            if (wasDisabled) {
                return ENABLED;
            }
            return next.coolingUntil() != null ? COOLING : RECOVERED;
        }
    }

    private final DisableRule rule;

    /** @param rule the disable rule, {@code null} when accounts are only cooled */
    public AccountHealth(DisableRule rule) {
        this.rule = rule;
    }

    /**
     * The account's state after {@code outcome}, if the outcome changes it.
     *
     * @param previous the state before, {@code null} when the account never had one
     * @param cooldownUntil the end of the cooldown the outcome asks for, {@code null} when none
     */
    public Optional<AccountState> after(String account, AccountState previous, Outcome outcome,
            Instant cooldownUntil, Instant now) {
        if (cooldownUntil != null) {
            return Optional.of(failed(account, previous, outcome, cooldownUntil, now));
        }
        if (countsOnly(outcome, cooldownUntil)) {
            return Optional.of(counted(account, previous, outcome, now));
        }
        if (outcome instanceof Outcome.Success success && success.is2xx() && previous != null
                && (previous.coolingUntil() != null || previous.consecutiveFailures() > 0 || previous.probeAt() != null
                        || previous.lastError() != null)) {
            if (previous.probeAt() != null) {
                LOG.atInfo().addKeyValue("account", account).log("account enabled again after a success");
            }
            // An account disabled by hand (no probe) stays disabled.
            return Optional.of(new AccountState(account, null, "recovered", outcome.kind(), outcome.httpStatus(), 0,
                    null, 0, previous.disabled() && previous.probeAt() == null, null, now));
        }
        return Optional.empty();
    }

    /** Whether {@code outcome} is a failed attempt of the account: RETRYABLE or FATAL. */
    static boolean isFailure(Outcome outcome) {
        return outcome instanceof Outcome.Retryable || outcome instanceof Outcome.Fatal;
    }

    /**
     * Whether {@code outcome}, with the cooldown it asks for ({@code null}: none), only counts a
     * failure that does not cool the account, as opposed to changing its health (cooling,
     * disabled, probe, recovered): only changes of health are metrics.
     */
    public static boolean countsOnly(Outcome outcome, Instant cooldownUntil) {
        return cooldownUntil == null && isFailure(outcome);
    }

    /** A failure that does not cool the account: counted and recorded, nothing else changes. */
    private static AccountState counted(String account, AccountState previous, Outcome outcome, Instant now) {
        if (previous == null) {
            return new AccountState(account, null, null, null, null, 1, null, 0, false, null, now, outcome.reason(),
                    outcome.httpStatus());
        }
        return new AccountState(account, previous.coolingUntil(), previous.reason(), previous.lastOutcome(),
                previous.lastStatus(), previous.consecutiveFailures() + 1, previous.windowStart(),
                previous.windowFailures(), previous.disabled(), previous.probeAt(), now, outcome.reason(),
                outcome.httpStatus());
    }

    private AccountState failed(String account, AccountState previous, Outcome outcome, Instant cooldownUntil,
            Instant now) {
        // A shorter cooldown does not cut a longer one short (a 500 after a 429 with Retry-After: 60
        // leaves the 60 s): the owning task's lane keeps the later end, and the state published to
        // every instance must say the same.
        if (previous != null && previous.coolingUntil() != null && previous.coolingUntil().isAfter(cooldownUntil)) {
            cooldownUntil = previous.coolingUntil();
        }
        int failures = previous == null ? 1 : previous.consecutiveFailures() + 1;
        boolean disabled = previous != null && previous.disabled();
        Instant probeAt = previous == null ? null : previous.probeAt();
        if (rule == null) {
            return new AccountState(account, cooldownUntil, outcome.reason(), outcome.kind(), outcome.httpStatus(),
                    failures, null, 0, disabled, probeAt, now, outcome.reason(), outcome.httpStatus());
        }
        boolean inWindow = previous != null && previous.windowStart() != null
                && !now.isAfter(previous.windowStart().plus(rule.within()));
        Instant windowStart = inWindow ? previous.windowStart() : now;
        int windowFailures = inWindow ? previous.windowFailures() + 1 : 1;
        String reason = outcome.reason();
        if (previous != null && previous.probingAt(now)) {
            probeAt = now.plus(rule.probeAfter());
            reason = "probe failed: " + outcome.reason();
            LOG.atWarn().addKeyValue("account", account).addKeyValue("probeAt", probeAt)
                    .log("account stays disabled: its probe failed ({})", outcome.reason());
        } else if (!disabled && windowFailures >= rule.afterFailures()) {
            disabled = true;
            probeAt = now.plus(rule.probeAfter());
            reason = "disabled after " + windowFailures + " failures within " + rule.within() + ": " + outcome.reason();
            LOG.atWarn().addKeyValue("account", account).addKeyValue("probeAt", probeAt)
                    .log("account disabled after {} failures within {} (last: {})", windowFailures, rule.within(),
                            outcome.reason());
        }
        Instant coolingUntil = disabled && probeAt != null && probeAt.isAfter(cooldownUntil) ? probeAt : cooldownUntil;
        return new AccountState(account, coolingUntil, reason, outcome.kind(), outcome.httpStatus(), failures,
                windowStart, windowFailures, disabled, probeAt, now, outcome.reason(), outcome.httpStatus());
    }
}
