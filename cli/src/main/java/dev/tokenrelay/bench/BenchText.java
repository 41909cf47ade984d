package dev.tokenrelay.bench;

import dev.tokenrelay.bench.BenchReport.CpuFigures;
import dev.tokenrelay.bench.BenchReport.PhaseFigures;
import dev.tokenrelay.bench.BenchReport.ThreadFigure;
import dev.tokenrelay.results.ResultLog;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Prints a {@link BenchReport} for people. */
public final class BenchText {

    private BenchText() {}

    /**
     * Prints the report.
     *
     * @param detail whether to list the busiest threads and the timeline of each phase
     */
    public static void print(PrintWriter out, BenchReport report, boolean detail) {
        BenchSettings s = report.settings();
        BenchReport.Machine m = report.machine();
        out.printf("tokenrelay bench: %d requests, upstream latency %s, failure rate %s, %d account%s x %d in flight, "
                        + "%d partitions, %d stream thread%s%s%n",
                s.requests(), duration(s.latency()), percent(s.failureRate()), s.accounts(), s.accounts() == 1 ? "" : "s",
                s.inFlight(), s.partitions(), s.streamThreads(), s.streamThreads() == 1 ? "" : "s",
                s.rate() > 0 ? ", produced at %.0f/s".formatted(s.rate()) : ", produced all at once");
        if (!s.resultLog()) {
            out.printf("  the processor's log line per result is off (logger %s at WARN; --result-log keeps it)%n",
                    ResultLog.LOGGER);
        }
        if (s.warmup() > 0) {
            out.printf("  each application warmed up with %d requests first (not counted)%n", s.warmup());
        }
        if (!s.streamsConfig().isEmpty()) {
            out.printf("  streams config: %s%n", s.streamsConfig().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ")));
        }
        out.printf("machine: %d cores (%s), %s, %s, max heap %d MiB; broker, simulated upstream, processor and load "
                + "generator share this one JVM%n", m.cores(), m.cpuModel(), m.os(), m.java(), m.maxHeapMiB());
        out.println();

        PhaseFigures relay = report.relay();
        phase(out, relay);
        if (report.littleBound() != null) {
            out.printf("  Little's law       %s requests/s = %d in flight / %s: %s of it over the whole run, %s in steady state%n",
                    rate(report.littleBound()), report.inFlight().limit(), duration(s.latency()),
                    percent(report.littleRatio()), percent(report.littleRatioSteady()));
        } else {
            out.println("  Little's law       no bound at zero latency");
        }
        BenchReport.InFlight inFlight = report.inFlight();
        out.printf("  peak in flight     %d of %d (simulated upstream, primary accounts); mean %.0f in steady state; "
                + "spare account peak %d%n", inFlight.peak(), inFlight.limit(), inFlight.meanSteady(), inFlight.sparePeak());
        cpu(out, relay, detail);
        if (detail) {
            streamThreads(out, relay);
            timeline(out, relay);
        }

        if (report.pipe() != null) {
            out.println();
            phase(out, report.pipe());
            cpu(out, report.pipe(), detail);
            out.printf("  tokenrelay / pipe  %s over the whole run, %s in steady state%s%n", percent(report.pipeRatio()),
                    percent(report.pipeRatioSteady()),
                    s.latency().isZero() ? "" : " (the upstream latency sets tokenrelay's pace; compare at --latency 0)");
        }
        if (report.naive() != null) {
            BenchReport.NaiveFigures naive = report.naive();
            out.println();
            out.printf("naive (%s, blocking call inside process(), %s)%n", Benchmark.NAIVE_ID, naive.guarantee());
            out.printf("  throughput         %s requests/s: %d results in %.1f s%s%n", rate(naive.perSecond()),
                    naive.completed(), naive.seconds(), report.littleBound() != null
                            ? ", %s of tokenrelay's bound".formatted(percent(naive.perSecond() / report.littleBound())) : "");
        }
        out.flush();
    }

    private static void phase(PrintWriter out, PhaseFigures f) {
        String title = f.name().equals("pipe")
                ? "pipe (%s: same topics, hops, keys, serdes and JSON sizes; immediate answer, no state stores)"
                : "tokenrelay (%s, the real topology)";
        out.printf(title + ", %s%n", f.applicationId(), f.guarantee());
        out.printf("  completed          %d of %d (%s), duplicates %d%s%n", f.completed(), f.requests(),
                f.statuses().entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")),
                f.duplicates(), f.completed() < f.requests() ? "  INCOMPLETE: cut short by --timeout" : "");
        out.printf("  throughput         %s requests/s over the whole run (%.1f s), %s/s in steady state "
                + "(middle 80%% of completions, %.1f s)%n", rate(f.perSecond()), f.seconds(), rate(f.steadyPerSecond()),
                f.steadySeconds());
        out.printf("  end-to-end         %s  (request produced -> result read, read_committed); steady state p50 %s%n",
                dist(f.endToEnd()), ms(f.endToEndSteady().p50()));
        out.printf("  to first call      %s  (produced -> first upstream call started: intake, queue)%n",
                dist(f.toFirstCall()));
        out.printf("  result hop         %s  (end of the last call -> result read: drain, commit, fetch)%n",
                dist(f.resultHop()));
        if (f.failoverHop().count() > 0) {
            out.printf("  failover hop       %s  over %d hops (end of a failed call -> start of the next call)%n",
                    dist(f.failoverHop()), f.failoverHop().count());
        }
    }

    private static void cpu(PrintWriter out, PhaseFigures f, boolean threads) {
        CpuFigures c = f.cpu();
        out.printf("  CPU per request    %.3f ms: %.3f ms of the application's threads + %.3f ms its share of GC; "
                        + "JIT warm-up %.3f ms more, shared by all, not counted%n",
                c.perRequest(), c.threadsPerRequest(), c.gcSharePerRequest(), c.jitPerRequest());
        out.printf("  CPU in the phase   application %.1f s, broker %.1f s, simulator %.1f s, load generator %.1f s, "
                        + "GC %.1f s, JIT %.1f s, VM %.1f s, unaccounted %.1f s; process %.1f s in %.1f s x %d cores%n",
                c.processor() / 1000, c.broker() / 1000, c.simulator() / 1000, c.load() / 1000, c.gc() / 1000,
                c.jit() / 1000, c.jvm() / 1000, c.unaccounted() / 1000, c.process() / 1000, c.wall() / 1000, c.cores());
        if (threads) {
            out.println("  counted as the application: " + c.counted());
            for (ThreadFigure thread : c.threads()) {
                out.printf("    %9.1f ms  %-10s %s%n", thread.cpu(), thread.component(), thread.name());
            }
        }
    }

    private static void streamThreads(PrintWriter out, PhaseFigures f) {
        f.streamThreads().forEach((thread, m) -> out.printf("  %-16s time polling %s, processing %s, punctuating %s, "
                        + "committing %s; commit avg %s max %s; punctuate max %s; blocked on Kafka clients %.1f s%n",
                thread, percent(m.get("poll-ratio")), percent(m.get("process-ratio")), percent(m.get("punctuate-ratio")),
                percent(m.get("commit-ratio")), ms(m.getOrDefault("commit-latency-avg", 0.0)),
                ms(m.getOrDefault("commit-latency-max", 0.0)), ms(m.getOrDefault("punctuate-latency-max", 0.0)),
                m.getOrDefault("blocked-time-ns-total", 0.0) / 1e9));
    }

    private static void timeline(PrintWriter out, PhaseFigures f) {
        out.println("  timeline           second: calls started, results read, mean calls open");
        StringBuilder line = new StringBuilder();
        for (BenchReport.Second second : f.timeline()) {
            line.append("%4d: %5d %5d %5.0f   ".formatted(second.second(), second.started(), second.completed(),
                    second.openCalls()));
            if (second.second() % 4 == 3) {
                out.println("    " + line.toString().stripTrailing());
                line.setLength(0);
            }
        }
        if (line.length() > 0) {
            out.println("    " + line.toString().stripTrailing());
        }
    }

    private static String dist(Distribution d) {
        if (d.count() == 0) {
            return "none";
        }
        return "p50 %s  p99 %s  max %s".formatted(ms(d.p50()), ms(d.p99()), ms(d.max()));
    }

    /** Milliseconds below ten seconds, seconds above. */
    static String ms(double millis) {
        return millis < 10_000 ? "%.0f ms".formatted(millis) : "%.1f s".formatted(millis / 1000);
    }

    static String rate(double perSecond) {
        return perSecond >= 100 ? String.format(Locale.ROOT, "%,.0f", perSecond)
                : String.format(Locale.ROOT, "%.1f", perSecond);
    }

    static String percent(Double ratio) {
        return ratio == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", ratio * 100);
    }

    /** A duration as it is written on the command line: 0, 250ms, 1s, 1m30s. */
    static String duration(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (d.toMillisPart() != 0 || d.toNanosPart() % 1_000_000 != 0) {
            return d.toMillis() + "ms";
        }
        long seconds = d.toSeconds();
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds >= 60 ? seconds / 60 + "m" + seconds % 60 + "s" : seconds + "s";
    }
}
