package dev.tokenrelay.lanes;

import dev.tokenrelay.schema.ChatRequest;
import java.util.Optional;

/**
 * Which requests an operator cancelled (by batch, by id or by a metadata field). Intake asks it when
 * a request arrives, and dispatch on the stream thread before an attempt may start: a cancelled
 * request's queued and parked attempts end {@code cancelled} with no upstream call.
 */
public interface Cancellations {

    /** Nothing is ever cancelled. */
    Cancellations NONE = new Cancellations() {
        @Override
        public Optional<String> cancelled(ChatRequest request) {
            return Optional.empty();
        }

        @Override
        public long version() {
            return 0;
        }
    };

    /** Why {@code request} was cancelled (e.g. "batch nightly-7 cancelled"), or empty when it was not. */
    Optional<String> cancelled(ChatRequest request);

    /**
     * A number that changes whenever a cancellation is added, so that dispatch looks again at what
     * it holds only when there is something new to find.
     */
    long version();
}
