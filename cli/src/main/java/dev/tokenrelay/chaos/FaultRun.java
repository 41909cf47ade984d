package dev.tokenrelay.chaos;

import dev.tokenrelay.chaos.FaultSchedule.Step;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Plays a {@link FaultSchedule} against a deployment while a run of requests goes through it.
 *
 * <p>The requests go in batches, one before each step and one after the last. A step waits until a
 * third of its batch has results, so that it lands on work under way (queued attempts, calls in
 * flight, answers not yet committed), never on an idle deployment; the schedule is placed by
 * progress, not by time, so a slow machine sees the same faults at the same points. During a
 * broker outage a quarter of a batch more is sent, as clients that go on producing do.
 *
 * <p>What a fault is (a child JVM killed, a container stopped...) is the {@link Deployment}'s;
 * how requests are sent and results counted is the {@link Client}'s. The fault suite and the
 * {@code chaos} command each bring theirs.
 */
public final class FaultRun {

    /** The processors (and possibly the broker) a run may start, kill and stop. */
    public interface Deployment {
        /** Instances the run starts with; one more, numbered {@code instances()}, is the one added and removed. */
        int instances();

        /** Starts instance {@code index} (its own name and state directory); returns at once. */
        void start(int index);

        /** Waits until instance {@code index} runs (its Streams application is RUNNING). */
        void awaitReady(int index);

        /** SIGKILL: no commit, no leaving the group; waits until it is gone. */
        void kill(int index);

        /** SIGTERM: it commits and leaves the group; waits until it has exited, and fails if it exited with an error. */
        void stop(int index);

        /** Whether this run owns the broker and may stop it. */
        boolean controlsBroker();

        /** Stops the broker (SIGTERM) and waits until it has exited. */
        void stopBroker();

        /** Starts the broker again on the same data and port and waits until it accepts clients. */
        void startBroker();

        /** Waits until some upstream call is open, when it can tell; a kill then lands on calls in flight. */
        void awaitCallsInFlight();
    }

    /** The client side: requests in, results counted. */
    public interface Client {
        /** Sends a request with this id, without waiting for the broker's acknowledgement. */
        void send(String id);

        /** Waits until every request sent has been acknowledged. */
        void flush();

        /** Waits until at least {@code count} of the run's requests have a result. */
        void awaitResults(int count);
    }

    private static final Duration OUTAGE_SENDS_WAIT = Duration.ofMinutes(5);

    private final Deployment deployment;
    private final Client client;
    private final Consumer<String> log;
    private int kills;
    private int restarts;
    private int rebalances;
    private int brokerRestarts;

    /**
     * @param log where each step is announced as it starts, e.g. {@code System.out::println}
     */
    public FaultRun(Deployment deployment, Client client, Consumer<String> log) {
        this.deployment = deployment;
        this.client = client;
        this.log = log;
    }

    /**
     * Starts the instances, sends every request while the steps run, waits for every result and
     * stops the instances with SIGTERM, so that nothing is written after it returns.
     *
     * @param ids    the requests' ids, unique to this run
     * @param steps  the faults, see {@link FaultSchedule#steps}
     * @param random the run's seeded randomness: which instance a kill hits
     * @return the faults injected
     */
    public FaultCounts run(List<String> ids, List<Step> steps, Random random) {
        int instances = deployment.instances();
        for (int i = 0; i < instances; i++) {
            deployment.start(i);
        }
        for (int i = 0; i < instances; i++) {
            deployment.awaitReady(i);
        }
        int batch = Math.max(1, ids.size() / (steps.size() + 1));
        int sent = 0;
        for (Step step : steps) {
            int end = Math.min(ids.size(), sent + batch);
            send(ids.subList(sent, end));
            client.awaitResults(sent + (end - sent) / 3);
            sent = end;
            log.accept(String.format("%s after %d of %d requests sent", step, sent, ids.size()));
            switch (step) {
                case KILL -> killAndRestart(random.nextInt(instances));
                case ROLLING_RESTART -> rollingRestart(instances);
                case ADD -> {
                    deployment.start(instances);
                    rebalances++;
                    deployment.awaitReady(instances);
                }
                case REMOVE -> {
                    deployment.stop(instances);
                    rebalances++;
                }
                case BROKER -> sent += brokerOutage(ids.subList(sent, Math.min(ids.size(), sent + batch / 4)));
            }
        }
        send(ids.subList(sent, ids.size()));
        client.awaitResults(ids.size());
        for (int i = 0; i < instances; i++) {
            deployment.stop(i);
        }
        return new FaultCounts(instances, kills, restarts, rebalances, brokerRestarts);
    }

    private void send(List<String> ids) {
        ids.forEach(client::send);
        client.flush();
    }

    private void killAndRestart(int index) {
        deployment.awaitCallsInFlight();
        deployment.kill(index);
        kills++;
        // Same name and state directory: it rejoins as the same static member, without a rebalance.
        deployment.start(index);
        restarts++;
        deployment.awaitReady(index);
    }

    private void rollingRestart(int instances) {
        for (int i = 0; i < instances; i++) {
            deployment.stop(i);
            rebalances++;
            deployment.start(i);
            restarts++;
            rebalances++;
            deployment.awaitReady(i);
        }
    }

    /** Stops and starts the broker while {@code duringOutage} are sent; returns how many were. */
    private int brokerOutage(List<String> duringOutage) {
        if (!deployment.controlsBroker()) {
            throw new IllegalStateException("the schedule has a broker outage but the run does not control the broker");
        }
        deployment.stopBroker();
        // A client that goes on producing while the broker is down: its sends wait until it is back.
        CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> send(duringOutage));
        deployment.startBroker();
        brokerRestarts++;
        try {
            sends.get(OUTAGE_SENDS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("requests sent during the broker outage failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("requests sent during the broker outage were not acknowledged within "
                    + OUTAGE_SENDS_WAIT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending during the broker outage", e);
        }
        return duringOutage.size();
    }
}
