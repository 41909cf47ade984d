package dev.tokenrelay.bench;

/**
 * A stretch of a run between two completions, used to tell steady state from warm-up and
 * wind-down: the first completions come while connections open and the JIT warms up, the last
 * ones while the in-flight window drains with nothing behind it.
 *
 * @param firstIndex index (in completion order) of the completion that opens the window
 * @param lastIndex index of the completion that closes it
 * @param startNanos when the opening completion happened ({@link System#nanoTime()})
 * @param endNanos when the closing completion happened
 */
public record Window(int firstIndex, int lastIndex, long startNanos, long endNanos) {

    /** Completions inside the window: those after the opening one, up to and including the closing one. */
    public int completions() {
        return lastIndex - firstIndex;
    }

    public double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** Completions per second inside the window; 0 when the window is empty or has no length. */
    public double perSecond() {
        return completions() > 0 && endNanos > startNanos ? completions() / seconds() : 0;
    }

    /** Whether the completion at {@code index} (in completion order) is inside the window. */
    public boolean contains(int index) {
        return index > firstIndex && index <= lastIndex;
    }

    /**
     * The middle {@code share} of completions by time: with 0.8, from the completion at the 10th
     * percentile to the one at the 90th.
     *
     * @param sortedCompletionNanos completion times in ascending order
     * @param share in (0, 1]
     * @return the window, or {@code null} when there are fewer than two completions
     */
    public static Window middle(long[] sortedCompletionNanos, double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be in (0, 1], was " + share);
        }
        int n = sortedCompletionNanos.length;
        if (n < 2) {
            return null;
        }
        double edge = (1 - share) / 2;
        // The small tolerance keeps 0.1 x 100 at 10 despite binary fractions.
        int first = (int) Math.floor(edge * (n - 1) + 1e-9);
        int last = (int) Math.ceil((1 - edge) * (n - 1) - 1e-9);
        if (last <= first) {
            return null;
        }
        return new Window(first, last, sortedCompletionNanos[first], sortedCompletionNanos[last]);
    }
}
