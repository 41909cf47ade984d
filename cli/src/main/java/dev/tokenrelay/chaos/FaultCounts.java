package dev.tokenrelay.chaos;

/**
 * The faults a run injected.
 *
 * @param instances      processor instances the run starts with
 * @param kills          instances killed with SIGKILL, as a crash or an OOM kill ends them
 * @param restarts       instances started again after a kill or a SIGTERM
 * @param rebalances     group membership changes the run caused: an instance leaving on SIGTERM,
 *                       joining anew or added. A killed static member that comes back under its
 *                       name takes its partitions back without one and is not counted
 * @param brokerRestarts times the broker was stopped (SIGTERM) and started again
 */
public record FaultCounts(int instances, int kills, int restarts, int rebalances, int brokerRestarts) {

    /**
     * The interruptions of the instances' tasks, each of which may leave calls to be made again:
     * kills, restarts, rebalances, and each broker outage once per instance (it aborts every
     * instance's open transactions).
     */
    public int interruptions() {
        return kills + restarts + rebalances + brokerRestarts * instances;
    }
}
