package dev.tokenrelay.bench;

import dev.tokenrelay.chaos.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;

/** What the benchmark's modes do with a processor they run in a JVM of its own. */
final class ChildProcessors {

    private static final Duration POLL = Duration.ofMillis(100);

    private ChildProcessors() {}

    /**
     * Waits until the processor's {@code /health/ready} answers 200.
     *
     * @throws IllegalStateException when it exits or is not ready within {@code timeout}, with the
     *                               end of its log
     */
    static void awaitReady(HttpClient http, ChildJvm child, URI ready, Duration timeout) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet, or busy: asked again below.
            }
            if (!child.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the processor did not become ready within " + timeout
                        + "; its log ends:\n" + child.tail());
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Stops a child as an operator does (SIGTERM), telling {@code progress} if it would not stop. */
    static void stopQuietly(ChildJvm child, Duration timeout, Consumer<String> progress) {
        try {
            if (child.isAlive()) {
                child.stop(timeout);
            }
        } catch (IllegalStateException e) {
            progress.accept(e.getMessage());
        } finally {
            child.close();
        }
    }
}
