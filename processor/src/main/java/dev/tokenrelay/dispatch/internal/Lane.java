package dev.tokenrelay.dispatch.internal;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One account's queue inside a dispatch task: the keys of attempts waiting, in arrival order, and
 * how many calls are in flight against the account's limit. Touched only by the stream thread.
 */
public final class Lane {

    private final int limit;
    private final Deque<String> waiting = new ArrayDeque<>();
    private int inFlight;

    public Lane(int limit) {
        this.limit = limit;
    }

    public void enqueue(String key) {
        waiting.addLast(key);
    }

    /** The next waiting key if the account has capacity for one more call, else {@code null}. */
    public String nextToStart() {
        return inFlight < limit ? waiting.pollFirst() : null;
    }

    public void started() {
        inFlight++;
    }

    public void finished() {
        inFlight--;
    }

    public int inFlight() {
        return inFlight;
    }

    public int waiting() {
        return waiting.size();
    }
}
