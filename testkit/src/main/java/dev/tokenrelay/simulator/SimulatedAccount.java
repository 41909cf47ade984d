package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/** One simulated account: its script and what it has received. Thread-safe. */
final class SimulatedAccount {

    private volatile Script script;
    private final AtomicInteger calls = new AtomicInteger();
    private final Map<Endpoint, AtomicInteger> callsByEndpoint = new EnumMap<>(Endpoint.class);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakConcurrency = new AtomicInteger();
    private final List<Call> received = Collections.synchronizedList(new ArrayList<>());
    private final boolean recordCalls;

    /**
     * @param recordCalls whether each call's body, headers and start are kept for the accessors;
     *     without, only the counters are kept, so a long run holds no memory per call
     */
    SimulatedAccount(List<Behaviour> steps, boolean recordCalls) {
        this.script = new Script(steps);
        this.recordCalls = recordCalls;
        // Filled once here and only read afterwards, so the EnumMap needs no locking.
        for (Endpoint endpoint : Endpoint.values()) {
            callsByEndpoint.put(endpoint, new AtomicInteger());
        }
    }

    /** Replaces the script; the step position restarts because it lives in the script. */
    void script(List<Behaviour> steps) {
        this.script = new Script(steps);
    }

    /**
     * Records an arrived call and returns the behaviour it gets. The caller must call
     * {@link #completed()} exactly once when the exchange ends.
     *
     * @param headers the request headers by lower-case name, asked for only when calls are recorded
     * @param startedAt when the request's head arrived
     */
    Behaviour arrive(Endpoint endpoint, JsonNode body, Supplier<Map<String, String>> headers, Instant startedAt) {
        calls.incrementAndGet();
        callsByEndpoint.get(endpoint).incrementAndGet();
        peakConcurrency.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        if (recordCalls) {
            received.add(new Call(endpoint, body, Map.copyOf(headers.get()), startedAt));
        }
        return script.next();
    }

    void completed() {
        inFlight.decrementAndGet();
    }

    int calls() {
        return calls.get();
    }

    int calls(Endpoint endpoint) {
        return callsByEndpoint.get(endpoint).get();
    }

    int inFlight() {
        return inFlight.get();
    }

    int peakConcurrency() {
        return peakConcurrency.get();
    }

    List<JsonNode> requestBodies() {
        return each(Call::body);
    }

    List<Endpoint> endpoints() {
        return each(Call::endpoint);
    }

    List<Instant> callStarts() {
        return each(Call::startedAt);
    }

    /** The named header of each call in arrival order, null where absent. */
    List<String> headers(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        return each(call -> call.headers().get(key));
    }

    /** One value per call; an unmodifiable list that may hold nulls, which List.copyOf would reject. */
    private <T> List<T> each(Function<Call, T> value) {
        if (!recordCalls) {
            throw new IllegalStateException("this simulated upstream counts calls and keeps none of them;"
                    + " start it with Recording.CALLS to read them back");
        }
        List<T> values;
        synchronized (received) {
            values = new ArrayList<>(received.size());
            for (Call call : received) {
                values.add(value.apply(call));
            }
        }
        return Collections.unmodifiableList(values);
    }

    /** What one call brought: its endpoint, body, headers by lower-case name, and when its head arrived. */
    private record Call(Endpoint endpoint, JsonNode body, Map<String, String> headers, Instant startedAt) {}

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
