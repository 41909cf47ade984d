package dev.tokenrelay.lanes;

import dev.tokenrelay.schema.Attempt;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One account's window inside a dispatch task: the attempts it will start soon, in
 * {@link QueueOrder} (priority, then arrival), the calls running against the account's in-flight
 * limit, and the starts of the last minute against its requests-per-minute and tokens-per-minute
 * limits. The rest of the account's queue waits in the task's store, not here: the dispatcher
 * tops the window up from it.
 *
 * <p>It is thread-safe: the stream thread fills it, and an HTTP client thread whose call just
 * ended takes the next attempt from it at once, so a freed slot does not wait for the stream
 * thread. Every method is atomic; {@link #tryStart(long)} checks the limits and takes the slot in
 * one step.
 *
 * <p>No priority starves: after {@value #PASSED_OVER_LIMIT} starts in a row that each passed over
 * an older waiting attempt, the oldest waiting attempt starts next.
 */
public final class Lane {

    /** How many starts in a row may pass over an older attempt before the oldest goes first. */
    public static final int PASSED_OVER_LIMIT = 9;

    private static final long MINUTE_MS = 60_000;

    private final int maxInFlight;
    private final Integer requestsPerMinute;
    private final Integer tokensPerMinute;
    private final TreeMap<QueueOrder, Attempt> waiting = new TreeMap<>();
    /** The waiting attempts by arrival, to find the oldest. */
    private final TreeMap<Long, QueueOrder> byArrival = new TreeMap<>();
    /** The calls running, with what they count against the tokens-per-minute limit (null without one). */
    private final Map<Long, Spent> running = new HashMap<>();
    private final Deque<Long> recentStarts = new ArrayDeque<>();
    private final Deque<Spent> recentTokens = new ArrayDeque<>();
    private long tokensInWindow;
    private long blockedUntilMs = Long.MIN_VALUE;
    private boolean probing;
    private int passedOver;

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

    /** Puts an attempt in the window, in its place by priority and arrival. */
    public synchronized void enqueue(QueueOrder order, Attempt attempt) {
        waiting.put(order, attempt);
        byArrival.put(order.sequence(), order);
    }

    /**
     * Starts the next waiting attempt if the account has room for one more call now (not blocked,
     * under its in-flight and per-minute limits): takes it out of the window and counts it as
     * running. The caller must make the call and report its end with {@link #finished(long, Integer)}.
     * When the next attempt does not fit the token limit, none after it starts either. One that
     * exceeds the whole limit on its own starts when no other call counts in the window.
     *
     * @return the attempt to call, or {@code null} when none may start now
     */
    public synchronized Start tryStart(long nowMs) {
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
        QueueOrder oldest = byArrival.firstEntry().getValue();
        QueueOrder next = passedOver >= PASSED_OVER_LIMIT ? oldest : waiting.firstKey();
        Attempt attempt = waiting.get(next);
        Spent spent = null;
        if (tokensPerMinute != null) {
            while (!recentTokens.isEmpty() && recentTokens.peekFirst().atMs <= nowMs - MINUTE_MS) {
                Spent expired = recentTokens.pollFirst();
                expired.inWindow = false;
                tokensInWindow -= expired.tokens;
            }
            int estimate = TokenCount.estimate(attempt.request());
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
        passedOver = next.equals(oldest) ? 0 : passedOver + 1;
        waiting.remove(next);
        byArrival.remove(next.sequence());
        running.put(next.sequence(), spent);
        return new Start(next.sequence(), attempt);
    }

    /**
     * The call of attempt {@code sequence} ended: its slot is free. It used {@code tokens}, as its
     * response reports, or {@code null} when it reports none: the estimate it started with keeps
     * counting.
     */
    public synchronized void finished(long sequence, Integer tokens) {
        Spent spent = running.remove(sequence);
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
     * Takes a waiting attempt out of the window, so that it never starts from here.
     *
     * @return {@code false} when the attempt is not waiting here: its call is running or has ended
     */
    public synchronized boolean withdraw(long sequence) {
        QueueOrder order = byArrival.remove(sequence);
        return order != null && waiting.remove(order) != null;
    }

    /**
     * Takes out the last waiting attempt that comes before {@code bound}, so that the window keeps
     * its size when an attempt of higher priority arrives: it waits in the store instead.
     *
     * @return its place, or {@code null} when nothing waits before {@code bound}
     */
    public synchronized QueueOrder evictBefore(QueueOrder bound) {
        QueueOrder last = waiting.lowerKey(bound);
        if (last != null) {
            waiting.remove(last);
            byArrival.remove(last.sequence());
        }
        return last;
    }

    /**
     * How many waiting attempts come before {@code bound}. Counted from the other end: a view's size
     * is counted entry by entry, and the window holds few attempts past its bound.
     */
    public synchronized int countBefore(QueueOrder bound) {
        return waiting.size() - waiting.tailMap(bound, true).size();
    }

    /** The waiting attempts, in the order they would start. */
    public synchronized List<QueueOrder> waitingOrder() {
        return new ArrayList<>(waiting.keySet());
    }

    public synchronized int inFlight() {
        return running.size();
    }

    /** Attempts waiting in the window (the account's queue in the store may hold more). */
    public synchronized int queued() {
        return waiting.size();
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

    /** An attempt taken from the lane to be called now, by its sequence in the task. */
    public record Start(long sequence, Attempt attempt) {}
}
