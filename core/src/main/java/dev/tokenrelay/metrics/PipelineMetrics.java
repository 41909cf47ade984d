package dev.tokenrelay.metrics;

import dev.tokenrelay.accounts.AccountHealth;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.schema.ChatResult;

/**
 * What the pipeline stages report to the metrics, called on the stream thread. Implementations
 * must be thread-safe, must not block and must not throw. {@link #NONE} is for topologies built
 * without metrics (tests, metrics turned off).
 */
public interface PipelineMetrics {

    /** Reports nothing. */
    PipelineMetrics NONE = new PipelineMetrics() {
        @Override
        public void attemptFinished(String account, Outcome outcome) {}

        @Override
        public void resultEmitted(String stage, ChatResult result) {}

        @Override
        public void accountChanged(String account, AccountHealth.Change change) {}

        @Override
        public Lanes lanes(String task) {
            return Lanes.NONE;
        }
    };

    /** An attempt on {@code account} ended in {@code outcome} (a call was made, or skipped for want of a key). */
    void attemptFinished(String account, Outcome outcome);

    /**
     * A final result was emitted.
     *
     * @param stage where it was decided: {@code intake} or {@code dispatch}
     */
    void resultEmitted(String stage, ChatResult result);

    /** A new health state was written for {@code account}: cooling, disabled, enabled again... */
    void accountChanged(String account, AccountHealth.Change change);

    /** The lane sizes of one dispatch task; close it when the task closes. */
    Lanes lanes(String task);

    /** The in-flight calls and queued attempts per account of one dispatch task. */
    interface Lanes extends AutoCloseable {

        /** Reports nothing. */
        Lanes NONE = new Lanes() {
            @Override
            public void update(String account, int inFlight, int queued) {}

            @Override
            public void close() {}
        };

        /** The account's calls in flight and attempts waiting (queued or parked) in this task now. */
        void update(String account, int inFlight, int queued);

        /** The task closed: its accounts no longer count here. */
        @Override
        void close();
    }
}
