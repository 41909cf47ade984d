package dev.tokenrelay.bench;

import dev.tokenrelay.simulator.Behaviour;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * The benchmark's failure mix: each call on a primary account fails with the given probability, as
 * a 429, a 500 or an empty completion in turn, so that its request fails over. The same seed gives
 * the same script, in the bench's JVM and in a {@code simulate} process alike.
 */
public final class FailureMix {

    private FailureMix() {}

    /**
     * The script of one account: {@code calls} steps, then answers that succeed.
     *
     * @param random shared by the accounts of one run, in their order, so that a seed repeats the run
     */
    public static Behaviour[] script(double failureRate, int calls, Duration latency, Random random) {
        Behaviour ok = Behaviour.echo().after(latency);
        List<Behaviour> failures = List.of(
                // Retry-After 0 and no default cooldown (see Benchmark.relayConfig): failures fail over
                // without sending every later request to the spare account for the length of a cooldown.
                Behaviour.rateLimited(Duration.ZERO).after(latency),
                Behaviour.status(500).after(latency),
                Behaviour.emptyCompletion().after(latency));
        Behaviour[] steps = new Behaviour[calls + 1];
        int failed = 0;
        for (int i = 0; i < calls; i++) {
            steps[i] = random.nextDouble() < failureRate ? failures.get(failed++ % failures.size()) : ok;
        }
        steps[calls] = ok;
        return steps;
    }

    /**
     * Calls to script per primary account: its share of the requests with a margin for the
     * unevenness of round-robin by request id and for second attempts. Calls past the script succeed.
     */
    public static int callsPerAccount(int requests, int accounts) {
        return (int) Math.min(Integer.MAX_VALUE - 1, (long) Math.ceil(requests * 1.5 / accounts) + 100);
    }
}
