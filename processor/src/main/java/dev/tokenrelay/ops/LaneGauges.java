package dev.tokenrelay.ops;

import dev.tokenrelay.metrics.PipelineMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The per-account gauges of calls in flight and attempts queued. Every dispatch task reports the
 * lanes of the accounts it owns; a gauge sums an account over the tasks of this instance (during a
 * rebalance two tasks may briefly both hold one). An account's gauges exist while at least one
 * open task reports it, so a closed task leaves nothing behind.
 *
 * <p>Tasks write their own counts without locking; the lock is taken only when a task sees an
 * account for the first time and when it closes, to register and remove gauges consistently.
 */
final class LaneGauges {

    private final MeterRegistry registry;
    private final Set<TaskLanes> tasks = ConcurrentHashMap.newKeySet();
    private final Map<String, List<Meter>> gauges = new HashMap<>(); // guarded by this

    LaneGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    PipelineMetrics.Lanes forTask(String task) {
        TaskLanes lanes = new TaskLanes(task);
        tasks.add(lanes);
        return lanes;
    }

    int inFlight(String account) {
        return sum(account, counts -> counts.inFlight);
    }

    int queued(String account) {
        return sum(account, counts -> counts.queued);
    }

    private int sum(String account, ToIntFunction<Counts> field) {
        int total = 0;
        for (TaskLanes task : tasks) {
            Counts counts = task.counts.get(account);
            if (counts != null) {
                total += field.applyAsInt(counts);
            }
        }
        return total;
    }

    private synchronized void firstSeen(TaskLanes task, String account) {
        if (task.closed) {
            return;
        }
        task.counts.putIfAbsent(account, new Counts());
        gauges.computeIfAbsent(account, id -> List.of(
                Gauge.builder(MetricNames.CALLS_IN_FLIGHT, this, gauges -> gauges.inFlight(id))
                        .description("Upstream calls in flight")
                        .tag(MetricNames.ACCOUNT, id)
                        .strongReference(true)
                        .register(registry),
                Gauge.builder(MetricNames.ATTEMPTS_QUEUED, this, gauges -> gauges.queued(id))
                        .description("Attempts waiting for capacity, a cooldown's end or a backoff")
                        .tag(MetricNames.ACCOUNT, id)
                        .strongReference(true)
                        .register(registry)));
    }

    private synchronized void closed(TaskLanes task) {
        task.closed = true;
        tasks.remove(task);
        for (String account : task.counts.keySet()) {
            boolean stillReported = tasks.stream().anyMatch(other -> other.counts.containsKey(account));
            if (!stillReported) {
                List<Meter> meters = gauges.remove(account);
                if (meters != null) {
                    meters.forEach(registry::remove);
                }
            }
        }
    }

    /** One task's counts; written by its stream thread, read by scrapes. */
    private static final class Counts {
        volatile int inFlight;
        volatile int queued;
    }

    private final class TaskLanes implements PipelineMetrics.Lanes {
        private final String task;
        private final Map<String, Counts> counts = new ConcurrentHashMap<>();
        private volatile boolean closed;

        TaskLanes(String task) {
            this.task = task;
        }

        @Override
        public void update(String account, int inFlight, int queued) {
            Counts current = counts.get(account);
            if (current == null) {
                firstSeen(this, account);
                current = counts.get(account);
                if (current == null) {
                    return; // closed meanwhile
                }
            }
            current.inFlight = inFlight;
            current.queued = queued;
        }

        @Override
        public void close() {
            closed(this);
        }

        @Override
        public String toString() {
            return "lanes of task " + task;
        }
    }
}
