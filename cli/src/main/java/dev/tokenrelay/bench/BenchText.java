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
                        + "%d partitions, %d stream thread%s%s%s%n",
                s.requests(), duration(s.latency()), percent(s.failureRate()), s.accounts(), s.accounts() == 1 ? "" : "s",
                s.inFlight(), s.partitions(), s.streamThreads(), s.streamThreads() == 1 ? "" : "s",
                s.separateIntake() ? " (tokenrelay's dispatch; intake apart on one of its own)" : "",
                s.rate() > 0 ? ", produced at %.0f/s".formatted(s.rate()) : ", produced all at once");
        if (s.processes()) {
            out.printf("  the processor's log line per result is %s%n", s.resultLog()
                    ? "on, as run has it (--no-result-log turns it off)" : "off (ops.resultLog: false)");
        } else if (!s.resultLog()) {
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
        out.printf("machine: %d cores (%s), %s, %s, max heap %d MiB; %s%n", m.cores(), m.cpuModel(), m.os(), m.java(),
                m.maxHeapMiB(), s.processes()
                        ? "broker, simulated upstream and processor each in a JVM of its own (the processor started as "
                                + "bin/tokenrelay run starts it, JVM options " + (report.processes() == null ? "?"
                                : String.join(" ", report.processes().jvmOptions())) + "; the simulator with the "
                                + "start script's, the broker with the JVM's defaults), load generator and pipe in the "
                                + "bench's"
                        : "broker, simulated upstream, processor and load generator share this one JVM");
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
        if (report.processes() != null) {
            processes(out, report.processes(), relay);
        } else {
            cpu(out, relay, detail);
        }
        if (detail) {
            streamThreads(out, relay);
            timeline(out, relay);
        }

        if (report.pipe() != null) {
            out.println();
            phase(out, report.pipe());
            if (report.processes() != null) {
                BenchReport.ProcessFigures p = report.processes();
                out.printf("  pipe runs          best of %d used: %s requests/s over the whole run (%s in steady state); "
                                + "spread %s of the best%n", p.pipeRuns().size(),
                        p.pipeRuns().stream().map(BenchText::rate).collect(Collectors.joining(" / ")),
                        p.pipeSteadyRuns().stream().map(BenchText::rate).collect(Collectors.joining(" / ")),
                        percent(p.pipeSpread()));
            }
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

    /** Prints the figures of a backlog run ({@code bench --backlog}). */
    public static void print(PrintWriter out, BacklogReport report) {
        BacklogSettings s = report.settings();
        BenchReport.Machine m = report.machine();
        out.printf("tokenrelay bench --backlog: %,d requests of %d characters (%,d bytes each), priority batch, "
                        + "1 account x %d in flight, upstream latency %s, %d partitions, %d stream thread%s%n",
                s.requests(), s.promptChars(), report.requestBytes(), s.inFlight(), duration(s.latency()), s.partitions(),
                s.streamThreads(), s.streamThreads() == 1 ? "" : "s");
        out.printf("machine: %d cores (%s), %s, %s; the processor runs in a JVM of its own (%s), broker, simulated "
                + "upstream and load generator in the bench's%n", m.cores(), m.cpuModel(), m.os(), m.java(),
                String.join(" ", s.jvmOptions()));
        out.println();

        BacklogReport.Admission a = report.admission();
        out.println("backlog (everything produced at once, then waiting for the account's slots)");
        out.printf("  produced           %,d requests in %.1f s%n", s.requests(), a.producedMillis() / 1000);
        out.printf("  admitted           %s%n", a.admittedMillis() == null
                ? "NOT within --timeout " + duration(s.timeout())
                : "every request queued, in flight or done %.1f s after the first was sent".formatted(a.admittedMillis() / 1000));
        out.printf("  heap used          idle %s, peak %s of %s while admitted and waiting; %s per 100k queued%n",
                mib(a.idleHeap()), mib(a.peakHeap()), mib(a.maxHeap()), perHundredK(a.heapPer100k()));
        out.printf("  heap floor         %s: the least over the seconds the admitted backlog waited; %s per 100k queued%n",
                mib(a.waitingHeapFloor()), perHundredK(a.floorPer100k()));
        out.printf("  resident memory    idle %s, peak %s while admitted and waiting; %s per 100k queued%n",
                mib(a.idleRss()), mib(a.peakRss()), perHundredK(a.rssPer100k()));
        out.printf("  peak queued        %,d attempts%n", a.peakQueued());
        BacklogReport.InFlight f = report.inFlight();
        out.printf("  in flight          %s: %d of %d seconds with attempts queued at %d (min %d, max %d); "
                        + "upstream peak %d%n", f.stayedAtLimit() ? "stayed at the limit" : "NOT always at the limit",
                f.atLimit(), f.samples(), f.limit(), f.min(), f.max(), f.upstreamPeak());
        out.println();

        BacklogReport.Interactive i = report.interactive();
        out.println("interactive request (priority interactive, sent once the backlog was admitted)");
        if (i == null) {
            out.println("  result             not measured: the backlog was not admitted");
        } else {
            out.printf("  result             %s; a slot frees every %s (latency / in flight), its own call takes %s%n",
                    i.resultMillis() == null ? "NONE within --timeout" : "after " + ms(i.resultMillis()),
                    ms(i.slotMillis()), ms(i.callMillis()));
        }
        out.println();

        BacklogReport.Restart r = report.restart();
        out.println("restart (SIGTERM, then a new JVM on the same state directory)");
        if (r == null) {
            out.println("  not measured: the processor had exited");
        } else {
            out.printf("  stopped            exit code %d after %.1f s%n", r.stopExitCode(), r.stopMillis() / 1000);
            out.printf("  ready within       %s of the new JVM's start%n", r.readyMillis() == null ? "NOT READY"
                    : "%.1f s".formatted(r.readyMillis() / 1000));
            out.printf("  processing again   %s%n", r.firstResultMillis() == null ? "NO new result within --timeout"
                    : "within %.1f s of the new JVM's start (first result of a call it started)"
                            .formatted(r.firstResultMillis() / 1000));
            out.printf("  heap used          peak %s, resident memory peak %s (new JVM, to a few seconds after that result)%n",
                    mib(r.peakHeap()), mib(r.peakRss()));
        }
        if (report.drain() != null) {
            BacklogReport.Drain d = report.drain();
            out.println();
            out.println("drain (every result read, read_committed)");
            out.printf("  results            %,d of %,d, duplicates %d, lost %d; last result %.1f s after the first request%n",
                    d.results(), s.requests(), d.duplicates(), d.lost(), d.millis() / 1000);
        }
        out.flush();
    }

    private static String mib(long bytes) {
        return bytes <= 0 ? "n/a" : String.format(Locale.ROOT, "%,d MiB", bytes >> 20);
    }

    private static String perHundredK(Double bytes) {
        return bytes == null ? "n/a (under 10k queued)" : String.format(Locale.ROOT, "%.1f MiB", bytes / (1 << 20));
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

    private static void processes(PrintWriter out, BenchReport.ProcessFigures p, PhaseFigures relay) {
        out.printf("  processor process  pid %d: ready %s after its JVM started, first result %s after; resident memory "
                        + "peak %s; %s%n", p.pid(), seconds(p.readyMillis()),
                p.firstResultMillis() == null ? "NONE" : seconds(p.firstResultMillis()), mib(p.rssPeak()),
                p.stopExitCode() == null ? "did NOT exit on SIGTERM" : "exit code %d on SIGTERM".formatted(p.stopExitCode()));
        out.printf("  CPU per request    %.3f ms over the whole run (%.1f s of CPU for %d results), %s in steady state; "
                        + "from /proc/<pid>/stat, every thread of the process: JIT, GC and native ones included%n",
                p.cpuPerRequest(), p.cpuMillis() / 1000, relay.completed(),
                p.steadyCpuPerRequest() == null ? "n/a" : "%.3f ms".formatted(p.steadyCpuPerRequest()));
        out.printf("  CPU of the run     processor %.1f s (and %.1f s from its start to the first request), broker %.1f s, "
                        + "simulated upstream %.1f s, bench (load generator, result reader) %.1f s%n",
                p.cpuMillis() / 1000, p.startupCpuMillis() / 1000, p.brokerCpuMillis() / 1000,
                p.simulatorCpuMillis() / 1000, p.loadCpuMillis() / 1000);
        if (!p.cpuByKind().isEmpty()) {
            out.printf("  processor threads  %s (ms per request over the run, from /proc/<pid>/task)%n",
                    p.cpuByKind().entrySet().stream().filter(e -> e.getValue() > 0)
                            .map(e -> "%s %.3f".formatted(e.getKey(), e.getValue() / 1e6 / Math.max(1, relay.completed())))
                            .collect(Collectors.joining(", ")));
        }
        if (!p.logEntries().isEmpty()) {
            long total = p.logEntries().values().stream().mapToLong(Long::longValue).sum();
            out.printf("  topic writes       %.2f offsets per request (records and transaction markers): %s%n",
                    (double) total / Math.max(1, relay.requests()), p.logEntries().entrySet().stream()
                            .filter(e -> e.getValue() > 0)
                            .map(e -> "%s %.2f".formatted(e.getKey(), (double) e.getValue() / Math.max(1, relay.requests())))
                            .collect(Collectors.joining(", ")));
        }
    }

    private static String seconds(double millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000);
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
        f.streamThreads().forEach((thread, m) -> {
            out.printf("  %-16s time polling %s, processing %s, punctuating %s, committing %s; commit avg %s",
                    thread, percent(m.get("poll-ratio")), percent(m.get("process-ratio")),
                    percent(m.get("punctuate-ratio")), percent(m.get("commit-ratio")),
                    ms(m.getOrDefault("commit-latency-avg", 0.0)));
            if (m.containsKey("commit-latency-max")) {
                out.printf(" max %s", ms(m.get("commit-latency-max")));
            }
            if (m.containsKey("punctuate-latency-max")) {
                out.printf("; punctuate max %s", ms(m.get("punctuate-latency-max")));
            }
            if (m.containsKey("blocked-time-ns-total")) {
                out.printf("; blocked on Kafka clients %.1f s", m.get("blocked-time-ns-total") / 1e9);
            }
            Map<String, Double> read = StreamsThreadMetrics.recordsRead(m);
            if (!read.isEmpty()) {
                out.print("; read " + read.entrySet().stream()
                        .map(entry -> entry.getKey() + " %,.0f".formatted(entry.getValue()))
                        .collect(Collectors.joining(", ")));
            }
            out.println();
        });
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
