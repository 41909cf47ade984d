package dev.tokenrelay.chaos;

import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a run's topics say about its requests, read with {@code read_committed} once the processors
 * are done: the counts a fault run prints and the violations of exactly-once it must not have.
 *
 * <ul>
 *   <li>duplicates: results beyond the first for one request id (must be 0);</li>
 *   <li>lost: requests sent that have no result (must be 0);</li>
 *   <li>unexpected: results for ids that were not sent by the run;</li>
 *   <li>trail mismatches: results whose attempts (number, account, outcome) differ from the
 *       {@code outcomes} records of that request and generation, or come with no outcome at all;</li>
 *   <li>dead letters for successes: a dead-letter record for a request whose result succeeded;</li>
 *   <li>calls repeated: calls the upstream counted minus the calls in the results' trails, the
 *       calls made again after a crash, a stop or a rebalance (calls are at-least-once);</li>
 *   <li>under-called requests: requests the upstream saw fewer times than their trail says, when
 *       the upstream can tell calls apart by request (the simulated one can).</li>
 * </ul>
 */
public record DeliveryAudit(
        int requests,
        int results,
        Map<ResultStatus, Integer> statuses,
        int duplicates,
        int lost,
        int unexpected,
        int trailMismatches,
        int deadLettersForSuccesses,
        long upstreamCalls,
        long callsInTrails,
        int underCalledRequests,
        List<String> examples) {

    /** The upstream calls of a run whose upstream does not count them (a real provider). */
    public static final long NOT_COUNTED = -1;

    private static final int MAX_EXAMPLES = 5;

    public DeliveryAudit {
        statuses = Map.copyOf(statuses);
        examples = List.copyOf(examples);
    }

    /**
     * Audits a run.
     *
     * @param requestIds          every request id the run sent
     * @param results             every record of the results topic
     * @param outcomes            every record of the outcomes topic
     * @param deadLetters         every record of the dead-letter topic
     * @param upstreamCalls       calls the upstream received from the run's processors, or {@link #NOT_COUNTED}
     * @param upstreamCallsById   calls the upstream received per request id, or empty when it cannot tell
     */
    public static DeliveryAudit of(Collection<String> requestIds, List<ChatResult> results,
            List<AttemptOutcome> outcomes, List<DeadLetter> deadLetters, long upstreamCalls,
            Map<String, Integer> upstreamCallsById) {
        Objects.requireNonNull(upstreamCallsById, "upstreamCallsById");
        Set<String> sent = new LinkedHashSet<>(requestIds);
        List<String> examples = new ArrayList<>();
        Map<String, ChatResult> first = new HashMap<>();
        Map<ResultStatus, Integer> statuses = new EnumMap<>(ResultStatus.class);
        int duplicates = 0;
        int unexpected = 0;
        for (ChatResult result : results) {
            if (first.putIfAbsent(result.id(), result) != null) {
                duplicates++;
                example(examples, "second result for " + result.id());
                continue;
            }
            statuses.merge(result.status(), 1, Integer::sum);
            if (!sent.contains(result.id())) {
                unexpected++;
                example(examples, "result for " + result.id() + ", which the run did not send");
            }
        }
        int lost = 0;
        for (String id : sent) {
            if (!first.containsKey(id)) {
                lost++;
                example(examples, "no result for " + id);
            }
        }

        Map<String, List<TrailEntry>> outcomesByAttempt = new HashMap<>();
        for (AttemptOutcome outcome : outcomes) {
            outcomesByAttempt.computeIfAbsent(outcome.requestId() + "#" + outcome.generation(), k -> new ArrayList<>())
                    .add(outcome.attempt());
        }
        int trailMismatches = 0;
        long callsInTrails = 0;
        int underCalled = 0;
        for (ChatResult result : first.values()) {
            List<String> trail = attempts(result.attempts());
            List<String> published = attempts(outcomesByAttempt.getOrDefault(result.id() + "#" + result.generation(), List.of()));
            if (!trail.equals(published)) {
                trailMismatches++;
                example(examples, "trail of " + result.id() + " " + trail + " but outcomes " + published);
            }
            long calls = result.attempts().stream().filter(DeliveryAudit::isCall).count();
            callsInTrails += calls;
            if (!upstreamCallsById.isEmpty() && upstreamCallsById.getOrDefault(result.id(), 0) < calls) {
                underCalled++;
                example(examples, result.id() + " called " + upstreamCallsById.getOrDefault(result.id(), 0)
                        + " times upstream but " + calls + " in its trail");
            }
        }

        Set<String> succeeded = new HashSet<>();
        first.values().stream().filter(r -> r.status() == ResultStatus.SUCCEEDED).forEach(r -> succeeded.add(r.id()));
        int deadLettersForSuccesses = 0;
        for (DeadLetter deadLetter : deadLetters) {
            if (deadLetter.requestId() != null && succeeded.contains(deadLetter.requestId())) {
                deadLettersForSuccesses++;
                example(examples, "dead letter for " + deadLetter.requestId() + ", which succeeded: " + deadLetter.reason());
            }
        }
        return new DeliveryAudit(sent.size(), first.size() + duplicates, statuses, duplicates, lost, unexpected,
                trailMismatches, deadLettersForSuccesses, upstreamCalls, callsInTrails, underCalled, examples);
    }

    /**
     * Calls made more than once: the upstream's count beyond the trails'. Negative would mean calls
     * no one made; 0 when the upstream did not count.
     */
    public long callsRepeated() {
        return upstreamCalls == NOT_COUNTED ? 0 : upstreamCalls - callsInTrails;
    }

    /** Whether exactly-once held: no duplicate, nothing lost, trails and outcomes agree, no stray dead letter. */
    public boolean exactlyOnce() {
        return duplicates == 0 && lost == 0 && unexpected == 0 && trailMismatches == 0 && deadLettersForSuccesses == 0
                && underCalledRequests == 0 && callsRepeated() >= 0;
    }

    /** The counts, one fact a line, as the fault suite and {@code chaos} print them. */
    public String report(FaultCounts faults, long callsRepeatedBound) {
        StringBuilder text = new StringBuilder();
        text.append("instances          ").append(faults.instances()).append('\n');
        text.append("requests           ").append(requests).append('\n');
        text.append("kills              ").append(faults.kills()).append('\n');
        text.append("restarts           ").append(faults.restarts()).append('\n');
        text.append("rebalances         ").append(faults.rebalances()).append('\n');
        text.append("broker restarts    ").append(faults.brokerRestarts()).append('\n');
        text.append("results            ").append(results).append(' ').append(new java.util.TreeMap<>(statuses)).append('\n');
        text.append("duplicates         ").append(duplicates).append('\n');
        text.append("lost               ").append(lost).append('\n');
        text.append("unexpected         ").append(unexpected).append('\n');
        text.append("trail mismatches   ").append(trailMismatches).append('\n');
        text.append("dead letters for successes ").append(deadLettersForSuccesses).append('\n');
        text.append("upstream calls     ").append(upstreamCalls == NOT_COUNTED
                ? "not counted (your upstream's count minus the calls in trails is the calls repeated)" : upstreamCalls)
                .append('\n');
        text.append("calls in trails    ").append(callsInTrails).append('\n');
        text.append("under-called requests ").append(underCalledRequests).append('\n');
        text.append("calls repeated     ").append(upstreamCalls == NOT_COUNTED ? "not counted" : callsRepeated()).append(" (bound ").append(callsRepeatedBound).append(")\n");
        if (!examples.isEmpty()) {
            text.append("examples:\n");
            examples.forEach(e -> text.append("  ").append(e).append('\n'));
        }
        return text.toString();
    }

    // An attempt that reached the upstream: SKIPPED_AUTH never sends, FATAL is decided before or
    // without a call the upstream would count as one of this request's answers.
    private static boolean isCall(TrailEntry entry) {
        return entry.outcome() == OutcomeKind.SUCCESS || entry.outcome() == OutcomeKind.RETRYABLE;
    }

    private static List<String> attempts(List<TrailEntry> entries) {
        return entries.stream().sorted(Comparator.comparingInt(TrailEntry::number))
                .map(e -> e.number() + ":" + e.account() + ":" + e.outcome()).toList();
    }

    private static void example(List<String> examples, String text) {
        if (examples.size() < MAX_EXAMPLES) {
            examples.add(text);
        }
    }
}
