package dev.tokenrelay.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The faults of a run, in an order drawn from a seed, so that a run that found a problem can be
 * played again. Each round has every fault once: an instance killed with SIGKILL and restarted, a
 * rolling restart of all instances with SIGTERM, an instance added and later removed, and (when the
 * run controls the broker) a broker stop and start.
 */
public final class FaultSchedule {

    /** One step of a run; {@link #ADD} and {@link #REMOVE} come as a pair, the removal later. */
    public enum Step {
        /** SIGKILL one instance, chosen by the seed, with calls in flight; start it again under its name. */
        KILL,
        /** SIGTERM each instance in turn, start it again, wait until it runs, then the next. */
        ROLLING_RESTART,
        /** Start one more instance of the application: its partitions come from the others. */
        ADD,
        /** SIGTERM the added instance: it leaves the group and its partitions go back. */
        REMOVE,
        /** SIGTERM the broker and start it again on the same data and port. */
        BROKER
    }

    private FaultSchedule() {}

    /**
     * The steps of {@code rounds} rounds, each a shuffle (by {@code random}) of the faults.
     *
     * @param withBroker whether the broker is the run's to stop; without, no {@link Step#BROKER}
     */
    public static List<Step> steps(Random random, int rounds, boolean withBroker) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
        }
        List<Step> steps = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            // The pair ADD/REMOVE is shuffled as one fault, then split around the next one (if any),
            // so that the added instance works through a batch of its own before it leaves.
            List<Step> faults = new ArrayList<>(List.of(Step.KILL, Step.ROLLING_RESTART, Step.ADD));
            if (withBroker) {
                faults.add(Step.BROKER);
            }
            Collections.shuffle(faults, random);
            List<Step> inRound = new ArrayList<>(faults);
            int added = inRound.indexOf(Step.ADD);
            inRound.add(Math.min(added + 2, inRound.size()), Step.REMOVE);
            steps.addAll(inRound);
        }
        return List.copyOf(steps);
    }
}
