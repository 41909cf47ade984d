package dev.tokenrelay.upstream.sse;

/**
 * One dispatched Server-Sent Event.
 *
 * @param event the value of its {@code event} field, {@code null} when it had none (a browser
 *              would call it a {@code message} event)
 * @param data  its {@code data} lines joined by {@code \n}, {@code null} when it had no data line
 * @param id    the last event id seen so far in the stream, {@code null} when none was set
 */
public record SseEvent(String event, String data, String id) {

    /** The event type as the SSE specification names it: the {@code event} field, else {@code message}. */
    public String type() {
        return event == null ? "message" : event;
    }
}
