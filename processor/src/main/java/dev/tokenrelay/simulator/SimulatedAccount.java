package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** One simulated account: its script and what it has received. Thread-safe. */
final class SimulatedAccount {

    private volatile Script script;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakConcurrency = new AtomicInteger();
    // Synchronized lists rather than concurrent queues because absent Authorization headers are
    // recorded as null entries.
    private final List<JsonNode> requestBodies = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizationHeaders = Collections.synchronizedList(new ArrayList<>());

    SimulatedAccount(List<Behaviour> steps) {
        this.script = new Script(steps);
    }

    /** Replaces the script; the step position restarts because it lives in the script. */
    void script(List<Behaviour> steps) {
        this.script = new Script(steps);
    }

    /**
     * Records an arrived call and returns the behaviour it gets. The caller must call
     * {@link #completed()} exactly once when the exchange ends.
     */
    Behaviour arrive(JsonNode body, String authorization) {
        calls.incrementAndGet();
        peakConcurrency.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        requestBodies.add(body);
        authorizationHeaders.add(authorization);
        return script.next();
    }

    void completed() {
        inFlight.decrementAndGet();
    }

    int calls() {
        return calls.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    int peakConcurrency() {
        return peakConcurrency.get();
    }

    List<JsonNode> requestBodies() {
        synchronized (requestBodies) {
            return List.copyOf(requestBodies);
        }
    }

    List<String> authorizationHeaders() {
        synchronized (authorizationHeaders) {
            return Collections.unmodifiableList(new ArrayList<>(authorizationHeaders));
        }
    }

    /** The steps plus the position of the next call within them. */
    private static final class Script {
        private final List<Behaviour> steps;
        private final AtomicInteger position = new AtomicInteger();

        Script(List<Behaviour> steps) {
            this.steps = List.copyOf(steps);
        }

        Behaviour next() {
            int index = position.getAndIncrement();
            // Calls past the end repeat the last step; clamp before the int could overflow.
            if (index >= steps.size()) {
                position.set(steps.size());
                return steps.get(steps.size() - 1);
            }
            return steps.get(index);
        }
    }
}
