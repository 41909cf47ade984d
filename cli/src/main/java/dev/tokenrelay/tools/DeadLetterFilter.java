package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which dead letters a replay takes. Every condition given must hold; {@code null} or an empty set
 * is no condition.
 *
 * @param since dead-lettered at or after this time
 * @param until dead-lettered before this time
 * @param reason a text the dead letter's reason contains, in any case (e.g. {@code status_429}, {@code expired})
 * @param statuses the final statuses to take
 * @param account an account that appears in the trail, or that the request was pinned to
 * @param pool a pool the request went to: its own, one in its trail, or (when it names none) the
 *     default pool
 * @param ids the request ids to take
 * @param defaultPool the processor's default pool, when known, for requests that name none
 */
public record DeadLetterFilter(Instant since, Instant until, String reason, Set<ResultStatus> statuses, String account,
        String pool, Set<String> ids, String defaultPool) {

    public DeadLetterFilter {
        statuses = statuses == null ? Set.of() : Set.copyOf(statuses);
        ids = ids == null ? Set.of() : Set.copyOf(ids);
    }

    /** Takes everything. */
    public static DeadLetterFilter all() {
        return new DeadLetterFilter(null, null, null, Set.of(), null, null, Set.of(), null);
    }

    /** Whether the dead letter was written in the time range. */
    public boolean inRange(DeadLetter letter) {
        Instant at = letter.at();
        if (at == null) {
            return since == null && until == null;
        }
        return (since == null || !at.isBefore(since)) && (until == null || at.isBefore(until));
    }

    /** Whether the dead letter meets every condition but the time range. */
    public boolean matches(DeadLetter letter) {
        ChatRequest request = letter.request();
        if (reason != null && (letter.reason() == null
                || !letter.reason().toLowerCase(Locale.ROOT).contains(reason.toLowerCase(Locale.ROOT)))) {
            return false;
        }
        if (!statuses.isEmpty() && !statuses.contains(letter.status())) {
            return false;
        }
        if (!ids.isEmpty() && !ids.contains(request != null ? request.id() : letter.requestId())) {
            return false;
        }
        if (account != null && !(request != null && account.equals(request.account()))
                && letter.attempts().stream().map(TrailEntry::account).noneMatch(account::equals)) {
            return false;
        }
        if (pool != null) {
            String own = request == null ? null : Objects.requireNonNullElse(request.pool(), defaultPool);
            return pool.equals(own) || letter.attempts().stream().map(TrailEntry::pool).anyMatch(pool::equals);
        }
        return true;
    }
}
