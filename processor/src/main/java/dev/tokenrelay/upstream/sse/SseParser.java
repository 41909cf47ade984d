package dev.tokenrelay.upstream.sse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a whole {@code text/event-stream} body into its events, line by line as the HTML
 * Server-Sent Events specification describes: lines end with CRLF, LF or CR; a line starting with
 * a colon is a comment; a field's value loses one leading space; {@code data} lines of one event are
 * joined by {@code \n}; an empty line dispatches the event.
 *
 * <p>The event being built when the body ends is not dispatched: a stream cut before the blank
 * line that closes its last event has lost that event, which is how callers notice a truncated
 * stream (its terminal event never arrives). Unlike a browser, an event that has an {@code event}
 * field but no {@code data} line is dispatched (with {@code null} data), because servers use such
 * named markers; blocks that only set an {@code id} or {@code retry}, or hold only comments, are not.
 *
 * <p>Stateless and thread-safe.
 */
public final class SseParser {

    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private SseParser() {}

    /** The events of a UTF-8 encoded body; {@code null} or empty gives none. */
    public static List<SseEvent> parse(byte[] body) {
        return body == null ? List.of() : parse(new String(body, StandardCharsets.UTF_8));
    }

    /** The events of a decoded body. */
    public static List<SseEvent> parse(String text) {
        List<SseEvent> events = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return events;
        }
        Builder builder = new Builder();
        int length = text.length();
        int start = text.charAt(0) == BYTE_ORDER_MARK ? 1 : 0;
        while (start < length) {
            int end = start;
            while (end < length && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
                end++;
            }
            if (end == length) {
                // A last line with no line ending: the stream stopped mid-line, so the event is incomplete.
                break;
            }
            String line = text.substring(start, end);
            int next = end + 1;
            if (text.charAt(end) == '\r' && next < length && text.charAt(next) == '\n') {
                next++;
            }
            if (line.isEmpty()) {
                builder.dispatchTo(events);
            } else {
                builder.field(line);
            }
            start = next;
        }
        return events;
    }

    /** The event being built; its id survives dispatch, as the "last event id" does in the spec. */
    private static final class Builder {
        private String event;
        private StringBuilder data;
        private String lastId;

        void field(String line) {
            int colon = line.indexOf(':');
            if (colon == 0) {
                return;
            }
            String name = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (name) {
                case "event" -> event = value.isEmpty() ? null : value;
                case "data" -> {
                    if (data == null) {
                        data = new StringBuilder();
                    } else {
                        data.append('\n');
                    }
                    data.append(value);
                }
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        lastId = value.isEmpty() ? null : value;
                    }
                }
                default -> {
                    // "retry" only matters to a reconnecting client; unknown fields are ignored by the spec.
                }
            }
        }

        void dispatchTo(List<SseEvent> events) {
            if (event != null || data != null) {
                events.add(new SseEvent(event, data == null ? null : data.toString(), lastId));
            }
            event = null;
            data = null;
        }
    }
}
