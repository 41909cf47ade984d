package dev.tokenrelay.upstream.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The line rules of the Server-Sent Events format, and the truncation rule callers rely on. */
class SseParserTest {

    @Test
    void shouldDispatchEachEventOnItsBlankLine() {
        // Given two named events, each closed by a blank line
        String body = "event: first\ndata: {\"n\":1}\n\nevent: second\ndata: {\"n\":2}\n\n";

        // When the body is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then both are dispatched in order with their names and data
        assertThat(events).containsExactly(new SseEvent("first", "{\"n\":1}", null), new SseEvent("second", "{\"n\":2}", null));
    }

    @Test
    void shouldJoinMultiLineDataWithNewlines() {
        // Given one event whose data spans three data lines, one of them empty
        String body = "data: line one\ndata:\ndata: line three\n\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then the data lines are joined by \n, and an unnamed event has type "message"
        assertThat(events).hasSize(1);
        assertThat(events.get(0).data()).isEqualTo("line one\n\nline three");
        assertThat(events.get(0).event()).isNull();
        assertThat(events.get(0).type()).isEqualTo("message");
    }

    @Test
    void shouldIgnoreCommentsAndBlocksOfOnlyComments() {
        // Given keep-alive comments on their own and inside an event
        String body = ": keep-alive\n\n:another\ndata: payload\n: inside\n\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then only the real event is dispatched, without the comment text
        assertThat(events).containsExactly(new SseEvent(null, "payload", null));
    }

    @Test
    void shouldAcceptCrLfCrAndLfLineEndingsAlike() {
        // Given the same kind of event written with CRLF, with CR and with LF endings
        String body = "event: a\r\ndata: one\r\n\r\nevent: b\rdata: two\r\revent: c\ndata: three\n\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body.getBytes(StandardCharsets.UTF_8));

        // Then every event is found, and no \r leaks into names or data
        assertThat(events).containsExactly(
                new SseEvent("a", "one", null), new SseEvent("b", "two", null), new SseEvent("c", "three", null));
    }

    @Test
    void shouldNotDispatchAFinalEventWithoutItsBlankLine() {
        // Given a stream cut after the last event's data line, before its blank line
        String body = "data: complete\n\ndata: [DONE]\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then the cut event is lost, which is how a truncated stream shows
        assertThat(events).containsExactly(new SseEvent(null, "complete", null));
    }

    @Test
    void shouldNotDispatchAFinalLineWithoutItsLineEnding() {
        // Given a stream cut in the middle of a line
        String body = "data: complete\n\ndata: [DO";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then only the complete event is there
        assertThat(events).extracting(SseEvent::data).containsExactly("complete");
    }

    @Test
    void shouldDispatchANamedEventWithNoDataWithNullData() {
        // Given an event that has a name but no data line, and a block that only sets an id
        String body = "event: ping\n\nid: 7\n\ndata: after\n\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then the named event is dispatched with null data, the id-only block is not, and the id sticks
        assertThat(events).containsExactly(new SseEvent("ping", null, null), new SseEvent(null, "after", "7"));
    }

    @Test
    void shouldRemoveOnlyOneLeadingSpaceAndKeepColonsInTheValue() {
        // Given values with two leading spaces, no space, and colons inside
        String body = "data:  two spaces\ndata:none\ndata: {\"url\": \"http://x\"}\n\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then one space is stripped and the rest of the line is kept whole
        assertThat(events.get(0).data()).isEqualTo(" two spaces\nnone\n{\"url\": \"http://x\"}");
    }

    @Test
    void shouldTreatALineWithoutColonAsAFieldWithAnEmptyValue() {
        // Given a bare "data" line, an unknown field and a retry field
        String body = "data\nretry: 3000\nfoo: bar\ndata: x\n\n";

        // When it is parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then the bare line adds an empty data line and the other fields are ignored
        assertThat(events).containsExactly(new SseEvent(null, "\nx", null));
    }

    @Test
    void shouldSkipAByteOrderMarkAndReadNothingFromAnEmptyBody() {
        // Given a body starting with a byte order mark, and empty bodies
        String body = "\uFEFFdata: first\n\n";

        // When they are parsed
        List<SseEvent> events = SseParser.parse(body);

        // Then the mark is not part of the first field, and empty bodies have no events
        assertThat(events).containsExactly(new SseEvent(null, "first", null));
        assertThat(SseParser.parse((byte[]) null)).isEmpty();
        assertThat(SseParser.parse("")).isEmpty();
    }
}
