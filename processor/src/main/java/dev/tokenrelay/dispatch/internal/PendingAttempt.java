package dev.tokenrelay.dispatch.internal;

import dev.tokenrelay.schema.Attempt;

/**
 * An attempt held by the dispatch stage until its call ends: queued or in flight. {@code sequence}
 * keeps arrival order across a restart, when the store is read back in key order.
 */
public record PendingAttempt(Attempt attempt, long sequence) {}
