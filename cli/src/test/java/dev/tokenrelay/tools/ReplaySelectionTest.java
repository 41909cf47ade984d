package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.Priority;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplaySelectionTest {

    private static final Instant NOW = Instant.parse("2025-01-31T12:00:00Z");

    private static ChatRequest request(String id, int generation, String pool, String account, Instant deadline) {
        ObjectNode body = JsonCodec.mapper().createObjectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "q");
        return new ChatRequest(id, generation, body, pool, account, deadline, null);
    }

    private static DeadLetter failed(ChatRequest request, ResultStatus status, String reason, String account, Instant at) {
        List<TrailEntry> trail = account == null ? List.of()
                : List.of(new TrailEntry(1, account, "main", OutcomeKind.RETRYABLE, "status_500", 500, 10, at));
        return new DeadLetter(request.id(), status, reason, request, null, null, null, trail, at);
    }

    private static DeadLetter unreadable(String id, Instant at) {
        return new DeadLetter(id, ResultStatus.REJECTED, "invalid request: not JSON", null, "garbage", "Z2FyYmFnZQ==",
                new DeadLetter.SourceRecord("t", 0, 7), List.of(), at);
    }

    @Test
    void shouldResubmitTheHighestGenerationOfEachIdAsTheNextOne() {
        // Given two generations of one request dead-lettered, and another request
        List<DeadLetter> letters = List.of(
                failed(request("a", 0, null, null, null), ResultStatus.FAILED, "upstream_error: 500", "x", NOW.minusSeconds(60)),
                failed(request("b", 0, null, null, null), ResultStatus.FAILED, "upstream_error: 500", "x", NOW.minusSeconds(50)),
                failed(request("a", 1, null, null, null), ResultStatus.FAILED, "upstream_error: 500", "x", NOW.minusSeconds(40)));

        // When everything is selected
        ReplaySelection selection = ReplaySelection.select(letters, DeadLetterFilter.all(), ReplaySelection.Changes.none(), NOW);

        // Then each id is re-submitted once, as the generation after its highest
        assertThat(selection.replays()).extracting(r -> r.request().id() + "#" + r.request().generation())
                .containsExactly("a#2", "b#1");
        assertThat(selection.superseded()).isEqualTo(1);
        assertThat(selection.inRange()).isEqualTo(3);
    }

    @Test
    void shouldJudgeAnIdByItsLatestGeneration() {
        // Given an id whose first generation expired and whose second failed
        List<DeadLetter> letters = List.of(
                failed(request("a", 0, null, null, null), ResultStatus.EXPIRED, "expired: deadline", null, NOW.minusSeconds(60)),
                failed(request("a", 1, null, null, null), ResultStatus.FAILED, "upstream_error: 500", "x", NOW.minusSeconds(40)));
        DeadLetterFilter expiredOnly = new DeadLetterFilter(null, null, null, Set.of(ResultStatus.EXPIRED), null, null, Set.of(), null);

        // When only expired requests are selected
        ReplaySelection selection = ReplaySelection.select(letters, expiredOnly, ReplaySelection.Changes.none(), NOW);

        // Then nothing is: the request's latest state is failed, and replaying generation 0 again would be a duplicate
        assertThat(selection.replays()).isEmpty();
    }

    @Test
    void shouldApplyEveryFilter() {
        // Given dead letters that differ in time, reason, account, pool and id
        List<DeadLetter> letters = List.of(
                failed(request("old", 0, null, null, null), ResultStatus.FAILED, "upstream_error: status_429", "x", NOW.minusSeconds(7200)),
                failed(request("r429", 0, null, null, null), ResultStatus.FAILED, "upstream_error: status_429", "x", NOW.minusSeconds(60)),
                failed(request("r500", 0, null, null, null), ResultStatus.FAILED, "upstream_error: status_500", "x", NOW.minusSeconds(60)),
                failed(request("other-account", 0, null, null, null), ResultStatus.FAILED, "upstream_error: status_429", "y", NOW.minusSeconds(60)),
                failed(request("pinned", 0, "codex", "x", null), ResultStatus.FAILED, "upstream_error: STATUS_429", null, NOW.minusSeconds(60)));

        // Then each filter keeps what it says
        assertThat(ids(letters, new DeadLetterFilter(NOW.minusSeconds(3600), null, "status_429", Set.of(), "x", null, Set.of(), "main")))
                .containsExactly("r429", "pinned");
        assertThat(ids(letters, new DeadLetterFilter(null, NOW.minusSeconds(3600), null, Set.of(), null, null, Set.of(), null)))
                .containsExactly("old");
        assertThat(ids(letters, new DeadLetterFilter(null, null, null, Set.of(), null, "codex", Set.of(), "main")))
                .containsExactly("pinned");
        assertThat(ids(letters, new DeadLetterFilter(null, null, null, Set.of(), null, "main", Set.of(), "main")))
                .containsExactly("old", "r429", "r500", "other-account");
        assertThat(ids(letters, new DeadLetterFilter(null, null, null, Set.of(), null, null, Set.of("r500", "nope"), null)))
                .containsExactly("r500");
    }

    private static List<String> ids(List<DeadLetter> letters, DeadLetterFilter filter) {
        return ReplaySelection.select(letters, filter, ReplaySelection.Changes.none(), NOW).replays().stream()
                .map(r -> r.request().id()).toList();
    }

    @Test
    void shouldListDeadLettersWithoutARequestApart() {
        // Given an unreadable input's dead letter beside a failed request
        List<DeadLetter> letters = List.of(unreadable("junk", NOW.minusSeconds(10)),
                failed(request("a", 0, null, null, null), ResultStatus.FAILED, "upstream_error", "x", NOW.minusSeconds(5)));

        // When everything is selected
        ReplaySelection selection = ReplaySelection.select(letters, DeadLetterFilter.all(), ReplaySelection.Changes.none(), NOW);

        // Then only the request is replayed and the unreadable one is reported
        assertThat(selection.replays()).extracting(r -> r.request().id()).containsExactly("a");
        assertThat(selection.unreplayable()).extracting(DeadLetter::requestId).containsExactly("junk");
    }

    @Test
    void shouldUnpinChangePoolAndDropAPassedDeadline() {
        // Given a pinned request whose deadline has passed, and one whose deadline is ahead
        Instant ahead = NOW.plusSeconds(600);
        List<DeadLetter> letters = List.of(
                failed(request("late", 0, "main", "x", NOW.minusSeconds(1)), ResultStatus.EXPIRED, "expired", "x", NOW.minusSeconds(1)),
                failed(request("early", 0, "main", "x", ahead), ResultStatus.FAILED, "upstream_error", "x", NOW.minusSeconds(1)));

        // When they are replayed unchanged, unpinned, and to another pool
        List<ReplaySelection.Replay> same = ReplaySelection.select(letters, DeadLetterFilter.all(), ReplaySelection.Changes.none(), NOW).replays();
        List<ReplaySelection.Replay> unpinned = ReplaySelection.select(letters, DeadLetterFilter.all(), new ReplaySelection.Changes(true, null), NOW).replays();
        List<ReplaySelection.Replay> moved = ReplaySelection.select(letters, DeadLetterFilter.all(), new ReplaySelection.Changes(false, "reserve"), NOW).replays();

        // Then the pin and pool are kept, dropped or changed, and only the passed deadline is dropped
        assertThat(same).extracting(r -> r.request().account()).containsExactly("x", "x");
        assertThat(same).extracting(r -> r.request().deadline()).containsExactly(null, ahead);
        assertThat(same).extracting(ReplaySelection.Replay::deadlineDropped).containsExactly(true, false);
        assertThat(unpinned).extracting(r -> r.request().account()).containsExactly(null, null);
        assertThat(unpinned).extracting(r -> r.request().pool()).containsExactly("main", "main");
        assertThat(moved).extracting(r -> r.request().pool()).containsExactly("reserve", "reserve");
        assertThat(moved).extracting(r -> r.request().account()).containsExactly(null, null);
        assertThat(moved).extracting(r -> r.request().body()).containsExactly(letters.get(0).request().body(), letters.get(1).request().body());
    }

    @Test
    void shouldKeepEachRequestsPriority() {
        // Given dead letters of an interactive request, a batch request written as it came back
        // from the dead-letter topic, and one with no priority
        DeadLetter batch = JsonCodec.decode(JsonCodec.encode(failed(request("nightly", 0, null, null, null)
                .withPriority(Priority.BATCH), ResultStatus.FAILED, "upstream_error", "x", NOW.minusSeconds(2))),
                DeadLetter.class);
        List<DeadLetter> letters = List.of(
                failed(request("chat", 0, null, null, null).withPriority(Priority.INTERACTIVE), ResultStatus.FAILED,
                        "upstream_error", "x", NOW.minusSeconds(3)),
                batch,
                failed(request("plain", 0, null, null, null), ResultStatus.FAILED, "upstream_error", "x", NOW.minusSeconds(1)));

        // When they are replayed, unchanged and to another pool
        List<ReplaySelection.Replay> same = ReplaySelection.select(letters, DeadLetterFilter.all(), ReplaySelection.Changes.none(), NOW).replays();
        List<ReplaySelection.Replay> moved = ReplaySelection.select(letters, DeadLetterFilter.all(), new ReplaySelection.Changes(false, "reserve"), NOW).replays();

        // Then every replay keeps the priority its request had
        assertThat(same).extracting(r -> r.request().id() + "=" + r.request().priority())
                .containsExactlyInAnyOrder("chat=10", "nightly=-10", "plain=0");
        assertThat(moved).extracting(r -> r.request().id() + "=" + r.request().priority())
                .containsExactlyInAnyOrder("chat=10", "nightly=-10", "plain=0");
    }
}
