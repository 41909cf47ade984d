package dev.tokenrelay.schema;

import java.time.Instant;

/**
 * The value of the compacted accounts topic (key: account id): what the processor knows about an
 * account's health. Every instance reads it as a table to skip cooling accounts.
 *
 * @param account             the account id
 * @param coolingUntil        the account is not chosen before this instant; {@code null} when not cooling
 * @param reason              why it is cooling or what happened last
 * @param lastOutcome         the outcome of the last attempt that changed this state
 * @param lastStatus          the HTTP status of that attempt, when there was one
 * @param consecutiveFailures failures since the last success
 * @param disabled            taken out of rotation until enabled again
 * @param updatedAt           when this state was written
 */
public record AccountState(
        String account,
        Instant coolingUntil,
        String reason,
        OutcomeKind lastOutcome,
        Integer lastStatus,
        int consecutiveFailures,
        boolean disabled,
        Instant updatedAt) {

    /** Whether the account is cooling at {@code now}. */
    public boolean coolingAt(Instant now) {
        return coolingUntil != null && coolingUntil.isAfter(now);
    }
}
