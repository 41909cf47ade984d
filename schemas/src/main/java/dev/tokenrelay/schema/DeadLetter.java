package dev.tokenrelay.schema;

import java.time.Instant;
import java.util.List;

/**
 * The value of the dead-letter topic (key: request id, or the original key when no id could be
 * read): every failed or unreadable request, with what is needed to replay or inspect it.
 *
 * @param requestId      the request id, {@code null} when none could be read
 * @param status         the final status the request ended with
 * @param reason         why it ended here, for people and for replay filters
 * @param request        the request as read, for replay; {@code null} when it could not be read
 * @param originalText   the original record value as text, when the request could not be read, the
 *                       value is UTF-8 and it fits the dead letter
 * @param originalBase64 the original record value, base64, when it could not be read and it fits
 *                       the dead letter; when neither form is present the reason says where the
 *                       value stays
 * @param source         where the original record came from, when it came from a topic
 * @param attempts       the trail of attempts, oldest first
 * @param at             when the record was written
 */
public record DeadLetter(
        String requestId,
        ResultStatus status,
        String reason,
        ChatRequest request,
        String originalText,
        String originalBase64,
        SourceRecord source,
        List<TrailEntry> attempts,
        Instant at) {

    public DeadLetter {
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** The topic, partition and offset of the record a dead letter was made from. */
    public record SourceRecord(String topic, int partition, long offset) {}
}
