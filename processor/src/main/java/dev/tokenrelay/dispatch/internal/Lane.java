package dev.tokenrelay.dispatch.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.PriorityQueue;

/**
 * One account's queue inside a dispatch task: attempts waiting for capacity in arrival order,
 * attempts parked until a time (a cooldown's end, a backoff), the calls in flight against the
 * account's limit, and the starts of the last minute against its requests-per-minute limit.
 * Touched only by the stream thread; rebuilt from the attempts store after a restart.
 */
public final class Lane {

    private static final long MINUTE_MS = 60_000;

    private final int maxInFlight;
    private final Integer requestsPerMinute;
    private final Deque<String> waiting = new ArrayDeque<>();
    private final PriorityQueue<Parked> parked = new PriorityQueue<>();
    private final Deque<Long> recentStarts = new ArrayDeque<>();
    private int inFlight;

    /**
     * @param maxInFlight       the most calls at once
     * @param requestsPerMinute the most calls started in any 60 s, {@code null} for no limit
     */
    public Lane(int maxInFlight, Integer requestsPerMinute) {
        this.maxInFlight = maxInFlight;
        this.requestsPerMinute = requestsPerMinute;
    }

    public void enqueue(String key) {
        waiting.addLast(key);
    }

    /** Holds {@code key} until {@code notBeforeMs}; {@code sequence} keeps arrival order among equal times. */
    public void park(String key, long notBeforeMs, long sequence) {
        parked.add(new Parked(notBeforeMs, sequence, key));
    }

    /** Moves the parked attempts whose time has come to the end of the queue. */
    public void releaseDue(long nowMs) {
        while (!parked.isEmpty() && parked.peek().notBeforeMs() <= nowMs) {
            waiting.addLast(parked.poll().key());
        }
    }

    /**
     * The next waiting key if the account has room for one more call now (in flight and per
     * minute), else {@code null}. The caller must call {@link #started(long)} if it starts it.
     */
    public String nextToStart(long nowMs) {
        if (inFlight >= maxInFlight || waiting.isEmpty()) {
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
        return waiting.pollFirst();
    }

    /** Takes every waiting key out of the queue (parked ones stay parked). */
    public List<String> takeWaiting() {
        List<String> keys = new ArrayList<>(waiting);
        waiting.clear();
        return keys;
    }

    public void started(long nowMs) {
        inFlight++;
        if (requestsPerMinute != null) {
            recentStarts.addLast(nowMs);
        }
    }

    public void finished() {
        inFlight--;
    }

    public int inFlight() {
        return inFlight;
    }

    /** Attempts waiting: queued for capacity, or parked until a time. */
    public int queued() {
        return waiting.size() + parked.size();
    }

    public boolean hasWaiting() {
        return !waiting.isEmpty();
    }

    private record Parked(long notBeforeMs, long sequence, String key) implements Comparable<Parked> {
        @Override
        public int compareTo(Parked other) {
            int byTime = Long.compare(notBeforeMs, other.notBeforeMs);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }
}
