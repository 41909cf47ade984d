package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.DeadLetter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a replay re-submits, chosen from the dead letters read:
 * <ol>
 * <li>only dead letters in the time range count;</li>
 * <li>of the dead letters of one request id, only the one with the highest generation, so a
 *     request is judged by how its latest submission ended;</li>
 * <li>of those, the ones that meet the other conditions;</li>
 * <li>each becomes the same request as generation + 1 (the processor's duplicate check is per id
 *     and generation, so the new generation runs, exactly once).</li>
 * </ol>
 * Replaying the same selection again builds the same id and generation, which the processor drops
 * as a duplicate (within {@code processor.dedupeRetention}): a selection runs once, however often
 * it is replayed. Dead letters without a request (input that could not be read) cannot be replayed
 * and are listed apart.
 *
 * @param replays what to re-submit, in the order of the dead-letter topic
 * @param unreplayable matching dead letters that hold no request
 * @param inRange dead letters in the time range
 * @param superseded dead letters in the range set aside for a higher generation of the same id
 */
public record ReplaySelection(List<Replay> replays, List<DeadLetter> unreplayable, int inRange, int superseded) {

    public ReplaySelection {
        replays = List.copyOf(replays);
        unreplayable = List.copyOf(unreplayable);
    }

    /**
     * One request to re-submit.
     *
     * @param deadLetter where it comes from
     * @param request the request to send: the next generation, with the changes applied
     * @param deadlineDropped whether its deadline was removed because it had passed (a replay with
     *     a past deadline would expire on arrival); the processor's default deadline applies instead
     */
    public record Replay(DeadLetter deadLetter, ChatRequest request, boolean deadlineDropped) {}

    /**
     * Changes applied to every replayed request.
     *
     * @param unpin drop the pinned account, so the request may go to any account of its pool
     * @param toPool send to this pool instead (also drops the pin: a pinned request goes to its
     *     account whatever its pool); {@code null} keeps the request's pool
     */
    public record Changes(boolean unpin, String toPool) {

        /** No change: the same request, next generation. */
        public static Changes none() {
            return new Changes(false, null);
        }
    }

    /**
     * Chooses what to replay.
     *
     * @param letters the dead letters read, in topic order
     * @param now the time the deadlines are compared with
     */
    public static ReplaySelection select(List<DeadLetter> letters, DeadLetterFilter filter, Changes changes, Instant now) {
        Map<String, DeadLetter> latest = new LinkedHashMap<>();
        List<DeadLetter> unreplayable = new ArrayList<>();
        int inRange = 0;
        int readable = 0;
        for (DeadLetter letter : letters) {
            if (!filter.inRange(letter)) {
                continue;
            }
            inRange++;
            if (letter.request() == null) {
                if (filter.matches(letter)) {
                    unreplayable.add(letter);
                }
                continue;
            }
            readable++;
            latest.merge(letter.request().id(), letter,
                    (kept, next) -> next.request().generation() >= kept.request().generation() ? next : kept);
        }
        List<Replay> replays = new ArrayList<>();
        for (DeadLetter letter : latest.values()) {
            if (filter.matches(letter)) {
                replays.add(replay(letter, changes, now));
            }
        }
        return new ReplaySelection(replays, unreplayable, inRange, readable - latest.size());
    }

    private static Replay replay(DeadLetter letter, Changes changes, Instant now) {
        ChatRequest old = letter.request();
        boolean deadlinePassed = old.deadline() != null && !old.deadline().isAfter(now);
        boolean unpin = changes.unpin() || changes.toPool() != null;
        ChatRequest next = new ChatRequest(old.id(), old.generation() + 1, old.body(),
                changes.toPool() != null ? changes.toPool() : old.pool(),
                unpin ? null : old.account(),
                deadlinePassed ? null : old.deadline(),
                old.metadata(), old.priority(), old.batch());
        return new Replay(letter, next, deadlinePassed);
    }
}
