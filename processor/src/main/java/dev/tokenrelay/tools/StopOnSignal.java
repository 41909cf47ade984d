package dev.tokenrelay.tools;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (or SIGTERM) during a long read into a clean stop: the shutdown hook asks the read
 * to stop, then holds the JVM until the command has written what it has and printed its summary
 * (at most {@link #GRACE_SECONDS} s), so no result line is cut in half.
 */
public final class StopOnSignal implements AutoCloseable {

    /** How long a signal waits for the command to wrap up before the JVM exits anyway. */
    public static final int GRACE_SECONDS = 5;

    private final Thread hook;
    private final CountDownLatch finished = new CountDownLatch(1);

    private StopOnSignal(Runnable stop) {
        this.hook = new Thread(() -> {
            stop.run();
            try {
                finished.await(GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tokenrelay-stop");
    }

    /** Runs {@code stop} on a signal until {@link #close()}. */
    public static StopOnSignal install(Runnable stop) {
        StopOnSignal signal = new StopOnSignal(stop);
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /** The command has wrapped up: a signal from now on needs no stop, and one in progress may end the JVM. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running (it was a signal that stopped us) and was just released.
        }
    }
}
