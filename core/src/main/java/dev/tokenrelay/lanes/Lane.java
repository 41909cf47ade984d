package dev.tokenrelay.lanes;

import dev.tokenrelay.schema.Attempt;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * One account's queue inside a dispatch task: attempts waiting for capacity in arrival order,
 * attempts parked until a time (a cooldown's end, a backoff), the calls running against the
 * account's in-flight limit, and the starts of the last minute against its requests-per-minute and
 * tokens-per-minute limits.
 *
 * <p>It is an index over the task's attempts store, rebuilt from it after a restart, and it is
 * thread-safe: the stream thread fills it, and an HTTP client thread whose call just ended takes
 * the next attempt from it at once, so a freed slot does not wait for the stream thread. Every
 * method is atomic; {@link #tryStart(long)} checks the limits and takes the slot in one step.
 */
public final class Lane {

    private static final long MINUTE_MS = 60_000;

    private final int maxInFlight;
    private final Integer requestsPerMinute;
    private final Integer tokensPerMinute;
    private final LinkedHashMap<String, Attempt> waiting = new LinkedHashMap<>();
    private final PriorityQueue<Parked> parked = new PriorityQueue<>();
    /** The live parked entry of each key; queue entries that are not here any more were withdrawn. */
    private final Map<String, Parked> parkedByKey = new HashMap<>();
    /** The calls running, with what they count against the tokens-per-minute limit (null without one). */
    private final Map<String, Spent> running = new HashMap<>();
    private final Deque<Long> recentStarts = new ArrayDeque<>();
    private final Deque<Spent> recentTokens = new ArrayDeque<>();
    private long tokensInWindow;
    private long blockedUntilMs = Long.MIN_VALUE;
    private boolean probing;

    /**
     * @param maxInFlight       the most calls at once
     * @param requestsPerMinute the most calls started in any 60 s, {@code null} for no limit
     */
    public Lane(int maxInFlight, Integer requestsPerMinute) {
        this(maxInFlight, requestsPerMinute, null);
    }

    /**
     * @param maxInFlight       the most calls at once
     * @param requestsPerMinute the most calls started in any 60 s, {@code null} for no limit
     * @param tokensPerMinute   the most tokens (see {@link TokenCount}) used by the calls started in
     *                          any 60 s, {@code null} for no limit
     */
    public Lane(int maxInFlight, Integer requestsPerMinute, Integer tokensPerMinute) {
        this.maxInFlight = maxInFlight;
        this.requestsPerMinute = requestsPerMinute;
        this.tokensPerMinute = tokensPerMinute;
    }

    /** Queues an attempt behind those already waiting. */
    public synchronized void enqueue(String key, Attempt attempt) {
        waiting.put(key, attempt);
    }

    /** Holds an attempt until {@code notBeforeMs}; {@code sequence} keeps arrival order among equal times. */
    public synchronized void park(String key, Attempt attempt, long notBeforeMs, long sequence) {
        Parked entry = new Parked(notBeforeMs, sequence, key, attempt);
        parked.add(entry);
        parkedByKey.put(key, entry);
    }

    /** Moves the parked attempts whose time has come to the end of the queue. */
    public synchronized void releaseDue(long nowMs) {
        while (!parked.isEmpty() && parked.peek().notBeforeMs() <= nowMs) {
            Parked due = parked.poll();
            if (parkedByKey.remove(due.key(), due)) {
                waiting.put(due.key(), due.attempt());
            }
        }
    }

    /**
     * Starts the next waiting attempt if the account has room for one more call now (not
     * blocked, under its in-flight and per-minute limits): takes it out of the queue and counts it
     * as running. The caller must make the call and report its end with
     * {@link #finished(String, Integer)}. The queue keeps its order: when the first attempt does not
     * fit the token limit, none after it starts either. One that exceeds the whole limit on its own
     * starts when no other call counts in the window.
     *
     * @return the attempt to call, or {@code null} when none may start now
     */
    public synchronized Start tryStart(long nowMs) {
        releaseDue(nowMs);
        if (nowMs < blockedUntilMs || running.size() >= (probing ? 1 : maxInFlight) || waiting.isEmpty()) {
            return null;
        }
        if (requestsPerMinute != null) {
            while (!recentStarts.isEmpty() && recentStarts.peekFirst() <= nowMs - MINUTE_MS) {
                recentStarts.pollFirst();
            }
            if (recentStarts.size() >= requestsPerMinute) {
                return null;
            }
        }
        Iterator<Map.Entry<String, Attempt>> first = waiting.entrySet().iterator();
        Map.Entry<String, Attempt> next = first.next();
        Spent spent = null;
        if (tokensPerMinute != null) {
            while (!recentTokens.isEmpty() && recentTokens.peekFirst().atMs <= nowMs - MINUTE_MS) {
                Spent expired = recentTokens.pollFirst();
                expired.inWindow = false;
                tokensInWindow -= expired.tokens;
            }
            int estimate = TokenCount.estimate(next.getValue().request());
            if (tokensInWindow > 0 && tokensInWindow + estimate > tokensPerMinute) {
                return null;
            }
            spent = new Spent(nowMs, estimate);
            recentTokens.addLast(spent);
            tokensInWindow += estimate;
        }
        if (requestsPerMinute != null) {
            recentStarts.addLast(nowMs);
        }
        first.remove();
        running.put(next.getKey(), spent);
        return new Start(next.getKey(), next.getValue());
    }

    /**
     * The call of {@code key} ended: its slot is free. It used {@code tokens}, as its response
     * reports, or {@code null} when it reports none: the estimate it started with keeps counting.
     */
    public synchronized void finished(String key, Integer tokens) {
        Spent spent = running.remove(key);
        if (spent != null && tokens != null && spent.inWindow) {
            tokensInWindow += tokens - spent.tokens;
            spent.tokens = tokens;
        }
    }

    /**
     * Puts the lane in or out of probing: while its account is disabled and waiting for a probe, it
     * runs one call at a time, whatever its in-flight limit, so that a dead account costs one call.
     */
    public synchronized void probing(boolean on) {
        probing = on;
    }

    /** Whether the lane runs one call at a time because its account is disabled. */
    public synchronized boolean probing() {
        return probing;
    }

    /** Starts nothing before {@code untilMs} (a cooldown); an earlier time does not shorten a block. */
    public synchronized void blockUntil(long untilMs) {
        blockedUntilMs = Math.max(blockedUntilMs, untilMs);
    }

    /**
     * Takes a waiting or parked attempt out of the lane, so that it never starts.
     *
     * @return {@code false} when the attempt is not waiting here: its call is running or has ended
     */
    public synchronized boolean withdraw(String key) {
        if (waiting.remove(key) != null) {
            return true;
        }
        return parkedByKey.remove(key) != null;
    }

    /** Takes every waiting key out of the queue (parked ones stay parked). */
    public synchronized List<String> takeWaiting() {
        List<String> keys = new ArrayList<>(waiting.keySet());
        waiting.clear();
        return keys;
    }

    public synchronized int inFlight() {
        return running.size();
    }

    /** Attempts waiting: queued for capacity, or parked until a time. */
    public synchronized int queued() {
        return waiting.size() + parkedByKey.size();
    }

    /** What one call counts against the tokens-per-minute limit, while it is inside the window. */
    private static final class Spent {
        final long atMs;
        int tokens;
        boolean inWindow = true;

        Spent(long atMs, int tokens) {
            this.atMs = atMs;
            this.tokens = tokens;
        }
    }

    /** An attempt taken from the lane to be called now. */
    public record Start(String key, Attempt attempt) {}

    private record Parked(long notBeforeMs, long sequence, String key, Attempt attempt) implements Comparable<Parked> {
        @Override
        public int compareTo(Parked other) {
            int byTime = Long.compare(notBeforeMs, other.notBeforeMs);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }
}
