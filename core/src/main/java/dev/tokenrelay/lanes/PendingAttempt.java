package dev.tokenrelay.lanes;

import dev.tokenrelay.schema.Attempt;

/**
 * An attempt held by the dispatch stage until its call ends: queued, parked or in flight.
 * {@code sequence} keeps arrival order across a restart, when the store is read back in key order.
 *
 * @param json the attempt's JSON as it arrived on the attempts topic, stored as it is so that
 *             admitting an attempt never encodes it again; {@code null} for an attempt made here
 */
public record PendingAttempt(Attempt attempt, long sequence, byte[] json) {

    /** An attempt made by this stage (a redirect, a parked retry), with no JSON yet. */
    public PendingAttempt(Attempt attempt, long sequence) {
        this(attempt, sequence, null);
    }
}
