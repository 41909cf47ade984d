package dev.tokenrelay.schema;

import java.time.Instant;

/**
 * The value of the compacted accounts topic (key: account id): what the processor knows about an
 * account's health. Every instance reads it as a table to skip cooling and disabled accounts.
 *
 * @param account             the account id
 * @param coolingUntil        the account is not chosen before this instant; {@code null} when not cooling
 * @param reason              why it is cooling or disabled, or what recovered it: the last change of its health
 * @param lastOutcome         the outcome of the last attempt that cooled, disabled or recovered the account
 * @param lastStatus          the HTTP status of that attempt, when there was one
 * @param consecutiveFailures failed attempts (RETRYABLE or FATAL on this account, whether or not
 *                            they cooled it) since the last success
 * @param windowStart         when the failure window of the disable rule began; {@code null} when the
 *                            rule is off or no failure is counted
 * @param windowFailures      failures counted in that window
 * @param disabled            taken out of rotation until enabled again
 * @param probeAt             when a disabled account gets a probe: from then on it takes one call at a
 *                            time, and the first success enables it again; {@code null}: no probe, it
 *                            stays disabled until enabled by hand
 * @param updatedAt           when this state was written
 * @param lastError           the reason of the latest failed attempt since the last success
 *                            ({@code empty_completion}, {@code reset}, {@code status_429}...);
 *                            {@code null} when none, or in a state written before it was recorded
 * @param lastErrorStatus     the HTTP status of that attempt, when there was one
 */
public record AccountState(
        String account,
        Instant coolingUntil,
        String reason,
        OutcomeKind lastOutcome,
        Integer lastStatus,
        int consecutiveFailures,
        Instant windowStart,
        int windowFailures,
        boolean disabled,
        Instant probeAt,
        Instant updatedAt,
        String lastError,
        Integer lastErrorStatus) {

    /** A state without the latest failure's reason, as written before it was recorded. */
    public AccountState(String account, Instant coolingUntil, String reason, OutcomeKind lastOutcome,
            Integer lastStatus, int consecutiveFailures, Instant windowStart, int windowFailures, boolean disabled,
            Instant probeAt, Instant updatedAt) {
        this(account, coolingUntil, reason, lastOutcome, lastStatus, consecutiveFailures, windowStart, windowFailures,
                disabled, probeAt, updatedAt, null, null);
    }

    /** A state without the disable rule's window and probe. */
    public AccountState(String account, Instant coolingUntil, String reason, OutcomeKind lastOutcome,
            Integer lastStatus, int consecutiveFailures, boolean disabled, Instant updatedAt) {
        this(account, coolingUntil, reason, lastOutcome, lastStatus, consecutiveFailures, null, 0, disabled, null,
                updatedAt);
    }

    /** Whether the account is cooling at {@code now}. */
    public boolean coolingAt(Instant now) {
        return coolingUntil != null && coolingUntil.isAfter(now);
    }

    /** Whether the account is out of rotation at {@code now}: disabled, with no probe due yet. */
    public boolean disabledAt(Instant now) {
        return disabled && (probeAt == null || probeAt.isAfter(now));
    }

    /**
     * When the account can next be chosen, seen at {@code now}: {@code now}, the end of its
     * cooldown (for an account disabled by the rule, its probe), or {@code null} when it is
     * disabled with no probe.
     */
    public Instant usableFrom(Instant now) {
        Instant from = coolingAt(now) ? coolingUntil : now;
        return disabledAt(from) ? null : from;
    }

    /** Whether a disabled account's probe is due at {@code now}: it may take one call at a time. */
    public boolean probingAt(Instant now) {
        return disabled && probeAt != null && !probeAt.isAfter(now);
    }
}
