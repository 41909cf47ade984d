package dev.tokenrelay.bench;

import dev.tokenrelay.bench.BenchReport.CpuFigures;
import dev.tokenrelay.bench.BenchReport.PhaseFigures;
import dev.tokenrelay.bench.BenchReport.ThreadFigure;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.TrailEntry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Turns a measured stretch into the figures of a phase. */
final class Analysis {

    /** The steady state: the middle 80% of completions by time. */
    static final double STEADY_SHARE = 0.8;
    private static final int TOP_THREADS = 15;

    private Analysis() {}

    static PhaseFigures phase(String name, String applicationId, String guarantee, List<String> ids, int requestBytes,
            Measurement.Measured measured, String counted, Map<String, Map<String, Double>> streamThreads) {
        Map<String, Integer> index = new HashMap<>(ids.size() * 2);
        for (int i = 0; i < ids.size(); i++) {
            index.put(ids.get(i), i);
        }
        long[] sent = measured.sentNanos();
        long offset = measured.wallOffsetNanos();
        Set<String> seen = new HashSet<>();
        Map<String, Integer> statuses = new TreeMap<>();
        long[] readTimes = new long[measured.read().arrivals().size()];
        DoubleList endToEnd = new DoubleList();
        DoubleList toFirstCall = new DoubleList();
        DoubleList resultHop = new DoubleList();
        DoubleList failoverHop = new DoubleList();
        DoubleList callStarts = new DoubleList();
        long lastRead = 0;
        for (ResultReader.Arrival arrival : measured.read().arrivals()) {
            Integer i = index.get(arrival.key());
            if (i == null || !seen.add(arrival.key())) {
                continue;
            }
            ChatResult result = JsonCodec.decode(arrival.value(), ChatResult.class);
            statuses.merge(result.status().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
            readTimes[seen.size() - 1] = arrival.readNanos();
            lastRead = Math.max(lastRead, arrival.readNanos());
            endToEnd.add(millis(arrival.readNanos() - sent[i]));
            List<TrailEntry> trail = result.attempts();
            for (TrailEntry entry : trail) {
                if (entry.startedAt() != null) {
                    callStarts.add(epochNanos(entry) - offset - sent[0]);
                }
            }
            if (!trail.isEmpty()) {
                TrailEntry first = trail.get(0);
                TrailEntry last = trail.get(trail.size() - 1);
                if (first.startedAt() != null) {
                    toFirstCall.add(millis(epochNanos(first) - (sent[i] + offset)));
                }
                if (last.startedAt() != null) {
                    resultHop.add(millis(arrival.readNanos() + offset - endNanos(last)));
                }
                for (int t = 1; t < trail.size(); t++) {
                    TrailEntry previous = trail.get(t - 1);
                    TrailEntry next = trail.get(t);
                    if (previous.startedAt() != null && next.startedAt() != null) {
                        failoverHop.add(millis(epochNanos(next) - endNanos(previous)));
                    }
                }
            }
        }
        int completed = seen.size();
        double seconds = completed == 0 ? 0 : (lastRead - sent[0]) / 1e9;
        long[] completions = java.util.Arrays.copyOf(readTimes, completed);
        Window steady = Window.middle(completions, STEADY_SHARE);
        DoubleList steadyEndToEnd = new DoubleList();
        if (steady != null) {
            for (int c = 0; c < completions.length; c++) {
                if (steady.contains(c)) {
                    steadyEndToEnd.add(endToEnd.get(c));
                }
            }
        }
        return new PhaseFigures(name, applicationId, guarantee, ids.size(), completed,
                measured.read().duplicates(), statuses, requestBytes, seconds,
                seconds > 0 ? completed / seconds : 0,
                steady == null ? 0 : steady.seconds(), steady == null ? 0 : steady.perSecond(),
                Distribution.of(endToEnd.toArray()), Distribution.of(steadyEndToEnd.toArray()),
                Distribution.of(toFirstCall.toArray()), Distribution.of(resultHop.toArray()),
                Distribution.of(failoverHop.toArray()), cpu(measured.cpu(), completed, counted),
                timeline(sent[0], completions, callStarts.toArray(), measured.sampleNanos(), measured.openCalls()),
                streamThreads);
    }

    /**
     * Calls started, completions and mean open calls in each second from {@code startNanos}.
     *
     * @param callStarts when calls started, in nanoseconds after {@code startNanos}
     */
    static List<BenchReport.Second> timeline(long startNanos, long[] completionNanos, double[] callStarts,
            long[] sampleNanos, int[] openCalls) {
        long end = startNanos;
        for (long t : completionNanos) {
            end = Math.max(end, t);
        }
        int seconds = (int) ((end - startNanos) / 1_000_000_000L) + 1;
        int[] completed = new int[seconds];
        int[] started = new int[seconds];
        for (double t : callStarts) {
            int second = (int) Math.floor(t / 1e9);
            if (second >= 0 && second < seconds) {
                started[second]++;
            }
        }
        long[] openSum = new long[seconds];
        int[] samples = new int[seconds];
        for (long t : completionNanos) {
            completed[(int) ((t - startNanos) / 1_000_000_000L)]++;
        }
        for (int i = 0; i < sampleNanos.length; i++) {
            long second = (sampleNanos[i] - startNanos) / 1_000_000_000L;
            if (second >= 0 && second < seconds) {
                openSum[(int) second] += openCalls[i];
                samples[(int) second]++;
            }
        }
        List<BenchReport.Second> timeline = new java.util.ArrayList<>(seconds);
        for (int s = 0; s < seconds; s++) {
            timeline.add(new BenchReport.Second(s, started[s], completed[s], samples[s] == 0 ? 0 : (double) openSum[s] / samples[s]));
        }
        return timeline;
    }

    /** The mean of the samples taken inside the window; 0 without any. */
    static double meanInside(Window window, long[] sampleNanos, int[] values) {
        if (window == null) {
            return 0;
        }
        long sum = 0;
        int count = 0;
        for (int i = 0; i < sampleNanos.length; i++) {
            if (sampleNanos[i] > window.startNanos() && sampleNanos[i] <= window.endNanos()) {
                sum += values[i];
                count++;
            }
        }
        return count == 0 ? 0 : (double) sum / count;
    }

    /** The steady-state window of a stretch's first arrivals. */
    static Window steadyWindow(Measurement.Measured measured) {
        Set<String> seen = new HashSet<>();
        long[] times = new long[measured.read().arrivals().size()];
        for (ResultReader.Arrival arrival : measured.read().arrivals()) {
            if (seen.add(arrival.key())) {
                times[seen.size() - 1] = arrival.readNanos();
            }
        }
        return Window.middle(java.util.Arrays.copyOf(times, seen.size()), STEADY_SHARE);
    }

    private static CpuFigures cpu(CpuMeter.CpuUse use, int completed, String counted) {
        double processor = use.of(CpuMeter.Component.PROCESSOR);
        double gcShare = use.gcShareOf(CpuMeter.Component.PROCESSOR);
        double jit = use.of(CpuMeter.Component.JIT);
        List<ThreadFigure> top = use.threads().stream().limit(TOP_THREADS)
                .map(t -> new ThreadFigure(t.name(), t.component().name().toLowerCase(Locale.ROOT), t.cpuMillis()))
                .toList();
        return new CpuFigures(perRequest(processor + gcShare, completed), perRequest(processor, completed),
                perRequest(gcShare, completed), perRequest(jit, completed), counted, processor, gcShare,
                use.of(CpuMeter.Component.BROKER), use.of(CpuMeter.Component.SIMULATOR),
                use.of(CpuMeter.Component.LOAD), use.of(CpuMeter.Component.GC), jit, use.of(CpuMeter.Component.JVM),
                use.unaccountedMillis(), use.processMillis(), use.wallMillis(), Runtime.getRuntime().availableProcessors(),
                top);
    }

    private static double perRequest(double millis, int completed) {
        return completed == 0 ? 0 : millis / completed;
    }

    private static long epochNanos(TrailEntry entry) {
        return entry.startedAt().getEpochSecond() * 1_000_000_000L + entry.startedAt().getNano();
    }

    private static long endNanos(TrailEntry entry) {
        return epochNanos(entry) + entry.latencyMs() * 1_000_000L;
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** A growable array of doubles, to keep tens of thousands of values unboxed. */
    private static final class DoubleList {
        private double[] values = new double[1024];
        private int size;

        void add(double value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        double get(int i) {
            return values[i];
        }

        double[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
