package dev.tokenrelay.tools;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGTERM and Ctrl-C (SIGINT) into a clean stop that ends with the command's own exit code:
 * the signal only asks the command to stop; the command wraps up (writes what it has, prints its
 * summary, closes the processor) and returns, and the JVM then exits normally with what it returned.
 *
 * <p>Why signal handlers and not only a shutdown hook: a JVM stopped by a signal runs its hooks and
 * then exits with 128 + the signal's number (143, 130) whatever the hooks did, and a command still
 * returning on the main thread cannot change that ({@code System.exit} waits for the shutdown
 * already under way). The only way out of a hook with another code is {@code Runtime.halt}, which
 * cuts short the hooks that run beside it and the JVM's own clean-up after them, such as deleting
 * the files marked {@code deleteOnExit} (RocksDB extracts its native library to the temporary
 * directory and marks it so: about 15 MB left behind by every stop). Handling the signal instead
 * keeps the JVM out of shutdown until the command has returned; then it exits like any other run.
 * {@code sun.misc.Signal} is the JDK's supported way to do that (kept accessible by JEP 260).
 *
 * <p>A shutdown hook stays as the fallback for a shutdown that does not come through these
 * handlers (SIGHUP, or a JVM started with {@code -Xrs}): it asks the command to stop and holds the
 * JVM until the command has wrapped up, at most the grace period, so no output line is cut in half.
 */
public final class StopOnSignal implements AutoCloseable {

    /** How long a shutdown waits for a client command to wrap up before the JVM exits anyway. */
    public static final Duration GRACE = Duration.ofSeconds(5);

    private static final List<String> SIGNALS = List.of("TERM", "INT");

    private final Runnable stop;
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private final Thread hook;

    private StopOnSignal(Runnable stop, Duration grace) {
        this.stop = stop;
        this.hook = new Thread(() -> {
            requestStop();
            try {
                finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tokenrelay-stop");
    }

    /** Runs {@code stop} (once) on SIGTERM or Ctrl-C until {@link #close()}; a shutdown waits {@link #GRACE} for the command. */
    public static StopOnSignal install(Runnable stop) {
        return install(stop, GRACE);
    }

    /**
     * Runs {@code stop} (once) on SIGTERM or Ctrl-C until {@link #close()}.
     *
     * @param stop  asks the command to stop; it runs on a signal-handling thread, so it must not block
     * @param grace how long a shutdown that bypasses the handlers waits for the command to wrap up
     */
    public static StopOnSignal install(Runnable stop, Duration grace) {
        StopOnSignal signals = new StopOnSignal(stop, grace);
        for (String name : SIGNALS) {
            try {
                Signal signal = new Signal(name);
                signals.previous.put(signal, Signal.handle(signal, received -> signals.requestStop()));
            } catch (IllegalArgumentException reserved) {
                // The JVM keeps the signal to itself (-Xrs) or the OS does not know it: the hook stops the command.
            }
        }
        Runtime.getRuntime().addShutdownHook(signals.hook);
        return signals;
    }

    /** Whether a signal (or a shutdown) asked the command to stop. */
    public boolean stopRequested() {
        return requested.get();
    }

    private void requestStop() {
        if (requested.compareAndSet(false, true)) {
            stop.run();
        }
    }

    /**
     * The command has wrapped up: signals get their usual meaning back, and a shutdown in progress
     * may end the JVM.
     */
    @Override
    public void close() {
        finished.countDown();
        previous.forEach(Signal::handle);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running (a shutdown stopped us) and was just released.
        }
    }
}
