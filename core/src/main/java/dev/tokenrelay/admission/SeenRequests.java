package dev.tokenrelay.admission;

import java.time.Instant;

/**
 * The submissions intake has admitted, by {@link dev.tokenrelay.schema.ChatRequest#submissionKey()}:
 * what {@link Admission} needs to drop a resubmitted request. Implemented by the processor over a
 * store whose entries expire after the dedupe retention, so ids do not pile up.
 */
public interface SeenRequests {

    /** Whether {@code submissionKey} was remembered at a time from {@code from} to {@code now}, both included. */
    boolean seenSince(String submissionKey, Instant from, Instant now);

    /** Remembers that {@code submissionKey} was admitted at {@code now}. */
    void remember(String submissionKey, Instant now);
}
