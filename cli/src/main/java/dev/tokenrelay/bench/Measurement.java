package dev.tokenrelay.bench;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * One measured stretch: produce every request, read results until each request has one or the
 * time is up, and meanwhile sample CPU and the calls open on the simulated upstream.
 */
final class Measurement {

    /** Thread-name prefix of the benchmark's own client threads, counted as load. */
    static final String LOAD_PREFIX = "load-";

    private static final long SAMPLE_NANOS = 50_000_000L;
    private static final int CPU_EVERY = 4;

    private Measurement() {}

    /**
     * Runs {@code count} requests through an application before it is measured, and waits for
     * their results: the JIT compiles the hot code and connections open, outside the figures.
     */
    static void warmUp(String bootstrapServers, String requestsTopic, String resultsTopic, int count, int promptChars,
            Duration timeout) throws InterruptedException {
        try (LoadGenerator load = LoadGenerator.create(bootstrapServers, "warmup-", count, promptChars);
                ResultReader reader = new ResultReader(bootstrapServers, resultsTopic, LOAD_PREFIX + "warmup-reader",
                        load.idPrefix())) {
            load.prepare(requestsTopic);
            load.produce(requestsTopic, 0);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (reader.distinct() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the warm-up did not finish within " + timeout.toSeconds()
                            + " s: " + reader.distinct() + " of " + count + " results");
                }
                Thread.sleep(10);
            }
        }
    }

    /**
     * Runs the stretch.
     *
     * @param requestsTopic where to produce
     * @param resultsTopic where results appear
     * @param openCalls calls open on the simulated upstream right now
     * @param componentOf thread name to component, for the CPU figures
     */
    static Measured run(String bootstrapServers, LoadGenerator load, String requestsTopic, String resultsTopic,
            double rate, Duration timeout, IntSupplier openCalls, Function<String, CpuMeter.Component> componentOf)
            throws InterruptedException {
        CpuMeter cpu = new CpuMeter();
        load.prepare(requestsTopic);
        try (ResultReader reader = new ResultReader(bootstrapServers, resultsTopic, LOAD_PREFIX + "results-reader",
                load.idPrefix())) {
            Sampler sampler = new Sampler(cpu, openCalls, (int) (timeout.toNanos() / SAMPLE_NANOS) + 2);
            long wallOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
            cpu.start();
            sampler.start();
            long deadline = System.nanoTime() + timeout.toNanos();
            long[] sent = load.produce(requestsTopic, rate);
            int expected = sent.length;
            while (reader.distinct() < expected && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            sampler.stop();
            CpuMeter.CpuUse used = cpu.stop(componentOf);
            ResultReader.Read read = reader.finish();
            return new Measured(sent, read, used, sampler.times(), sampler.values(), wallOffsetNanos);
        }
    }

    /**
     * What a stretch produced.
     *
     * @param sentNanos when each request was produced, by index
     * @param read the results read
     * @param cpu CPU used
     * @param sampleNanos when the open calls were sampled
     * @param openCalls the open calls at each sample
     * @param wallOffsetNanos add to a {@link System#nanoTime()} value to get epoch nanoseconds
     */
    record Measured(long[] sentNanos, ResultReader.Read read, CpuMeter.CpuUse cpu, long[] sampleNanos,
            int[] openCalls, long wallOffsetNanos) {}

    /** Samples open calls every 50 ms and CPU every 200 ms on its own thread. */
    private static final class Sampler {
        private final CpuMeter cpu;
        private final IntSupplier openCalls;
        private final long[] times;
        private final int[] values;
        private final Thread thread;
        private volatile boolean running = true;
        private int count;

        Sampler(CpuMeter cpu, IntSupplier openCalls, int capacity) {
            this.cpu = cpu;
            this.openCalls = openCalls;
            this.times = new long[capacity];
            this.values = new int[capacity];
            this.thread = new Thread(this::loop, LOAD_PREFIX + "sampler");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(5_000);
        }

        long[] times() {
            return java.util.Arrays.copyOf(times, count);
        }

        int[] values() {
            return java.util.Arrays.copyOf(values, count);
        }

        private void loop() {
            long next = System.nanoTime();
            int tick = 0;
            while (running && count < times.length) {
                times[count] = System.nanoTime();
                values[count] = openCalls.getAsInt();
                count++;
                if (++tick % CPU_EVERY == 0) {
                    cpu.sample();
                }
                next += SAMPLE_NANOS;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }
}
