package dev.tokenrelay.lanes;

import dev.tokenrelay.schema.Priority;

/**
 * An attempt's place in its account's queue: higher priority first, then arrival.
 *
 * @param rank     the priority turned around so that a smaller rank starts first: {@code 100 - priority},
 *                 0 to 200 (see {@link Priority})
 * @param sequence the attempt's arrival in its dispatch task, unique within the task
 */
public record QueueOrder(int rank, long sequence) implements Comparable<QueueOrder> {

    /** Before every attempt. */
    public static final QueueOrder FIRST = new QueueOrder(0, 0);

    public QueueOrder {
        if (rank < 0 || rank > (Priority.MAX - Priority.MIN)) {
            throw new IllegalArgumentException("rank must be 0 to " + (Priority.MAX - Priority.MIN) + ", got " + rank);
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence must be >= 0, got " + sequence);
        }
    }

    /** The place of an attempt of {@code priority} (-100 to 100) that arrived as {@code sequence}. */
    public static QueueOrder of(int priority, long sequence) {
        return new QueueOrder(Priority.MAX - Math.max(Priority.MIN, Math.min(Priority.MAX, priority)), sequence);
    }

    /** The first place of the next lower priority, or {@code null} after the lowest. */
    QueueOrder nextRank() {
        return rank == (Priority.MAX - Priority.MIN) ? null : new QueueOrder(rank + 1, 0);
    }

    /** The place right after this one. */
    QueueOrder next() {
        return sequence == Long.MAX_VALUE ? nextRank() : new QueueOrder(rank, sequence + 1);
    }

    @Override
    public int compareTo(QueueOrder other) {
        int byRank = Integer.compare(rank, other.rank);
        return byRank != 0 ? byRank : Long.compare(sequence, other.sequence);
    }
}
