package dev.tokenrelay.bench;

/**
 * Every figure of one backlog run ({@code bench --backlog}). Times are in milliseconds, memory in
 * bytes; a figure is {@code null} when the run did not get as far as measuring it.
 *
 * @param settings what the run did
 * @param machine where it ran
 * @param requestBytes the size of one encoded request
 * @param admission the backlog being produced and taken in
 * @param inFlight whether the account's slots stayed full while the backlog waited
 * @param interactive the one interactive request submitted once the backlog was admitted
 * @param restart the processor stopped with SIGTERM and started again on its state
 * @param drain every result, with {@code --drain}; else {@code null}
 */
public record BacklogReport(BacklogSettings settings, BenchReport.Machine machine, int requestBytes, Admission admission,
        InFlight inFlight, Interactive interactive, Restart restart, Drain drain) {

    /**
     * The backlog handed over and taken in.
     *
     * @param producedMillis from the first request sent to the last one acknowledged by the broker
     * @param admittedMillis from the first request sent until queued + in flight + results reached
     *     the number of requests; {@code null} when it did not within the timeout
     * @param idleHeap heap used by the processor, ready and idle, before the first request
     * @param idleRss the processor's resident memory then
     * @param peakHeap the most heap used while the backlog was admitted and waited
     * @param peakRss the most resident memory then
     * @param peakQueued the most attempts queued at once
     * @param heapPer100k (peak - idle) heap per 100,000 queued attempts
     * @param waitingHeapFloor the least heap used over the seconds the admitted backlog waited before the
     *     interactive request: close to the live data with the backlog queued
     * @param floorPer100k (waiting floor - idle) heap per 100,000 queued attempts
     * @param rssPer100k (peak - idle) resident memory per 100,000 queued attempts
     * @param maxHeap the processor's maximum heap ({@code -Xmx})
     */
    public record Admission(double producedMillis, Double admittedMillis, long idleHeap, long idleRss, long peakHeap,
            long peakRss, long peakQueued, Double heapPer100k, long waitingHeapFloor, Double floorPer100k,
            Double rssPer100k, long maxHeap) {}

    /**
     * The calls in flight while attempts were queued, from the processor's gauge and the upstream.
     *
     * @param limit the account's in-flight limit
     * @param samples seconds sampled with attempts queued, from the first one that saw every slot busy
     * @param atLimit those of them whose gauge showed every slot busy
     * @param min the fewest calls in flight among them
     * @param max the most
     * @param upstreamPeak the most calls the simulated upstream saw open at once on the account
     */
    public record InFlight(int limit, int samples, int atLimit, int min, int max, int upstreamPeak) {

        /** Whether the account kept every slot busy and never went over. */
        public boolean stayedAtLimit() {
            return samples > 0 && atLimit == samples && upstreamPeak <= limit;
        }
    }

    /**
     * The interactive request.
     *
     * @param resultMillis from its send to its result read; {@code null} when it did not arrive in time
     * @param slotMillis how often the account frees a slot: latency / in-flight limit
     * @param callMillis the upstream latency its own call takes
     */
    public record Interactive(Double resultMillis, double slotMillis, double callMillis) {}

    /**
     * The restart.
     *
     * @param stopMillis from SIGTERM to the old JVM's exit
     * @param stopExitCode its exit code
     * @param readyMillis from the new JVM's start to its health check answering ready
     * @param firstResultMillis from the new JVM's start to the first result of a call it started
     * @param peakHeap the most heap the new JVM used, up to a few seconds after that result
     * @param peakRss the most resident memory then
     */
    public record Restart(double stopMillis, int stopExitCode, Double readyMillis, Double firstResultMillis,
            long peakHeap, long peakRss) {}

    /**
     * Every result, read to the end.
     *
     * @param results distinct results read for the backlog's requests
     * @param duplicates results read for a request that already had one
     * @param lost requests without a result when the run ended
     * @param millis from the first request sent to the last result read
     */
    public record Drain(int results, int duplicates, int lost, double millis) {}

    /** Whether every phase got its figures, and, with a drain, nothing was lost or doubled. */
    public boolean complete() {
        return admission.admittedMillis() != null && interactive != null && interactive.resultMillis() != null
                && restart != null && restart.firstResultMillis() != null
                && (!settings.drain() || drain != null && drain.lost() == 0 && drain.duplicates() == 0);
    }
}
